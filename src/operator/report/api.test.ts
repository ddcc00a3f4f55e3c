// Built reports on the real API server with the vendored CRDs: nothing pruned (root status and every report
// field survive the schema), kubectl's columns, an update that keeps the TTL and the last good data, and the
// size limit: an oversized report is refused by etcd while the reduced one is stored.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type ControlPlane, startControlPlane } from '../../../test/env/control-plane.js';
import { waitFor } from '../../../test/env/net.js';
import { VULNERABILITY_REPORT } from '../../k8s/crds/index.js';
import { KubeApiError } from '../../k8s/errors.js';
import type { KubeObject } from '../../k8s/kube-client.js';
import { collectionPath, objectPath } from '../../k8s/resource.js';
import { stopInOrder } from '../../k8s/testkit.js';
import { failedReportData } from './data.js';
import { fitReport, reportBytes } from './fit.js';
import { buildVulnerabilityReport, mergeForUpdate, type VigilVulnerabilityReport } from './object.js';
import { builtReport, golden, hugeTrivyReport, OWNER } from './testkit.js';

const execFileAsync = promisify(execFile);
const CRD_DIR = fileURLToPath(new URL('../../../../deploy/crds/', import.meta.url));
const NS = OWNER.namespace;
const TTL = 'trivy-operator.aquasecurity.github.io/report-ttl';

function table(output: string): string[][] {
  return output
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s{2,}/));
}

describe('VulnerabilityReports on the real API server', () => {
  let cp: ControlPlane;
  let ownerUid: string;
  const kubectl = async (...args: string[]) =>
    (await execFileAsync(`${cp.binDir}/kubectl`, ['--kubeconfig', cp.kubeconfigPath, ...args])).stdout;
  const withOwner = (r: VigilVulnerabilityReport, name?: string): VigilVulnerabilityReport => ({
    ...r,
    metadata: {
      ...r.metadata,
      ...(name === undefined ? {} : { name }),
      ownerReferences: r.metadata.ownerReferences?.map((o) => ({ ...o, uid: ownerUid })),
    },
  });
  const path = (name: string) => objectPath(VULNERABILITY_REPORT, name, NS);

  before(async () => {
    cp = await startControlPlane();
    await cp.client.create('/api/v1/namespaces', { metadata: { name: NS } });
    await kubectl('apply', '-f', CRD_DIR);
    await waitFor(
      'the VulnerabilityReport CRD in discovery',
      async () =>
        (await kubectl('api-resources', '--api-group=aquasecurity.github.io')).includes(
          'vulnerabilityreports',
        ),
      { timeoutMs: 30_000 },
    );
    const owner = await cp.client.create<KubeObject>(`/apis/apps/v1/namespaces/${NS}/replicasets`, {
      metadata: { name: OWNER.name, namespace: NS, labels: OWNER.labels },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'fluent/fluentd:v1.8' }] },
        },
      },
    });
    ownerUid = owner.metadata!.uid!;
  });

  after(async () => {
    if (cp) await stopInOrder(cp);
  });

  test('a built report with every additional field round-trips unchanged, root status included', async () => {
    const sent = withOwner(fitReport(builtReport(golden('fluentd-gems'))));
    assert.ok(sent.report.vulnerabilities.every((v) => v.cvss && v.description && v.links && v.target));
    const created = await cp.client.create<VigilVulnerabilityReport>(
      collectionPath(VULNERABILITY_REPORT, NS),
      sent,
    );
    const back = await cp.client.get<VigilVulnerabilityReport>(path(sent.metadata.name));
    assert.deepEqual(back.report, sent.report, 'no report field pruned or defaulted');
    assert.deepEqual(back.status, sent.status, 'the root status survives the schema');
    assert.deepEqual(back.metadata.labels, sent.metadata.labels);
    assert.deepEqual(back.metadata.annotations, sent.metadata.annotations);
    assert.deepEqual(back.metadata.ownerReferences, sent.metadata.ownerReferences);
    assert.equal(created.metadata.resourceVersion, back.metadata.resourceVersion);

    const wide = table(await kubectl('get', 'vulnerabilityreports', '-n', NS, '-o', 'wide'));
    assert.deepEqual(wide[0], [
      'NAME',
      'REPOSITORY',
      'TAG',
      'SCANNER',
      'AGE',
      'CRITICAL',
      'HIGH',
      'MEDIUM',
      'LOW',
      'UNKNOWN',
    ]);
    const row = wide.find((r) => r[0] === 'replicaset-web-6d4cf56db6-web')!;
    assert.deepEqual(
      [...row.slice(0, 4), ...row.slice(5)],
      ['replicaset-web-6d4cf56db6-web', 'fluent/fluentd', 'v1.8', 'Trivy', '1', '1', '0', '0', '0'],
    );
    // The label selector Trivy Operator's FindByOwner uses finds it.
    const byOwner = await kubectl(
      'get',
      'vulns',
      '-n',
      NS,
      '-l',
      `trivy-operator.resource.kind=ReplicaSet,trivy-operator.resource.name=${OWNER.name},trivy-operator.resource.namespace=${NS}`,
      '-o',
      'name',
    );
    assert.equal(byOwner.trim(), 'vulnerabilityreport.aquasecurity.github.io/replicaset-web-6d4cf56db6-web');
  });

  test('a failed rescan merged over it: last good data kept, FAILED stored, TTL and creationTimestamp kept', async () => {
    const existing = await cp.client.get<VigilVulnerabilityReport>(path('replicaset-web-6d4cf56db6-web'));
    const desired = withOwner(
      buildVulnerabilityReport({
        owner: OWNER,
        container: 'web',
        specHash: 'newhash',
        image: 'fluent/fluentd:v1.9',
        imageKey: 'index.docker.io/fluent/fluentd:v1.9',
        data: failedReportData({ image: 'fluent/fluentd:v1.9', now: new Date(), scannerVersion: '0.72.0' }),
        status: {
          phase: 'FAILED',
          reason: 'ScanJobFailed',
          message: 'exit 1',
          lastScanTime: '2026-03-06T00:00:00Z',
        },
        ttl: '1h0m0s',
        resourceLabels: [],
        additionalLabels: {},
      }),
    );
    const updated = await cp.client.replace<VigilVulnerabilityReport>(
      path(existing.metadata.name),
      mergeForUpdate(existing, desired),
    );
    assert.deepEqual(updated.report, existing.report);
    assert.deepEqual(updated.status, {
      phase: 'FAILED',
      reason: 'ScanJobFailed',
      message: 'exit 1',
      lastScanTime: '2026-03-06T00:00:00Z',
      failedAttempts: 1,
    });
    assert.equal(updated.metadata.creationTimestamp, existing.metadata.creationTimestamp);
    assert.equal(updated.metadata.annotations?.[TTL], '24h0m0s');
    assert.equal(updated.metadata.labels?.['resource-spec-hash'], 'newhash');
  });

  test('20,000 findings: over the limit etcd refuses the report; the reduced one is stored with an exact summary', async (t) => {
    const huge = withOwner(
      builtReport(hugeTrivyReport(20_000), { additionalFields: [] }),
      'replicaset-web-huge',
    );
    // Reduced to 2 MB only: more than etcd's 1.5 MiB request limit, less than the API server's 3 MB body limit.
    const tooBig = fitReport(huge, 2_000_000);
    await assert.rejects(
      cp.client.create(collectionPath(VULNERABILITY_REPORT, NS), tooBig),
      (e: unknown) => e instanceof KubeApiError && /too large/i.test(e.message),
    );
    const fitted = fitReport(huge);
    t.diagnostic(
      `reduced report: ${reportBytes(fitted)} bytes, ${fitted.report.vulnerabilities.length} findings`,
    );
    await cp.client.create(collectionPath(VULNERABILITY_REPORT, NS), fitted);
    const back = await cp.client.get<VigilVulnerabilityReport>(path('replicaset-web-huge'));
    assert.deepEqual(back.report, fitted.report);
    assert.deepEqual(back.report.summary, huge.report.summary);
    assert.equal(
      back.report.summary.criticalCount +
        back.report.summary.highCount +
        back.report.summary.mediumCount +
        back.report.summary.lowCount +
        back.report.summary.unknownCount,
      20_000,
    );
    assert.match(
      back.metadata.annotations?.['vigil.aquasecurity.github.io/report-reduced'] ?? '',
      /vulnerabilities/,
    );
    assert.match(back.status?.message ?? '', /summary counts all 20000/);
  });
});
