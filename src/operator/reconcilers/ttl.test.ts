// The TTL reconcilers against the real API server: reports and operator-managed Secrets go when their TTL runs
// out and not before; a report rewritten or recreated between the cache's view and the delete survives.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type ControlPlane, startControlPlane } from '../../../test/env/control-plane.js';
import { waitFor } from '../../../test/env/net.js';
import {
  AQUASECURITY_API_VERSION,
  MANAGED_BY_VALUE,
  REPORT_ANNOTATIONS,
  REPORT_LABELS,
  VULNERABILITY_REPORT,
  type VulnerabilityReport,
} from '../../k8s/crds/index.js';
import {
  collectionPath,
  createInformer,
  type Informer,
  type KubeClient,
  type KubeObject,
  objectPath,
  systemClock,
} from '../../k8s/index.js';
import { createRecordingLogger, stopInOrder } from '../../k8s/testkit.js';
import {
  createReportTtlReconciler,
  createSecretTtlReconciler,
  parseTtl,
  SECRET_TTL_ANNOTATION,
} from './ttl.js';

const execFileAsync = promisify(execFile);
const CRD = fileURLToPath(
  new URL('../../../../deploy/crds/aquasecurity.github.io_vulnerabilityreports.yaml', import.meta.url),
);
const NS = 'ttl-test';
const RACE_NS = 'ttl-race';

function report(name: string, namespace: string, ttl: string | undefined): VulnerabilityReport {
  return {
    apiVersion: AQUASECURITY_API_VERSION,
    kind: 'VulnerabilityReport',
    metadata: {
      name,
      namespace,
      labels: { [REPORT_LABELS.managedBy]: MANAGED_BY_VALUE },
      ...(ttl === undefined ? {} : { annotations: { [REPORT_ANNOTATIONS.reportTTL]: ttl } }),
    },
    report: {
      updateTimestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      scanner: { name: 'Trivy', vendor: 'Aqua Security', version: '0.72.0' },
      registry: { server: 'index.docker.io' },
      artifact: { repository: 'library/nginx', tag: '1.27' },
      os: { family: 'debian', name: '12.0' },
      summary: { criticalCount: 0, highCount: 0, mediumCount: 0, lowCount: 0, unknownCount: 0 },
      vulnerabilities: [],
    },
  };
}

const reportPath = (namespace: string, name: string) => objectPath(VULNERABILITY_REPORT, name, namespace);

describe('parseTtl', () => {
  test('reads Go durations and refuses everything else', () => {
    assert.equal(parseTtl('24h'), 86_400_000);
    assert.equal(parseTtl('24h0m0s'), 86_400_000);
    assert.equal(parseTtl('1h30m'), 5_400_000);
    assert.equal(parseTtl('0s'), 0);
    assert.equal(parseTtl('0'), 0);
    assert.equal(parseTtl('1.5s'), 1500);
    assert.equal(parseTtl('tomorrow'), undefined);
    assert.equal(parseTtl('24'), undefined, 'a unit is required');
    assert.equal(parseTtl('1d'), undefined, 'Go has no day unit');
    assert.equal(parseTtl('-1h'), undefined, 'a negative TTL is a mistake, not "delete at once"');
    assert.equal(parseTtl(''), undefined);
  });
});

describe('TTL reconcilers on the real API server', () => {
  let cp: ControlPlane;
  const stops: Array<() => Promise<void>> = [];

  before(async () => {
    cp = await startControlPlane();
    await execFileAsync(join(cp.binDir, 'kubectl'), ['--kubeconfig', cp.kubeconfigPath, 'apply', '-f', CRD]);
    for (const name of [NS, RACE_NS]) await cp.client.create('/api/v1/namespaces', { metadata: { name } });
    await waitFor(
      'the VulnerabilityReport CRD to serve',
      async () => {
        await cp.client.list(collectionPath(VULNERABILITY_REPORT, NS));
        return true;
      },
      { timeoutMs: 30_000 },
    );
  });

  after(async () => {
    for (const stop of stops.reverse()) await stop();
    if (cp) await stopInOrder(cp);
  });

  /** An informer + report TTL reconciler over one namespace, started and synced. */
  async function startReportTtl(namespace: string, client: KubeClient = cp.client) {
    const logger = createRecordingLogger();
    const reports = createInformer<VulnerabilityReport>({
      client: cp.client,
      path: collectionPath(VULNERABILITY_REPORT, namespace),
    });
    const { controller } = createReportTtlReconciler({ client, reports, clock: systemClock, logger });
    reports.start();
    controller.start();
    stops.push(async () => {
      await controller.stop();
      await reports.stop();
    });
    assert.ok(await reports.waitForSync(20_000), 'the report informer synced');
    return { logger, reports, controller };
  }

  test('a report with a 2 s TTL is deleted once it ran out, one with 0s at once; 1h and no TTL stay', async () => {
    const { logger } = await startReportTtl(NS);
    for (const [name, ttl] of [
      ['long', '1h'],
      ['none', undefined],
      ['short', '2s'],
      ['zero', '0s'],
    ] as const)
      await cp.client.create(collectionPath(VULNERABILITY_REPORT, NS), report(name, NS, ttl));
    const deletionLogged = (name: string) =>
      logger.lines.some(
        (l) => l.message.includes('deleted') && l.fields?.vulnerabilityreport === `${NS}/${name}`,
      );
    // The API server shows a report gone before the reconciler's DELETE call has returned and logged it:
    // wait for both.
    await waitFor(
      'the 0s and 2s reports to be deleted, and the deletions logged',
      async () =>
        (await cp.client.find(reportPath(NS, 'zero'))) === undefined &&
        (await cp.client.find(reportPath(NS, 'short'))) === undefined &&
        deletionLogged('zero') &&
        deletionLogged('short'),
      { timeoutMs: 20_000 },
    );
    // Its creationTimestamp has whole seconds, so it was deleted no earlier than 2 s after that second.
    const waited = logger.lines.find(
      (l) => l.message.includes('not reached') && l.fields?.vulnerabilityreport === `${NS}/short`,
    );
    assert.ok(waited, 'the 2s report was first requeued, not deleted on sight');
    assert.ok(Number(waited.fields?.remainingMs) <= 2000);
    assert.ok(await cp.client.find(reportPath(NS, 'long')), 'the 1h report stays');
    assert.ok(await cp.client.find(reportPath(NS, 'none')), 'a report without a TTL stays');
    const long = logger.lines.find(
      (l) => l.message.includes('not reached') && l.fields?.vulnerabilityreport === `${NS}/long`,
    );
    assert.ok(
      long && Number(long.fields?.remainingMs) > 3_500_000,
      'the 1h report is looked at again in about an hour',
    );
  });

  test('a malformed TTL is logged once with the report and what to fix, and the report is kept', async () => {
    const { logger } = await startReportTtl(NS);
    await cp.client.create(collectionPath(VULNERABILITY_REPORT, NS), report('malformed', NS, 'tomorrow'));
    // Another update of the same report is seen again but not logged again.
    const created = await cp.client.get<VulnerabilityReport>(reportPath(NS, 'malformed'));
    created.metadata.labels = { ...created.metadata.labels, touched: 'yes' };
    await cp.client.replace(reportPath(NS, 'malformed'), created);
    // A barrier: with one worker, keys are reconciled in the order their events came, so once this later
    // report is gone, the malformed one's add and update were both judged.
    await cp.client.create(collectionPath(VULNERABILITY_REPORT, NS), report('barrier', NS, '0s'));
    await waitFor(
      'the barrier report to be deleted',
      async () => !(await cp.client.find(reportPath(NS, 'barrier'))),
      {
        timeoutMs: 20_000,
      },
    );
    const warnings = logger.lines.filter(
      (l) => l.level === 'warn' && l.fields?.vulnerabilityreport === `${NS}/malformed`,
    );
    assert.equal(warnings.length, 1, JSON.stringify(logger.lines));
    assert.match(String(warnings[0]?.fields?.fix), /Go duration such as 24h.*"tomorrow"/);
    assert.equal(warnings[0]?.fields?.annotation, REPORT_ANNOTATIONS.reportTTL);
    assert.ok(await cp.client.find(reportPath(NS, 'malformed')), 'kept');
  });

  test('a report rewritten or recreated after the cache saw it expired is not deleted (preconditions)', async () => {
    // A client whose delete lets another writer act first: exactly the window between the cache's view and
    // the DELETE.
    const rewrites = new Map<string, () => Promise<void>>();
    const deletes: string[] = [];
    const racing: KubeClient = Object.assign(Object.create(null), cp.client, {
      async delete(path: string, options?: Parameters<KubeClient['delete']>[1]) {
        deletes.push(path);
        const rewrite = rewrites.get(path);
        rewrites.delete(path);
        if (rewrite) await rewrite();
        return cp.client.delete(path, options);
      },
    }) as KubeClient;

    await cp.client.create(collectionPath(VULNERABILITY_REPORT, RACE_NS), report('rewritten', RACE_NS, '0s'));
    await cp.client.create(collectionPath(VULNERABILITY_REPORT, RACE_NS), report('recreated', RACE_NS, '0s'));
    // In place: the writer sets a longer TTL; only the resourceVersion tells the versions apart.
    rewrites.set(reportPath(RACE_NS, 'rewritten'), async () => {
      const current = await cp.client.get<VulnerabilityReport>(reportPath(RACE_NS, 'rewritten'));
      current.metadata.annotations = { [REPORT_ANNOTATIONS.reportTTL]: '1h' };
      await cp.client.replace(reportPath(RACE_NS, 'rewritten'), current);
    });
    // Deleted and created again under the same name: the uid differs.
    rewrites.set(reportPath(RACE_NS, 'recreated'), async () => {
      await cp.client.delete(reportPath(RACE_NS, 'recreated'));
      await cp.client.create(
        collectionPath(VULNERABILITY_REPORT, RACE_NS),
        report('recreated', RACE_NS, '1h'),
      );
    });

    const { logger } = await startReportTtl(RACE_NS, racing);
    await waitFor('both rewrites to happen inside a delete', async () => rewrites.size === 0, {
      timeoutMs: 20_000,
    });
    const now = {
      rewritten: await cp.client.get<VulnerabilityReport>(reportPath(RACE_NS, 'rewritten')),
      recreated: await cp.client.get<VulnerabilityReport>(reportPath(RACE_NS, 'recreated')),
    };
    for (const [name, current] of Object.entries(now)) {
      await waitFor(
        `the reconciler to judge the new ${name} report`,
        async () =>
          logger.lines.some(
            (l) =>
              l.fields?.vulnerabilityreport === `${RACE_NS}/${name}` &&
              l.fields?.resourceVersion === current.metadata.resourceVersion,
          ),
        { timeoutMs: 20_000 },
      );
      const kept = await cp.client.get<VulnerabilityReport>(reportPath(RACE_NS, name));
      assert.equal(kept.metadata.uid, current.metadata.uid, `${name}: the new version is still there`);
      assert.equal(kept.metadata.annotations?.[REPORT_ANNOTATIONS.reportTTL], '1h');
    }
    assert.ok(
      logger.lines.some((l) => l.message.includes('changed before its TTL deletion')),
      'the precondition failed and was recognised',
    );
    assert.ok(deletes.length >= 2, 'both were tried');
    assert.ok(
      !logger.lines.some(
        (l) => l.message.includes('deleted') && String(l.fields?.vulnerabilityreport).startsWith(RACE_NS),
      ),
      'no delete went through',
    );
  });

  test('an operator-managed Secret whose secret-ttl ran out is deleted; an unmanaged one never is', async () => {
    const logger = createRecordingLogger();
    // No label selector on purpose: the reconciler itself refuses Secrets that are not the operator's.
    const secrets: Informer<KubeObject> = createInformer<KubeObject>({
      client: cp.client,
      path: `/api/v1/namespaces/${NS}/secrets`,
    });
    const { controller } = createSecretTtlReconciler({
      client: cp.client,
      secrets,
      clock: systemClock,
      logger,
    });
    secrets.start();
    controller.start();
    stops.push(async () => {
      await controller.stop();
      await secrets.stop();
    });
    assert.ok(await secrets.waitForSync(20_000));
    const secret = (name: string, labels: Record<string, string>, ttl: string) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: NS, labels, annotations: { [SECRET_TTL_ANNOTATION]: ttl } },
      stringData: { '.dockerconfigjson': '{"auths":{}}' },
      type: 'kubernetes.io/dockerconfigjson',
    });
    await cp.client.create(`/api/v1/namespaces/${NS}/secrets`, secret('someone-elses', {}, '0s'));
    await cp.client.create(
      `/api/v1/namespaces/${NS}/secrets`,
      secret('managed-long', { [REPORT_LABELS.managedBy]: MANAGED_BY_VALUE }, '1h'),
    );
    await cp.client.create(
      `/api/v1/namespaces/${NS}/secrets`,
      secret('managed', { [REPORT_LABELS.managedBy]: MANAGED_BY_VALUE }, '1s'),
    );
    await waitFor(
      'the managed Secret to be deleted',
      async () => !(await cp.client.find(`/api/v1/namespaces/${NS}/secrets/managed`)),
      {
        timeoutMs: 20_000,
      },
    );
    assert.ok(
      await cp.client.find(`/api/v1/namespaces/${NS}/secrets/someone-elses`),
      'an unmanaged Secret stays',
    );
    assert.ok(
      await cp.client.find(`/api/v1/namespaces/${NS}/secrets/managed-long`),
      'a managed Secret with time left stays',
    );
    assert.ok(
      logger.lines.every((l) => !JSON.stringify(l).includes('auths')),
      'no Secret data in the logs',
    );
  });
});
