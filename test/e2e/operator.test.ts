/**
 * `vigil operator` end to end: the local cluster (real API server, controller manager and a process node),
 * Debian's registry with the Debian bookworm test image and the test DB, `vigil server` and `vigil operator`
 * as real processes. A Deployment and a bare Pod running the same image get VulnerabilityReports with Trivy
 * Operator's names, labels and owner references and the counts `vigil scan image` finds; the three workloads
 * sharing that image cause exactly one scan Job. Last, the operator restarted with
 * `vulnerabilityReports.scanJobsInSameNamespace=true` runs a workload's scan Job in the workload's namespace,
 * as the workload's ServiceAccount and with its imagePullSecrets, and none in the operator namespace.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { VulnerabilityReport } from '../../src/k8s/crds/index.js';
import { createInformer, type Informer, type KubeObject, MERGE_PATCH } from '../../src/k8s/index.js';
import { createNamespace, deployment, type OperatorEnv, pod, startOperatorEnv } from '../env/operator-env.js';

// biome-ignore lint/suspicious/noExplicitAny: Trivy JSON is checked as parsed data
type Json = any;

const NS = 'apps';
const REPORTS = `/apis/aquasecurity.github.io/v1alpha1/namespaces/${NS}/vulnerabilityreports`;

/**
 * Severity counts of a Trivy JSON report as a VulnerabilityReport's summary counts them: Trivy Operator takes
 * VendorSeverity[SeveritySource] (a missing entry is UNKNOWN), which may differ from Trivy's own Severity.
 */
function expectedSummary(trivy: Json) {
  const keys = ['unknownCount', 'lowCount', 'mediumCount', 'highCount', 'criticalCount'] as const;
  const counts = { criticalCount: 0, highCount: 0, mediumCount: 0, lowCount: 0, unknownCount: 0 };
  for (const result of trivy.Results ?? [])
    for (const v of result.Vulnerabilities ?? []) {
      const level = v.VendorSeverity?.[v.SeveritySource ?? ''];
      counts[keys[typeof level === 'number' ? level : 0] ?? 'unknownCount']++;
    }
  return counts;
}

const summaryOf = (r: VulnerabilityReport) => {
  const s = r.report.summary;
  return {
    criticalCount: s.criticalCount,
    highCount: s.highCount,
    mediumCount: s.mediumCount,
    lowCount: s.lowCount,
    unknownCount: s.unknownCount,
  };
};

describe('vigil operator (end to end)', () => {
  let env: OperatorEnv;
  let jobs: Informer<KubeObject>;
  const jobsCreated = new Set<string>();

  before(async () => {
    env = await startOperatorEnv();
    jobs = createInformer<KubeObject>({
      client: env.client,
      path: `/apis/batch/v1/namespaces/${env.operatorNamespace}/jobs`,
    });
    jobs.addEventHandler({ onAdd: (job) => jobsCreated.add(job.metadata?.uid ?? '') });
    jobs.start();
    assert.ok(await jobs.waitForSync(30_000), 'the Jobs watch synced');
    await env.startServer();
    await createNamespace(env.client, NS);
  });

  after(async () => {
    await jobs?.stop();
    await env?.stop();
  });

  const reportsNow = async () =>
    (await env.client.list<VulnerabilityReport>(REPORTS)).items as VulnerabilityReport[];

  test('a Deployment and a bare Pod get reports with the right names, labels, owners and counts; one scan for one image', async () => {
    const image = env.debianImage.reference;
    await env.client.create(`/apis/apps/v1/namespaces/${NS}/deployments`, deployment(NS, 'web', image));
    await env.client.create(`/api/v1/namespaces/${NS}/pods`, pod(NS, 'solo', image));
    await env.startOperator();

    const rs = await env.waitFor(
      "the Deployment's ReplicaSet",
      async () =>
        (await env.client.list<KubeObject>(`/apis/apps/v1/namespaces/${NS}/replicasets`)).items.find((r) =>
          r.metadata?.name?.startsWith('web-'),
        ),
      60_000,
    );
    const rsName = rs.metadata?.name ?? '';
    const reports = await env.waitFor(
      'reports for the ReplicaSet and the Pod',
      async () => {
        const items = await reportsNow();
        const byName = new Map(items.map((r) => [r.metadata.name, r]));
        const a = byName.get(`replicaset-${rsName}-app`);
        const b = byName.get('pod-solo-main');
        return a && b ? { rs: a, pod: b } : undefined;
      },
      240_000,
    );

    // What a scan of the image finds, standalone with the same DB.
    const expected = expectedSummary(await env.scanImage(image));
    assert.ok(
      Object.values(expected).some((n) => n > 0),
      'the Debian image has vulnerabilities in the test DB',
    );

    const solo = await env.client.get<KubeObject>(`/api/v1/namespaces/${NS}/pods/solo`);
    for (const [report, owner, container] of [
      [reports.rs, rs, 'app'],
      [reports.pod, solo, 'main'],
    ] as const) {
      const labels = report.metadata.labels ?? {};
      assert.equal(labels['trivy-operator.resource.kind'], owner === rs ? 'ReplicaSet' : 'Pod');
      assert.equal(labels['trivy-operator.resource.name'], owner.metadata?.name);
      assert.equal(labels['trivy-operator.resource.namespace'], NS);
      assert.equal(labels['trivy-operator.container.name'], container);
      assert.equal(labels['app.kubernetes.io/managed-by'], 'trivy-operator');
      assert.match(labels['resource-spec-hash'] ?? '', /^[bcdfghjklmnpqrstvwxz2456789]+$/);
      const refs = report.metadata.ownerReferences ?? [];
      assert.equal(refs.length, 1);
      assert.equal(refs[0]?.uid, owner.metadata?.uid);
      assert.equal(refs[0]?.kind, owner === rs ? 'ReplicaSet' : 'Pod');
      assert.equal(refs[0]?.controller, true);
      assert.equal(refs[0]?.blockOwnerDeletion, false);
      assert.equal((report as Json).status?.phase, 'Succeeded', JSON.stringify((report as Json).status));
      assert.equal(report.report.registry?.server, env.registry.host);
      assert.equal(report.report.artifact.repository, 'vigil/debian');
      assert.equal(report.report.os.family, 'debian');
      assert.deepEqual(summaryOf(report), expected, `${report.metadata.name} counts match vigil scan image`);
      assert.equal(
        report.report.vulnerabilities.length,
        Object.values(expected).reduce((a, b) => a + b, 0),
      );
    }
    assert.equal(jobsCreated.size, 1, 'two workloads running one image: one scan Job');

    const wide = await env.kubectl('get', 'vulnerabilityreports', '-A', '-o', 'wide');
    const header = wide.split('\n')[0] ?? '';
    for (const column of [
      'NAMESPACE',
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
    ])
      assert.ok(header.includes(column), `column ${column} in ${header}`);
    assert.match(wide, new RegExp(`${NS}\\s+replicaset-${rsName}-app\\s+vigil/debian\\s+bookworm\\s+Trivy`));
    assert.match(wide, new RegExp(`${NS}\\s+pod-solo-main\\s+vigil/debian\\s+bookworm\\s+Trivy`));
  });

  test('a second Deployment with the same image gets its report without another scan Job', async () => {
    const before = jobsCreated.size;
    await env.client.create(
      `/apis/apps/v1/namespaces/${NS}/deployments`,
      deployment(NS, 'web2', env.debianImage.reference),
    );
    // The same image pinned by digest: a shared result too, but the report names the image as this pod does.
    const pinned = env.debianImage.digestReference;
    await env.client.create(`/api/v1/namespaces/${NS}/pods`, pod(NS, 'pinned', pinned));
    const report = await env.waitFor(
      "web2's report",
      async () => (await reportsNow()).find((r) => /^replicaset-web2-[a-z0-9]+-app$/.test(r.metadata.name)),
      120_000,
    );
    assert.equal((report as Json).status?.phase, 'Succeeded', JSON.stringify((report as Json).status));
    const pinnedReport = await env.waitFor(
      "the pinned pod's report",
      async () => (await reportsNow()).find((r) => r.metadata.name === 'pod-pinned-main'),
      120_000,
    );
    const digest = pinned.slice(pinned.indexOf('@') + 1);
    assert.deepEqual(report.report.artifact, { repository: 'vigil/debian', tag: 'bookworm', digest });
    assert.deepEqual(pinnedReport.report.artifact, { repository: 'vigil/debian', digest }, 'no borrowed tag');
    assert.equal(pinnedReport.report.registry?.server, env.registry.host);
    assert.deepEqual(pinnedReport.report.summary, report.report.summary);
    assert.equal(pinnedReport.report.vulnerabilities.length, report.report.vulnerabilities.length);
    assert.equal(pinnedReport.metadata.annotations?.['vigil.aquasecurity.github.io/image'], pinned);
    assert.equal(jobsCreated.size, before, 'no scan Job for an image already scanned');
    const metrics = await (await fetch(env.metricsUrl())).text();
    const reused = /^vigil_scan_results_reused_total(?:\{[^}]*\})? (\d+)/m.exec(metrics);
    assert.ok(
      reused && Number(reused[1]) >= 2,
      `results reused for the Pod/ReplicaSet and web2:\n${reused?.[0]}`,
    );
  });

  test('an image the registry does not have: a FAILED report with the reason and a ScanFailed Event on the workload', async () => {
    const image = `${env.registry.host}/vigil/does-not-exist:1`;
    await env.client.create(`/api/v1/namespaces/${NS}/pods`, pod(NS, 'broken', image));
    const report = await env.waitFor(
      "broken's FAILED report",
      async () =>
        (await reportsNow()).find((r) => r.metadata.name === 'pod-broken-main' && (r as Json).status),
      120_000,
    );
    const status = (report as Json).status;
    assert.equal(status.phase, 'FAILED');
    assert.equal(status.failedAttempts, 1);
    assert.match(status.message, /does-not-exist|not found|MANIFEST_UNKNOWN|unknown/i);
    assert.deepEqual(summaryOf(report), {
      criticalCount: 0,
      highCount: 0,
      mediumCount: 0,
      lowCount: 0,
      unknownCount: 0,
    });
    assert.equal(report.report.vulnerabilities.length, 0);
    const event = await env.waitFor(
      'a ScanFailed Event on the Pod',
      async () =>
        (
          await env.client.list<KubeObject>(`/api/v1/namespaces/${NS}/events`, {
            query: { fieldSelector: 'involvedObject.name=broken,reason=ScanFailed' },
          })
        ).items[0],
      30_000,
    );
    assert.equal(event.type, 'Warning');
    assert.equal((event.involvedObject as Json).kind, 'Pod');
    assert.match(String(event.message), /container main/);
  });

  test('scanJobsInSameNamespace=true: the Job runs in the workload namespace as the workload, is cleaned up, and the report has findings', async () => {
    // Every Job in the cluster from now on, as the test sees it (the operator's own informer is not trusted).
    const added: KubeObject[] = [];
    const live = new Map<string, KubeObject>();
    const allJobs = createInformer<KubeObject>({ client: env.client, path: '/apis/batch/v1/jobs' });
    const secretsSeen = new Map<string, KubeObject>();
    allJobs.addEventHandler({
      onAdd: (job) => {
        added.push(job);
        live.set(job.metadata?.uid ?? '', job);
        // The regcred Secret is created before the Job: read it while the Job exists (GC removes both).
        const ns = job.metadata?.namespace ?? '';
        const name = `${job.metadata?.name}-regcred`;
        void env.client
          .find<KubeObject>(`/api/v1/namespaces/${ns}/secrets/${name}`)
          .then((secret) => secret && secretsSeen.set(`${ns}/${name}`, secret));
      },
      onDelete: (job) => live.delete(job.metadata?.uid ?? ''),
    });
    allJobs.start();
    try {
      assert.ok(await allJobs.waitForSync(30_000), 'the all-namespaces Jobs watch synced');
      const before = new Set(allJobs.list().map((j) => j.metadata?.uid));
      await env.stopOperator();
      await env.client.patch(
        `/api/v1/namespaces/${env.operatorNamespace}/configmaps/trivy-operator`,
        { data: { 'vulnerabilityReports.scanJobsInSameNamespace': 'true' } },
        MERGE_PATCH,
      );
      // The workload's identity: its ServiceAccount, and a pull secret with credentials for the (open)
      // registry, so the operator also makes a <job>-regcred Secret, in the workload's namespace.
      await env.client.create(`/api/v1/namespaces/${NS}/serviceaccounts`, {
        metadata: { name: 'web-sa' },
      });
      const auth = Buffer.from('puller:pw').toString('base64');
      await env.client.create(`/api/v1/namespaces/${NS}/secrets`, {
        metadata: { name: 'apps-pull' },
        type: 'kubernetes.io/dockerconfigjson',
        data: {
          '.dockerconfigjson': Buffer.from(
            JSON.stringify({ auths: { [env.registry.host]: { auth } } }),
          ).toString('base64'),
        },
      });
      // The Debian image under another repository: another image key, so a scan of its own with findings.
      const image = await env.pushImage('vigil/debian-samens', 'bookworm');
      const web3 = deployment(NS, 'web3', image.reference);
      const spec = (web3.spec as Json).template.spec;
      spec.serviceAccountName = 'web-sa';
      spec.imagePullSecrets = [{ name: 'apps-pull' }];
      await env.startOperator();
      await env.client.create(`/apis/apps/v1/namespaces/${NS}/deployments`, web3);

      const report = await env.waitFor(
        "web3's Succeeded report",
        async () =>
          (await reportsNow()).find(
            (r) =>
              /^replicaset-web3-[a-z0-9]+-app$/.test(r.metadata.name) &&
              (r as Json).status?.phase === 'Succeeded',
          ),
        240_000,
      );
      const jobs = added.filter((j) => !before.has(j.metadata?.uid));
      // Only web3's: the broken pod's FAILED report is retried meanwhile, with Jobs of its own (in apps too).
      const rsName = report.metadata.labels?.['trivy-operator.resource.name'];
      const scans = jobs.filter((j) => j.metadata?.labels?.['trivy-operator.resource.name'] === rsName);
      assert.equal(scans.length, 1, `one scan Job for ${rsName}`);
      const job = scans[0] as KubeObject;
      assert.equal(job.metadata?.namespace, NS, 'the Job is in the workload namespace');
      const podSpec = (job.spec as Json).template.spec;
      assert.equal(podSpec.serviceAccountName, 'web-sa');
      assert.deepEqual(podSpec.imagePullSecrets, [{ name: 'apps-pull' }]);
      assert.equal(podSpec.automountServiceAccountToken, false);
      assert.equal(podSpec.securityContext.runAsNonRoot, true);
      // The operator namespace's trivy-operator-trivy-config does not exist here: its values come as literals.
      assert.ok(!JSON.stringify(podSpec).includes('trivy-operator-trivy-config'), 'no ref to the ConfigMap');
      const scanEnv = podSpec.containers[0].env as Array<{ name: string; value?: string }>;
      assert.equal(
        scanEnv.find((e) => e.name === 'TRIVY_SEVERITY')?.value,
        'UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL',
      );
      assert.equal(scanEnv.find((e) => e.name === 'TRIVY_TIMEOUT')?.value, '5m0s');
      assert.equal(
        jobs.filter((j) => j.metadata?.namespace === env.operatorNamespace).length,
        0,
        'no Job in the operator namespace',
      );
      const secret = secretsSeen.get(`${NS}/${job.metadata?.name}-regcred`);
      assert.ok(secret, `the regcred Secret was in ${NS} while the Job existed`);
      assert.deepEqual(Object.keys((secret as Json).data ?? {}).sort(), ['app.password', 'app.username']);

      // Findings, as the same image's earlier scan found.
      const solo = (await reportsNow()).find((r) => r.metadata.name === 'pod-solo-main');
      assert.ok(solo);
      assert.ok(report.report.vulnerabilities.length > 0, 'findings');
      assert.deepEqual(summaryOf(report), summaryOf(solo));
      assert.equal(report.report.artifact.repository, 'vigil/debian-samens');

      // Cleaned up: the operator deletes the finished Job (no scanJobTTL).
      await env.waitFor(
        'the scan Job in apps to be deleted',
        async () => !live.has(job.metadata?.uid ?? ''),
        60_000,
      );
    } finally {
      await allJobs.stop();
    }
  });
});
