// The workload reconciler's decisions. The caches are plain objects (what the informers would hold), so each
// test sets up exactly the state it is about; writes (reports, Jobs, TTL patches) go to a real API server,
// where the assertions read them back. Pods that own written reports exist on the server too, so the garbage
// collector leaves those reports alone.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type ControlPlane, startControlPlane } from '../../../test/env/control-plane.js';
import { waitFor } from '../../../test/env/net.js';
import {
  REPORT_ANNOTATIONS,
  REPORT_LABELS,
  VULNERABILITY_REPORT,
  type VulnerabilityReport,
  type VulnerabilityScanner,
} from '../../k8s/crds/index.js';
import {
  byControllerUid,
  collectionPath,
  type Informer,
  type KubeClient,
  type KubeObject,
  objectKey,
  objectPath,
  silentLogger,
} from '../../k8s/index.js';
import { createFakeClock, stopInOrder } from '../../k8s/testkit.js';
import { slimReport } from '../cache-transforms.js';
import { createScanCoordinator, JOB_IMAGE_KEYS_ANNOTATION } from '../coordinator.js';
import {
  buildReportData,
  buildVulnerabilityReport,
  failedReportData,
  type ReportScanStatus,
} from '../report/index.js';
import { hugeTrivyReport } from '../report/testkit.js';
import { type Job, jobOutcome, type ScanJobConfig } from '../scan-job/index.js';
import { imageKey, type PodSpec, specHash, WORKLOAD_KINDS, type WorkloadKind } from '../workload/index.js';
import {
  CONTROLLER_INDEX,
  createWorkloadReconciler,
  type OperatorCaches,
  reportIndexers,
  reusedReportData,
  type WorkloadSettings,
  writeReport,
} from './workload.js';

const execFileAsync = promisify(execFile);
const CRDS = ['vulnerabilityreports', 'vulnerabilityscanners'].map((plural) =>
  fileURLToPath(new URL(`../../../../deploy/crds/aquasecurity.github.io_${plural}.yaml`, import.meta.url)),
);
const NS = 'wl-test';
const EXCLUDED = 'wl-excluded';
const OPERATOR_NS = 'wl-system';
const RETRY_MS = 30_000;
// Whole seconds, as the API server's timestamps are.
const NOW = Math.floor(Date.now() / 1000) * 1000;
const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const digest = (c: string) => `sha256:${c.repeat(64)}`;

const SETTINGS: WorkloadSettings = {
  operatorNamespace: OPERATOR_NS,
  targetKinds: ['Pod', 'ReplicaSet'],
  namespaceInScope: (namespace) => namespace !== EXCLUDED,
  skipResourceByLabels: [],
  scanOnlyCurrentRevisions: true,
  skipInitContainers: false,
  excludeImages: [],
  vulnerabilityScannerEnabled: true,
  retryDelayMs: RETRY_MS,
  retryMaxDelayMs: 3_600_000,
  resourceLabels: [],
  additionalLabels: {},
  privateRegistryScanSecretsNames: {},
  accessGlobalSecretsAndServiceAccount: true,
};

const JOB_CONFIG: ScanJobConfig = {
  operatorNamespace: OPERATOR_NS,
  serviceAccount: 'vigil-operator',
  scannerImage: 'ghcr.io/vigil/vigil:1.0.0',
  imagePullPolicy: 'IfNotPresent',
  mode: 'ClientServer',
  serverURL: 'http://trivy-service.wl-system:4975',
  hasServerToken: false,
  hasCustomHeaders: false,
  serverInsecure: false,
  dbRepository: 'mirror.gcr.io/aquasec/trivy-db',
  dbRepositoryInsecure: false,
  insecureRegistries: [],
  nonSslRegistries: [],
  registryMirrors: {},
  timeoutMs: 300_000,
  compressLogs: true,
};

/** An Informer over a plain array: what a synced informer would hold, without a watch. */
function memoryInformer<T extends KubeObject>(
  indexers: Record<string, (object: T) => string[]> = {},
): Informer<T> & { items: T[] } {
  const items: T[] = [];
  return {
    items,
    start: () => {},
    stop: async () => {},
    hasSynced: () => true,
    waitForSync: async () => true,
    addEventHandler: () => () => {},
    get: (key) => items.find((o) => objectKey(o) === key),
    list: (namespace) =>
      namespace === undefined ? [...items] : items.filter((o) => (o.metadata?.namespace ?? '') === namespace),
    keys: () => items.map(objectKey),
    byIndex: (index, value) => items.filter((o) => indexers[index]?.(o).includes(value)),
    lastResourceVersion: () => undefined,
  };
}

function memoryCaches() {
  const workloads = Object.fromEntries(
    WORKLOAD_KINDS.map((kind) => [kind, memoryInformer<KubeObject>({ [CONTROLLER_INDEX]: byControllerUid })]),
  ) as Record<WorkloadKind, ReturnType<typeof memoryInformer<KubeObject>>>;
  return {
    workloads,
    deployments: memoryInformer<KubeObject>(),
    scanJobs: memoryInformer<Job>(),
    reports: memoryInformer<VulnerabilityReport>(reportIndexers),
    scanners: memoryInformer<VulnerabilityScanner>(),
    namespaces: memoryInformer<KubeObject>(),
  } satisfies OperatorCaches;
}

describe('workload reconciler decisions (plain caches, real API server for writes)', () => {
  let cp: ControlPlane;

  before(async () => {
    cp = await startControlPlane();
    for (const crd of CRDS)
      await execFileAsync(join(cp.binDir, 'kubectl'), [
        '--kubeconfig',
        cp.kubeconfigPath,
        'apply',
        '-f',
        crd,
      ]);
    for (const name of [NS, EXCLUDED, OPERATOR_NS])
      await cp.client.create('/api/v1/namespaces', { metadata: { name } });
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
    if (cp) await stopInOrder(cp);
  });

  function setup(
    options: {
      limit?: number;
      settings?: Partial<WorkloadSettings>;
      serverUp?: boolean;
      client?: KubeClient;
    } = {},
  ) {
    const caches = memoryCaches();
    const clock = createFakeClock(NOW);
    const serverUp = options.serverUp;
    const coordinator = createScanCoordinator({
      limit: options.limit ?? 10,
      jobs: () => caches.scanJobs.list(),
      isActive: (job) => jobOutcome(job) === 'active',
      clock,
      logger: silentLogger,
    });
    const counts = { deferred: 0, reused: 0, written: [] as string[] };
    const reconcile = createWorkloadReconciler({
      client: options.client ?? cp.client,
      clock,
      logger: silentLogger,
      caches,
      coordinator,
      settings: { ...SETTINGS, ...options.settings },
      scanJobConfig: JOB_CONFIG,
      metrics: {
        scanDeferred: () => counts.deferred++,
        resultReused: () => counts.reused++,
        reportWritten: (phase) => counts.written.push(phase),
      },
      ...(serverUp === undefined ? {} : { serverHealth: { isUp: async () => serverUp } }),
    });
    return { caches, clock, coordinator, reconcile, counts };
  }

  /** A bare Pod created on the server (so reports it owns survive) and put into the plain cache. */
  async function pod(
    caches: ReturnType<typeof memoryCaches>,
    name: string,
    image: string,
    namespace = NS,
  ): Promise<KubeObject> {
    const created = await cp.client.create<KubeObject>(`/api/v1/namespaces/${namespace}/pods`, {
      metadata: { name, namespace },
      spec: { containers: [{ name: 'app', image }] },
    });
    caches.workloads.Pod.items.push(created);
    return created;
  }

  const hashOf = (object: KubeObject) => specHash((object as unknown as { spec: PodSpec }).spec);

  function report(
    owner: KubeObject,
    kind: WorkloadKind,
    image: string,
    status: ReportScanStatus,
    hash = hashOf(owner),
  ): VulnerabilityReport {
    return buildVulnerabilityReport({
      owner: {
        apiVersion: kind === 'Pod' ? 'v1' : 'apps/v1',
        kind,
        name: owner.metadata?.name ?? '',
        namespace: owner.metadata?.namespace ?? '',
        uid: owner.metadata?.uid ?? '',
      },
      container: 'app',
      specHash: hash,
      image,
      imageKey: imageKey(image),
      data: failedReportData({
        image,
        now: new Date(Date.parse(status.lastScanTime)),
        scannerVersion: '1.0.0',
      }),
      status,
      resourceLabels: [],
      additionalLabels: {},
    });
  }

  async function jobsFor(name: string): Promise<Job[]> {
    const jobs = await cp.client.list<Job>(`/apis/batch/v1/namespaces/${OPERATOR_NS}/jobs`);
    return jobs.items.filter((j) => j.metadata.labels?.[REPORT_LABELS.resourceName] === name);
  }

  async function reportsOf(name: string, namespace = NS): Promise<VulnerabilityReport[]> {
    const list = await cp.client.list<VulnerabilityReport>(collectionPath(VULNERABILITY_REPORT, namespace));
    return list.items.filter((r) => r.metadata.labels?.[REPORT_LABELS.resourceName] === name);
  }

  test('a current report: no Job, nothing written', async () => {
    const { caches, reconcile, counts } = setup();
    const image = `registry.example.com/app@${digest('a')}`;
    const p = await pod(caches, 'current', image);
    caches.reports.items.push(report(p, 'Pod', image, { phase: 'Succeeded', lastScanTime: rfc3339(NOW) }));
    assert.equal(await reconcile('Pod/wl-test/current'), undefined);
    assert.deepEqual(await jobsFor('current'), []);
    assert.deepEqual(counts.written, []);
  });

  test('a fresh result of the same image elsewhere: this workload gets its report from it, no Job', async () => {
    const { caches, reconcile, counts } = setup();
    // The source runs the image pinned by digest; this workload runs it by tag, and its pod reports the digest.
    const pinned = `registry.example.com/shared@${digest('b')}`;
    const tagged = 'registry.example.com/shared:1.0';
    const first = await pod(caches, 'shared-first', pinned);
    const second = await pod(caches, 'shared-second', tagged);
    second.status = {
      containerStatuses: [
        { name: 'app', image: tagged, imageID: `registry.example.com/shared@${digest('b')}` },
      ],
    };
    const source = await cp.client.create<VulnerabilityReport>(
      collectionPath(VULNERABILITY_REPORT, NS),
      buildVulnerabilityReport({
        owner: {
          apiVersion: 'v1',
          kind: 'Pod',
          name: 'shared-first',
          namespace: NS,
          uid: first.metadata?.uid ?? '',
        },
        container: 'app',
        specHash: hashOf(first),
        image: pinned,
        imageKey: imageKey(pinned),
        data: buildReportData(hugeTrivyReport(7), {
          image: pinned,
          additionalFields: [],
          now: new Date(NOW - 5_000),
          scannerVersion: '1.0.0',
        }),
        status: { phase: 'Succeeded', lastScanTime: rfc3339(NOW - 5_000) },
        resourceLabels: [],
        additionalLabels: {},
      }),
    );
    // The cache holds it as the operator's does: without findings, so the reconciler must read it whole.
    caches.reports.items.push(slimReport({ keepFindingsForMetrics: false })(source));
    assert.equal(await reconcile('Pod/wl-test/shared-second'), undefined);
    assert.deepEqual(await jobsFor('shared-second'), []);
    const [written] = await reportsOf('shared-second');
    assert.ok(written, 'the second workload has a report');
    assert.equal(written.metadata.labels?.[REPORT_LABELS.resourceSpecHash], hashOf(second));
    assert.equal(written.metadata.annotations?.['vigil.aquasecurity.github.io/image-key'], imageKey(pinned));
    assert.equal((written as { status?: { phase?: string } }).status?.phase, 'Succeeded');
    assert.equal(written.metadata.ownerReferences?.[0]?.uid, second.metadata?.uid);
    // Its own image identity (the tag it runs), the source's findings, os, summary and time.
    assert.deepEqual(written.report.registry, { server: 'registry.example.com' });
    assert.deepEqual(written.report.artifact, { repository: 'shared', tag: '1.0', digest: digest('b') });
    assert.deepEqual(source.report.artifact, { repository: 'shared', digest: digest('b') });
    assert.equal(written.report.vulnerabilities.length, 7);
    assert.deepEqual(written.report.vulnerabilities, source.report.vulnerabilities);
    assert.deepEqual(written.report.summary, source.report.summary);
    assert.deepEqual(written.report.os, source.report.os);
    assert.equal(written.report.updateTimestamp, source.report.updateTimestamp);
    assert.equal(counts.reused, 1);
    assert.deepEqual(counts.written, ['Succeeded']);
  });

  test('workloads sharing one source read it once per resourceVersion', async () => {
    const reads: string[] = [];
    const counting: KubeClient = Object.assign(Object.create(null), cp.client, {
      find(path: string, ...rest: unknown[]) {
        reads.push(path);
        return (cp.client.find as (...a: unknown[]) => unknown)(path, ...rest);
      },
    }) as KubeClient;
    const { caches, reconcile, counts } = setup({ client: counting });
    const image = `registry.example.com/burst@${digest('e')}`;
    const first = await pod(caches, 'burst-0', image);
    const source = await cp.client.create<VulnerabilityReport>(
      collectionPath(VULNERABILITY_REPORT, NS),
      report(first, 'Pod', image, { phase: 'Succeeded', lastScanTime: rfc3339(NOW - 5_000) }),
    );
    caches.reports.items.push(slimReport({ keepFindingsForMetrics: false })(source));
    for (const name of ['burst-1', 'burst-2', 'burst-3']) {
      await pod(caches, name, image);
      assert.equal(await reconcile(`Pod/wl-test/${name}`), undefined);
      const [written] = await reportsOf(name);
      assert.deepEqual(written?.report.vulnerabilities, source.report.vulnerabilities, name);
    }
    const sourceReads = () => reads.filter((p) => p.endsWith(`/${source.metadata.name}`)).length;
    assert.equal(sourceReads(), 1, 'one read for three reuses');
    assert.equal(counts.reused, 3);

    // A new version of the source is read again.
    const changed = await cp.client.patch<VulnerabilityReport>(
      objectPath(VULNERABILITY_REPORT, source.metadata.name, NS),
      { metadata: { labels: { touched: 'yes' } } },
      'application/merge-patch+json',
    );
    caches.reports.items.splice(
      caches.reports.items.findIndex((r) => r.metadata.name === source.metadata.name),
      1,
      slimReport({ keepFindingsForMetrics: false })(changed),
    );
    await pod(caches, 'burst-4', image);
    assert.equal(await reconcile('Pod/wl-test/burst-4'), undefined);
    assert.equal(sourceReads(), 2);
    assert.equal((await reportsOf('burst-4')).length, 1);
  });

  test('a shared result deleted before it is read: nothing written, planned again in a second', async () => {
    const { caches, reconcile, counts } = setup();
    const image = `registry.example.com/vanished@${digest('9')}`;
    const first = await pod(caches, 'vanished-first', image);
    await pod(caches, 'vanished-second', image);
    // Only in the (stale) cache: the API server no longer has it.
    caches.reports.items.push(
      report(first, 'Pod', image, { phase: 'Succeeded', lastScanTime: rfc3339(NOW) }),
    );
    const stale = caches.reports.items.at(-1)!;
    stale.report.updateTimestamp = rfc3339(NOW);
    assert.deepEqual(await reconcile('Pod/wl-test/vanished-second'), { requeueAfterMs: 1_000 });
    assert.deepEqual(await reportsOf('vanished-second'), []);
    assert.equal(counts.reused, 0);
  });

  test('writeReport: a FAILED rescan over a cached (finding-less) report keeps the stored findings', async () => {
    const image = `registry.example.com/rescan@${digest('8')}`;
    const { caches } = setup();
    const p = await pod(caches, 'rescan', image);
    const owner = {
      apiVersion: 'v1',
      kind: 'Pod',
      name: 'rescan',
      namespace: NS,
      uid: p.metadata?.uid ?? '',
    };
    const common = {
      owner,
      container: 'app',
      specHash: hashOf(p),
      image,
      imageKey: imageKey(image),
      resourceLabels: [],
      additionalLabels: {},
    };
    const good = await cp.client.create<VulnerabilityReport>(
      collectionPath(VULNERABILITY_REPORT, NS),
      buildVulnerabilityReport({
        ...common,
        data: buildReportData(hugeTrivyReport(3), {
          image,
          additionalFields: ['Description', 'Links', 'CVSS'],
          now: new Date(NOW - 60_000),
          scannerVersion: '1.0.0',
        }),
        status: { phase: 'Succeeded', lastScanTime: rfc3339(NOW - 60_000) },
      }),
    );
    const failed = buildVulnerabilityReport({
      ...common,
      data: failedReportData({ image, now: new Date(NOW), scannerVersion: '1.0.0' }),
      status: { phase: 'FAILED', reason: 'ScanFailed', message: 'boom', lastScanTime: rfc3339(NOW) },
    });
    const written = await writeReport(cp.client, failed, slimReport({ keepFindingsForMetrics: true })(good));
    assert.equal((written as { status?: { phase?: string } }).status?.phase, 'FAILED');
    assert.deepEqual(written.report.vulnerabilities, good.report.vulnerabilities, 'findings kept whole');
    assert.ok(written.report.vulnerabilities[0]?.description, 'not the cached projection');
  });

  test('a FAILED report not due yet: requeued until the retry time, then scanned', async () => {
    const { caches, clock, reconcile } = setup();
    const image = `registry.example.com/broken@${digest('c')}`;
    const p = await pod(caches, 'failed', image);
    // Second failure 10 s ago: due at lastScanTime + 30 s × 2.
    caches.reports.items.push(
      report(p, 'Pod', image, {
        phase: 'FAILED',
        reason: 'ScanFailed',
        message: 'registry unreachable',
        lastScanTime: rfc3339(NOW - 10_000),
        failedAttempts: 2,
      }),
    );
    assert.deepEqual(await reconcile('Pod/wl-test/failed'), { requeueAfterMs: 50_000 });
    assert.deepEqual(await jobsFor('failed'), []);
    await clock.advance(50_000);
    assert.equal(await reconcile('Pod/wl-test/failed'), undefined);
    const jobs = await jobsFor('failed');
    assert.equal(jobs.length, 1, 'due: one scan Job');
    assert.deepEqual(JSON.parse(jobs[0]?.metadata.annotations?.[JOB_IMAGE_KEYS_ANNOTATION] ?? '{}'), {
      app: imageKey(image),
    });
  });

  test('an image another Job is scanning: the workload waits and is woken when that Job ends', async () => {
    const { caches, coordinator, reconcile, counts } = setup();
    const image = `registry.example.com/busy@${digest('d')}`;
    await pod(caches, 'waiting', image);
    caches.scanJobs.items.push({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: 'scan-vulnerabilityreport-other',
        namespace: OPERATOR_NS,
        annotations: { [JOB_IMAGE_KEYS_ANNOTATION]: JSON.stringify({ app: imageKey(image) }) },
      },
      spec: { template: { spec: { containers: [] } } },
      status: {},
    });
    assert.equal(await reconcile('Pod/wl-test/waiting'), undefined, 'no requeue: the Job end wakes it');
    assert.deepEqual(await jobsFor('waiting'), []);
    assert.equal(counts.deferred, 0);
    assert.deepEqual(coordinator.finished('scan-vulnerabilityreport-other', [imageKey(image)]), [
      'Pod/wl-test/waiting',
    ]);
  });

  test('the concurrency limit reached: requeued after scanJobsRetryDelay, in the deferred line, no Job', async () => {
    const { caches, coordinator, reconcile, counts } = setup({ limit: 1 });
    caches.scanJobs.items.push({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: 'scan-vulnerabilityreport-busy',
        namespace: OPERATOR_NS,
        annotations: { [JOB_IMAGE_KEYS_ANNOTATION]: JSON.stringify({ app: 'registry.example.com/x:1' }) },
      },
      spec: { template: { spec: { containers: [] } } },
      status: {},
    });
    await pod(caches, 'limited', `registry.example.com/limited@${digest('e')}`);
    assert.deepEqual(await reconcile('Pod/wl-test/limited'), { requeueAfterMs: RETRY_MS });
    assert.deepEqual(await jobsFor('limited'), []);
    assert.equal(counts.deferred, 1);
    assert.deepEqual(coordinator.deferred(), ['Pod/wl-test/limited']);
  });

  test('an excluded namespace: nothing, even when a report event enqueues the workload', async () => {
    const { caches, reconcile, counts } = setup();
    const image = `registry.example.com/excluded@${digest('f')}`;
    const p = await pod(caches, 'outside', image, EXCLUDED);
    // A FAILED report long due: it is what would make the reconciler act, were the namespace in scope.
    caches.reports.items.push(
      report(p, 'Pod', image, {
        phase: 'FAILED',
        lastScanTime: rfc3339(NOW - 86_400_000),
        failedAttempts: 1,
      }),
    );
    assert.equal(await reconcile(`Pod/${EXCLUDED}/outside`), undefined);
    assert.deepEqual(await jobsFor('outside'), []);
    assert.deepEqual(await reportsOf('outside', EXCLUDED), []);
    assert.deepEqual(counts.written, []);
  });

  test('a ReplicaSet of an old Deployment revision: its reports get report-ttl 0s, it is not scanned', async () => {
    const { caches, reconcile } = setup();
    const image = `registry.example.com/web@${digest('1')}`;
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        namespace: NS,
        uid: 'deployment-uid',
        annotations: { 'deployment.kubernetes.io/revision': '2' },
      },
    };
    const old = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: 'web-old',
        namespace: NS,
        uid: 'rs-old-uid',
        annotations: { 'deployment.kubernetes.io/revision': '1' },
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'deployment-uid', controller: true },
        ],
      },
      spec: { template: { spec: { containers: [{ name: 'app', image }] } } },
    };
    caches.deployments.items.push(deployment);
    caches.workloads.ReplicaSet.items.push(old);
    // The ReplicaSet exists only in the cache, so the report is stored without an owner (or the garbage
    // collector would take it).
    const built = report(
      { metadata: old.metadata },
      'ReplicaSet',
      image,
      { phase: 'Succeeded', lastScanTime: rfc3339(NOW) },
      'old-hash',
    );
    const { ownerReferences: _, ...metadata } = built.metadata;
    const stored = await cp.client.create<VulnerabilityReport>(collectionPath(VULNERABILITY_REPORT, NS), {
      ...built,
      metadata,
    });
    caches.reports.items.push(stored);
    assert.equal(await reconcile('ReplicaSet/wl-test/web-old'), undefined);
    const after = await cp.client.find<VulnerabilityReport>(
      objectPath(VULNERABILITY_REPORT, stored.metadata.name, NS),
    );
    assert.equal(after?.metadata.annotations?.[REPORT_ANNOTATIONS.reportTTL], '0s');
    assert.deepEqual(await jobsFor('web-old'), []);
  });

  test('vulnerabilityScannerEnabled=false: no scan until a VulnerabilityScanner round selects the namespace', async () => {
    const { caches, reconcile } = setup({ settings: { vulnerabilityScannerEnabled: false } });
    await pod(caches, 'scheduled', `registry.example.com/scheduled@${digest('2')}`);
    assert.equal(await reconcile('Pod/wl-test/scheduled'), undefined);
    assert.deepEqual(await jobsFor('scheduled'), [], 'no round yet: not scanned');
    caches.scanners.items.push({
      apiVersion: 'aquasecurity.github.io/v1alpha1',
      kind: 'VulnerabilityScanner',
      metadata: { name: 'nightly' },
      spec: {
        schedule: '0 2 * * *',
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': NS } },
      },
      status: { lastScheduleTime: rfc3339(NOW - 1_000) },
    } as VulnerabilityScanner);
    assert.equal(await reconcile('Pod/wl-test/scheduled'), undefined);
    assert.equal((await jobsFor('scheduled')).length, 1, 'after a round: scanned');
  });

  test('the built-in scan server down: deferred, no Job and nothing FAILED', async () => {
    const { caches, reconcile, counts } = setup({ serverUp: false });
    await pod(caches, 'serverless', `registry.example.com/serverless@${digest('3')}`);
    assert.deepEqual(await reconcile('Pod/wl-test/serverless'), { requeueAfterMs: RETRY_MS });
    assert.deepEqual(await jobsFor('serverless'), []);
    assert.deepEqual(await reportsOf('serverless'), []);
    assert.deepEqual(counts.written, []);
  });
});

test('reusedReportData: the workload keeps its own registry/repository/tag; digest from its key, else the source', () => {
  const d = `sha256:${'c'.repeat(64)}`;
  const source = buildReportData(hugeTrivyReport(2), {
    image: `index.docker.io/library/alpine@${d}`,
    additionalFields: [],
    now: new Date('2026-01-02T03:04:05Z'),
    scannerVersion: '1.0.0',
  });
  assert.deepEqual(source.artifact, { repository: 'library/alpine', digest: d });
  const reused = reusedReportData(source, 'alpine:3.10', `index.docker.io/library/alpine@${d}`);
  assert.deepEqual(reused.registry, { server: 'index.docker.io' });
  assert.deepEqual(reused.artifact, { repository: 'library/alpine', tag: '3.10', digest: d });
  assert.equal(reused.vulnerabilities, source.vulnerabilities);
  assert.equal(reused.summary, source.summary);
  assert.equal(reused.os, source.os);
  assert.equal(reused.updateTimestamp, source.updateTimestamp);
  // A tag-only key (no running digest known): the source's digest, which the same key's scan found.
  const byTag = reusedReportData(source, 'docker.io/alpine:3.10', 'index.docker.io/library/alpine:3.10');
  assert.deepEqual(byTag.artifact, { repository: 'library/alpine', tag: '3.10', digest: d });
  const noDigest = reusedReportData({ ...source, artifact: { repository: 'x' } }, 'alpine:3.10', 'k:3.10');
  assert.deepEqual(noDigest.artifact, { repository: 'library/alpine', tag: '3.10' });
});
