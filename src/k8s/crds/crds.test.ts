// The thirteen CRDs on the real API server: installed with kubectl, established, a VulnerabilityReport with
// every field round-trips, printer columns as Trivy Operator's, and the VulnerabilityScanner's validation,
// status subresource and columns.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { type ControlPlane, startControlPlane } from '../../../test/env/control-plane.js';
import { waitFor } from '../../../test/env/net.js';
import { KubeApiError } from '../errors.js';
import type { KubeObject } from '../kube-client.js';
import { collectionPath, objectPath } from '../resource.js';
import { stopInOrder } from '../testkit.js';
import {
  AQUASECURITY_API_VERSION,
  CRON_SCHEDULE_PATTERN,
  MANAGED_BY_VALUE,
  REPORT_ANNOTATIONS,
  REPORT_LABELS,
  VULNERABILITY_REPORT,
  VULNERABILITY_SCANNER,
  type VulnerabilityReport,
  type VulnerabilityScanner,
} from './index.js';

const execFileAsync = promisify(execFile);
const CRD_DIR = fileURLToPath(new URL('../../../../deploy/crds/', import.meta.url));
const NS = 'crd-test';

const VALID_SCHEDULES = [
  '0 2 * * *',
  '*/15 0-6,22-23 * jan-mar mon-fri',
  '@daily',
  '@hourly',
  '0 0 ? * SUN',
  '5 4 1,15 */2 0-6/2',
  '59 23 31 12 7',
  '0\t3 * * *',
];
const INVALID_SCHEDULES = [
  '61 * * * *',
  '0 24 * * *',
  '0 0 32 * *',
  '0 0 * 13 *',
  '0 0 * * 8',
  '*/0 * * * *',
  '* * * *',
  '* * * * * *',
  'every day',
  '@reboot',
  ' 0 2 * * *',
  '',
];

interface Crd extends KubeObject {
  spec: { names: { kind: string; plural: string }; scope: string };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

/** kubectl's table as rows of cells (columns are separated by at least two spaces). */
function table(output: string): string[][] {
  return output
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s{2,}/));
}

function fullReport(ownerUid: string): VulnerabilityReport {
  return {
    apiVersion: AQUASECURITY_API_VERSION,
    kind: 'VulnerabilityReport',
    metadata: {
      name: 'replicaset-nginx-6d4cf56db6-nginx',
      namespace: NS,
      labels: {
        [REPORT_LABELS.resourceKind]: 'ReplicaSet',
        [REPORT_LABELS.resourceName]: 'nginx-6d4cf56db6',
        [REPORT_LABELS.resourceNamespace]: NS,
        [REPORT_LABELS.containerName]: 'nginx',
        [REPORT_LABELS.resourceSpecHash]: '7cb64cb677',
        [REPORT_LABELS.managedBy]: MANAGED_BY_VALUE,
      },
      annotations: { [REPORT_ANNOTATIONS.reportTTL]: '24h0m0s' },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'nginx-6d4cf56db6',
          uid: ownerUid,
          controller: true,
          blockOwnerDeletion: false,
        },
      ],
    },
    report: {
      updateTimestamp: '2026-01-02T03:04:05Z',
      scanner: { name: 'Trivy', vendor: 'Aqua Security', version: '0.72.0' },
      registry: { server: 'index.docker.io' },
      artifact: {
        repository: 'library/nginx',
        tag: '1.16',
        digest: 'sha256:d20aa6d1cae56fd17cd458f4807e0de462caf2336f0b70b5eeb69fcaaf30dd9c',
        mimeType: 'application/vnd.docker.distribution.manifest.v2+json',
      },
      os: { family: 'debian', name: '10.3', eosl: true },
      summary: { criticalCount: 1, highCount: 2, mediumCount: 0, lowCount: 1, unknownCount: 0, noneCount: 0 },
      vulnerabilities: [
        {
          vulnerabilityID: 'CVE-2019-20367',
          resource: 'libbsd0',
          installedVersion: '0.9.1-2',
          fixedVersion: '0.9.1-2+deb10u1',
          publishedDate: '2020-01-08T21:15:00Z',
          lastModifiedDate: '2021-01-25T19:15:00Z',
          severity: 'CRITICAL',
          title: 'nlist.c in libbsd before 0.10.0 has an out-of-bounds read',
          primaryLink: 'https://avd.aquasec.com/nvd/cve-2019-20367',
          links: ['https://security-tracker.debian.org/tracker/CVE-2019-20367'],
          score: 9.1,
          target: 'library/nginx:1.16 (debian 10.3)',
          class: 'os-pkgs',
          packageType: 'debian',
          packagePath: '',
          packagePURL: 'pkg:deb/debian/libbsd0@0.9.1-2?arch=amd64&distro=debian-10.3',
          description: 'nlist.c in libbsd before 0.10.0 has an out-of-bounds read during a comparison.',
          cvsssource: 'nvd',
          cvss: {
            nvd: {
              V2Score: 6.4,
              V2Vector: 'AV:N/AC:L/Au:N/C:P/I:N/A:P',
              V3Score: 9.1,
              V3Vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:H',
            },
            redhat: { V40Score: 8.2, V40Vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N' },
          },
        },
        {
          vulnerabilityID: 'CVE-2020-1967',
          resource: 'libssl1.1',
          installedVersion: '1.1.1d-0+deb10u2',
          fixedVersion: '1.1.1d-0+deb10u3',
          publishedDate: '2020-04-21T14:15:00Z',
          lastModifiedDate: '2021-10-19T14:15:00Z',
          severity: 'HIGH',
          title: 'openssl: Segmentation fault in SSL_check_chain',
          links: [],
        },
        {
          vulnerabilityID: 'CVE-2023-0001',
          resource: 'zlib1g',
          installedVersion: '1:1.2.11.dfsg-1',
          fixedVersion: '',
          publishedDate: '',
          lastModifiedDate: '',
          severity: 'HIGH',
          title: '',
          links: [],
        },
        {
          vulnerabilityID: 'CVE-2011-3374',
          resource: 'apt',
          installedVersion: '1.8.2',
          fixedVersion: '',
          publishedDate: '2019-11-26T00:15:00Z',
          lastModifiedDate: '2021-02-09T16:08:00Z',
          severity: 'LOW',
          title: 'It was found that apt-key in apt, all versions, do not correctly...',
          primaryLink: 'https://avd.aquasec.com/nvd/cve-2011-3374',
          links: [],
        },
      ],
    },
  };
}

describe('CRD files', () => {
  test('the twelve vendored Trivy Operator CRDs are byte for byte the ones recorded in the README', async () => {
    const readme = await readFile(join(CRD_DIR, 'README.md'), 'utf8');
    const recorded = new Map(
      [...readme.matchAll(/^\| `(\w+\.yaml)`\s*\|[^|]+\|[^|]+\| `([0-9a-f]{12})`/gm)].map((m) => [
        `aquasecurity.github.io_${m[1]}`,
        m[2],
      ]),
    );
    assert.equal(recorded.size, 12);
    const files = (await readdir(CRD_DIR)).filter((f) => f.endsWith('.yaml'));
    assert.equal(files.length, 13);
    for (const [file, hash] of recorded) {
      const digest = createHash('sha256')
        .update(await readFile(join(CRD_DIR, file)))
        .digest('hex');
      assert.equal(digest.slice(0, 12), hash, `${file} was changed`);
    }
  });

  test('the VulnerabilityScanner schedule pattern in the YAML is the one the code builds, and it judges cron lines', async () => {
    const crd = parse(
      await readFile(join(CRD_DIR, 'aquasecurity.github.io_vulnerabilityscanners.yaml'), 'utf8'),
    );
    const schedule = crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.schedule;
    assert.equal(schedule.pattern, CRON_SCHEDULE_PATTERN);
    const pattern = new RegExp(CRON_SCHEDULE_PATTERN);
    for (const s of VALID_SCHEDULES) assert.ok(pattern.test(s), `accepts ${JSON.stringify(s)}`);
    for (const s of INVALID_SCHEDULES) assert.ok(!pattern.test(s), `rejects ${JSON.stringify(s)}`);
  });
});

describe('CRDs on the real API server', () => {
  let cp: ControlPlane;
  const kubectl = async (...args: string[]) =>
    (await execFileAsync(join(cp.binDir, 'kubectl'), ['--kubeconfig', cp.kubeconfigPath, ...args])).stdout;

  before(async () => {
    cp = await startControlPlane();
    await cp.client.create('/api/v1/namespaces', { metadata: { name: NS } });
  });

  after(async () => {
    if (cp) await stopInOrder(cp);
  });

  test('kubectl apply -f deploy/crds installs 13 CRDs and all become Established', async () => {
    const applied = await kubectl('apply', '-f', CRD_DIR);
    assert.equal(applied.trim().split('\n').length, 13, applied);
    await waitFor(
      'every CRD to be Established',
      async () => {
        const crds = await cp.client.list<Crd>('/apis/apiextensions.k8s.io/v1/customresourcedefinitions');
        const ours = crds.items.filter((c) => c.metadata?.name?.endsWith('.aquasecurity.github.io'));
        return (
          ours.length === 13 &&
          ours.every((c) =>
            c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True'),
          )
        );
      },
      { timeoutMs: 30_000 },
    );
    const crds = await cp.client.list<Crd>('/apis/apiextensions.k8s.io/v1/customresourcedefinitions');
    const kinds = crds.items
      .filter((c) => c.metadata?.name?.endsWith('.aquasecurity.github.io'))
      .map((c) => `${c.spec.names.kind}:${c.spec.scope}`)
      .sort();
    assert.deepEqual(kinds, [
      'ClusterComplianceReport:Cluster',
      'ClusterConfigAuditReport:Cluster',
      'ClusterInfraAssessmentReport:Cluster',
      'ClusterRbacAssessmentReport:Cluster',
      'ClusterSbomReport:Cluster',
      'ClusterVulnerabilityReport:Cluster',
      'ConfigAuditReport:Namespaced',
      'ExposedSecretReport:Namespaced',
      'InfraAssessmentReport:Namespaced',
      'RbacAssessmentReport:Namespaced',
      'SbomReport:Namespaced',
      'VulnerabilityReport:Namespaced',
      'VulnerabilityScanner:Cluster',
    ]);
    // Discovery can trail Established by a moment; kubectl needs it for the next tests.
    await waitFor(
      'discovery of the new kinds',
      async () =>
        (await kubectl('api-resources', '--api-group=aquasecurity.github.io')).includes(
          'vulnerabilityscanners',
        ),
      {
        timeoutMs: 20_000,
      },
    );
  });

  test("a VulnerabilityReport with every field of the schema round-trips; kubectl -o wide shows Trivy Operator's columns", async () => {
    const owner = await cp.client.create<KubeObject>(`/apis/apps/v1/namespaces/${NS}/replicasets`, {
      metadata: { name: 'nginx-6d4cf56db6', namespace: NS },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'nginx' } },
        template: {
          metadata: { labels: { app: 'nginx' } },
          spec: { containers: [{ name: 'nginx', image: 'nginx:1.16' }] },
        },
      },
    });
    const sent = fullReport(owner.metadata!.uid!);
    await cp.client.create(collectionPath(VULNERABILITY_REPORT, NS), sent);
    const back = await cp.client.get<VulnerabilityReport>(
      objectPath(VULNERABILITY_REPORT, sent.metadata.name, NS),
    );
    assert.deepEqual(back.report, sent.report, 'every field kept, nothing pruned or defaulted');
    assert.deepEqual(back.metadata.labels, sent.metadata.labels);
    assert.deepEqual(back.metadata.annotations, sent.metadata.annotations);
    assert.deepEqual(back.metadata.ownerReferences, sent.metadata.ownerReferences);

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
    const row = wide[1]!;
    assert.deepEqual(
      [...row.slice(0, 4), ...row.slice(5)],
      [sent.metadata.name, 'library/nginx', '1.16', 'Trivy', '1', '2', '0', '1', '0'],
    );
    assert.match(row[4]!, /^\d+s$/);
    const narrow = table(await kubectl('get', 'vuln', '-n', NS));
    assert.deepEqual(
      narrow[0],
      ['NAME', 'REPOSITORY', 'TAG', 'SCANNER', 'AGE'],
      'the short name works; counts only with -o wide',
    );

    const cluster = {
      ...sent,
      kind: 'ClusterVulnerabilityReport',
      metadata: { name: 'k8s-cluster-kube-apiserver' },
    };
    await cp.client.create('/apis/aquasecurity.github.io/v1alpha1/clustervulnerabilityreports', cluster);
    const clusterWide = table(await kubectl('get', 'clustervulnerabilityreports', '-o', 'wide'));
    assert.deepEqual(clusterWide[0], wide[0]);

    // The schema is enforced: an unknown severity is refused.
    const bad = fullReport(owner.metadata!.uid!);
    bad.metadata.name = 'bad-severity';
    bad.report.vulnerabilities[0]!.severity = 'SEVERE' as never;
    await assert.rejects(
      cp.client.create(collectionPath(VULNERABILITY_REPORT, NS), bad),
      (e: unknown) => e instanceof KubeApiError && e.status === 422,
    );
  });

  test('the API server accepts valid VulnerabilityScanner schedules and time zones and rejects invalid ones', async () => {
    const path = collectionPath(VULNERABILITY_SCANNER);
    const scanner = (name: string, spec: Partial<VulnerabilityScanner['spec']>) => ({
      apiVersion: AQUASECURITY_API_VERSION,
      kind: 'VulnerabilityScanner',
      metadata: { name },
      spec,
    });
    for (const [i, schedule] of VALID_SCHEDULES.entries())
      await cp.client.create(path, scanner(`valid-${i}`, { schedule }));
    for (const [i, schedule] of INVALID_SCHEDULES.entries()) {
      await assert.rejects(
        cp.client.create(path, scanner(`invalid-${i}`, { schedule })),
        (e: unknown) => e instanceof KubeApiError && e.status === 422 && e.message.includes('spec.schedule'),
        `schedule ${JSON.stringify(schedule)} must be refused`,
      );
    }
    await assert.rejects(
      cp.client.create(path, scanner('no-schedule', {})),
      (e: unknown) => e instanceof KubeApiError && e.status === 422,
    );
    for (const [i, timeZone] of [
      'Europe/Berlin',
      'America/Argentina/Buenos_Aires',
      'Etc/GMT+5',
      'UTC',
    ].entries())
      await cp.client.create(path, scanner(`tz-${i}`, { schedule: '0 2 * * *', timeZone }));
    for (const timeZone of ['Not a zone', '../etc/passwd', 'Europe/'])
      await assert.rejects(
        cp.client.create(path, scanner('bad-tz', { schedule: '0 2 * * *', timeZone })),
        (e: unknown) => e instanceof KubeApiError && e.status === 422 && e.message.includes('spec.timeZone'),
      );
    await assert.rejects(
      cp.client.create(
        path,
        scanner('bad-selector', {
          schedule: '0 2 * * *',
          namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'Matches' as never }] },
        }),
      ),
      (e: unknown) => e instanceof KubeApiError && e.status === 422,
    );
    const defaulted = await cp.client.get<VulnerabilityScanner>(objectPath(VULNERABILITY_SCANNER, 'valid-0'));
    assert.equal(defaulted.spec.suspend, false, 'suspend defaults to false');
  });

  test('the status subresource is separate from the spec; kubectl -o wide shows the scanner columns', async () => {
    const created = await cp.client.create<VulnerabilityScanner>(collectionPath(VULNERABILITY_SCANNER), {
      apiVersion: AQUASECURITY_API_VERSION,
      kind: 'VulnerabilityScanner',
      metadata: { name: 'nightly' },
      spec: {
        schedule: '0 2 * * *',
        timeZone: 'Europe/Berlin',
        namespaceSelector: { matchLabels: { scan: 'yes' } },
        status: { ignored: true },
      },
      status: { workloads: { queued: 99 } },
    });
    assert.equal(created.status, undefined, 'status is not written through the main resource');
    assert.equal(
      (created.spec as unknown as Record<string, unknown>).status,
      undefined,
      'unknown spec fields are pruned',
    );
    const lastScheduleTime = new Date(Date.now() - 5 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const status = {
      lastScheduleTime,
      nextScheduleTime: '2030-01-02T01:00:00Z',
      workloads: { queued: 3, scanned: 10, failed: 1 },
      observedGeneration: 1,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'ScheduleValid',
          message: '',
          lastTransitionTime: lastScheduleTime,
          observedGeneration: 1,
        },
      ],
    };
    const updated = await cp.client.replace<VulnerabilityScanner>(
      objectPath(VULNERABILITY_SCANNER, 'nightly', undefined, 'status'),
      {
        ...created,
        spec: { ...created.spec, schedule: '* * * * *' },
        status,
      },
    );
    assert.deepEqual(updated.status, status);
    assert.equal(updated.spec.schedule, '0 2 * * *', 'a status update does not touch the spec');
    assert.equal(updated.metadata.generation, 1);

    const respec = await cp.client.replace<VulnerabilityScanner>(
      objectPath(VULNERABILITY_SCANNER, 'nightly'),
      {
        ...updated,
        spec: { ...updated.spec, suspend: true },
        status: { workloads: { queued: 0 } },
      },
    );
    assert.equal(respec.spec.suspend, true);
    assert.deepEqual(respec.status, status, 'a spec update does not touch the status');
    assert.equal(respec.metadata.generation, 2, 'spec changes bump the generation');
    await assert.rejects(
      cp.client.replace(objectPath(VULNERABILITY_SCANNER, 'nightly', undefined, 'status'), {
        ...respec,
        status: { workloads: { queued: -1 } },
      }),
      (e: unknown) => e instanceof KubeApiError && e.status === 422,
    );

    const narrow = table(await kubectl('get', 'vulnerabilityscanners', 'nightly'));
    assert.deepEqual(narrow[0], ['NAME', 'SCHEDULE', 'SUSPEND', 'LAST SCHEDULE', 'NEXT SCHEDULE', 'AGE']);
    const wide = table(await kubectl('get', 'vulnerabilityscanners', 'nightly', '-o', 'wide'));
    assert.deepEqual(wide[0], [
      'NAME',
      'SCHEDULE',
      'SUSPEND',
      'LAST SCHEDULE',
      'NEXT SCHEDULE',
      'AGE',
      'QUEUED',
      'SCANNED',
      'FAILED',
    ]);
    const row = wide[1]!;
    assert.deepEqual(
      [row[0], row[1], row[2], row[4], row[6], row[7], row[8]],
      ['nightly', '0 2 * * *', 'true', '2030-01-02T01:00:00Z', '3', '10', '1'],
    );
    assert.match(row[3]!, /^(4m5\ds|5m\d*s?)$/, 'Last Schedule shows as an age');
    assert.match(row[5]!, /^\d+s$/);
  });
});
