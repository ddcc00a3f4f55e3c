/**
 * `vigil operator` end to end (issue 6 point 7), workload scenarios on one environment and one operator
 * process (OPERATOR_EXCLUDE_NAMESPACES=skip-*):
 * 1. every workload kind gets its reports (names, labels, owners) and loses them with the workload (GC);
 *    a CronJob's Job is not scanned on its own;
 * 2. a Deployment rollout gets a report for the new ReplicaSet, the old ReplicaSet's report expires;
 * 4. an excluded namespace is never scanned, whatever happens to reports or workloads there;
 * 5. a private-registry image is scanned with the pod's imagePullSecrets or its ServiceAccount's; without
 *    them the report is FAILED (authentication) with a ScanFailed Event, and adding the secret later heals it;
 * 6. a `vigil server` outage gives FAILED reports, and the server's return success without any action.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { VulnerabilityReport } from '../../src/k8s/crds/index.js';
import type { KubeObject } from '../../src/k8s/index.js';
import {
  createNamespace,
  deployment,
  type OperatorEnv,
  pod,
  reportStatus,
  reportsIn,
  type ScanJobTracker,
  startOperatorEnv,
  watchScanJobs,
} from '../env/operator-env.js';

const REGISTRY_USER = 'puller';
const REGISTRY_PASSWORD = 'e2e-s3cret';

const template = (app: string, image: string, extra: Record<string, unknown> = {}) => ({
  metadata: { labels: { app } },
  spec: { containers: [{ name: 'app', image }], ...extra },
});

describe('vigil operator scenarios: workload kinds, rollout, exclusion, private registry, server outage', () => {
  let env: OperatorEnv;
  let jobs: ScanJobTracker;

  before(async () => {
    env = await startOperatorEnv({
      privateRegistry: { user: REGISTRY_USER, password: REGISTRY_PASSWORD },
    });
    jobs = await watchScanJobs(env);
    await env.startServer();
    await env.startOperator({ OPERATOR_EXCLUDE_NAMESPACES: 'kube-*,skip-*' });
  });

  after(async () => {
    await jobs?.stop();
    await env?.stop();
  });

  const waitPhase = (namespace: string, name: string, phase: string, timeoutMs = 120_000) =>
    env.waitFor(
      `report ${namespace}/${name} in phase ${phase}`,
      async () =>
        (await reportsIn(env, namespace)).find(
          (r) => r.metadata.name === name && reportStatus(r).phase === phase,
        ),
      timeoutMs,
    );

  test('1. every workload kind gets its report (name, labels, owner); deleting the workload deletes it', async () => {
    const ns = 'kinds';
    await createNamespace(env.client, ns);
    const image = env.debianImage.reference;
    const apps = `/apis/apps/v1/namespaces/${ns}`;
    const batch = `/apis/batch/v1/namespaces/${ns}`;
    const selector = (app: string) => ({ matchLabels: { app } });
    const created: Array<{ kind: string; name: string; path: string; container: string }> = [];
    const make = async (kind: string, path: string, object: KubeObject, container = 'app') => {
      await env.client.create(path, object);
      created.push({ kind, name: object.metadata?.name ?? '', path, container });
    };
    await make('Pod', `/api/v1/namespaces/${ns}/pods`, pod(ns, 'solo', image), 'main');
    await make('ReplicaSet', `${apps}/replicasets`, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'rs1', namespace: ns },
      spec: { replicas: 1, selector: selector('rs1'), template: template('rs1', image) },
    });
    await make('ReplicationController', `/api/v1/namespaces/${ns}/replicationcontrollers`, {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'rc1', namespace: ns },
      spec: { replicas: 1, selector: { app: 'rc1' }, template: template('rc1', image) },
    });
    await make('StatefulSet', `${apps}/statefulsets`, {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'sts1', namespace: ns },
      spec: {
        replicas: 1,
        serviceName: 'sts1',
        selector: selector('sts1'),
        template: template('sts1', image),
      },
    });
    await make('DaemonSet', `${apps}/daemonsets`, {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'ds1', namespace: ns },
      spec: { selector: selector('ds1'), template: template('ds1', image) },
    });
    // A CronJob between runs has no pod to tell the digest, so a tag would be its image key (README decision
    // 2) and make a second scan of this image: its template pins the digest, as the other workloads' pods say.
    await make('CronJob', `${batch}/cronjobs`, {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'cj1', namespace: ns },
      spec: {
        schedule: '0 0 1 1 *',
        jobTemplate: {
          spec: {
            template: template('cj1', env.debianImage.digestReference, { restartPolicy: 'Never' }),
          },
        },
      },
    });
    await make('Job', `${batch}/jobs`, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'job1', namespace: ns },
      spec: { template: template('job1', image, { restartPolicy: 'Never' }) },
    });
    // The CronJob's own Job (controlled by it), as its schedule would make one: scanned through the CronJob.
    await env.kubectl('-n', ns, 'create', 'job', 'cj1-manual', '--from=cronjob/cj1');

    const expectedName = (c: (typeof created)[number]) => `${c.kind.toLowerCase()}-${c.name}-${c.container}`;
    const reports = await env.waitFor(
      `reports for ${created.map(expectedName).join(', ')}`,
      async () => {
        const byName = new Map((await reportsIn(env, ns)).map((r) => [r.metadata.name, r]));
        const found = created.map((c) => byName.get(expectedName(c)));
        return found.every(Boolean) ? (found as VulnerabilityReport[]) : undefined;
      },
      180_000,
    );
    for (const [i, c] of created.entries()) {
      const report = reports[i] as VulnerabilityReport;
      const owner = await env.client.get<KubeObject>(`${c.path}/${c.name}`);
      const labels = report.metadata.labels ?? {};
      assert.equal(labels['trivy-operator.resource.kind'], c.kind, report.metadata.name);
      assert.equal(labels['trivy-operator.resource.name'], c.name);
      assert.equal(labels['trivy-operator.resource.namespace'], ns);
      assert.equal(labels['trivy-operator.container.name'], c.container);
      assert.equal(labels['app.kubernetes.io/managed-by'], 'trivy-operator');
      const refs = report.metadata.ownerReferences ?? [];
      assert.equal(refs.length, 1, `${report.metadata.name}: one owner`);
      assert.equal(refs[0]?.kind, c.kind);
      assert.equal(refs[0]?.name, c.name);
      assert.equal(refs[0]?.uid, owner.metadata?.uid);
      assert.equal(refs[0]?.controller, true);
      assert.equal(reportStatus(report).phase, 'Succeeded', JSON.stringify(reportStatus(report)));
      assert.equal(report.report.artifact.repository, 'vigil/debian');
      assert.ok(report.report.vulnerabilities.length > 0, `${report.metadata.name} has the findings`);
    }
    // The CronJob's Job is neither reported nor scanned as a Job, and no pod got a report of its own.
    const names = (await reportsIn(env, ns)).map((r) => r.metadata.name);
    assert.deepEqual(names.filter((n) => n.startsWith('job-cj1-manual')).length, 0, names.join(' '));
    assert.equal(names.length, created.length, `one report per workload: ${names.join(' ')}`);
    assert.equal(jobs.forWorkload('Job', ns, 'cj1-manual').length, 0, 'no scan Job for the CronJob’s Job');
    assert.equal(jobs.inNamespace(ns).length, 1, 'seven workloads of one image: one scan Job');

    // GC: deleting a workload deletes its report (ownerReferences; the controller manager's GC).
    // Background propagation, as kubectl deletes: the API's default for Jobs and ReplicationControllers
    // orphans their pods, which are then bare Pods and rightly get reports of their own.
    for (const c of created)
      await env.client.delete(`${c.path}/${c.name}`, { query: { propagationPolicy: 'Background' } });
    await env.waitFor(
      'every report of the deleted workloads to be gone',
      async () => (await reportsIn(env, ns)).length === 0,
      120_000,
    );
  });

  test('2. a Deployment rollout gets a report for the new ReplicaSet; the old ReplicaSet’s report expires', async () => {
    const ns = 'rollout';
    await createNamespace(env.client, ns);
    const web = deployment(ns, 'roll', env.debianImage.reference);
    (
      web.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } }
    ).template.spec.containers[0] = {
      name: 'app',
      image: env.debianImage.reference,
      env: [{ name: 'REV', value: '1' }],
    };
    await env.client.create(`/apis/apps/v1/namespaces/${ns}/deployments`, web);
    const replicaSet = async (revision: string) =>
      (await env.client.list<KubeObject>(`/apis/apps/v1/namespaces/${ns}/replicasets`)).items.find(
        (rs) => rs.metadata?.annotations?.['deployment.kubernetes.io/revision'] === revision,
      );
    const rs1 = await env.waitFor('ReplicaSet of revision 1', () => replicaSet('1'), 60_000);
    const first = `replicaset-${rs1.metadata?.name}-app`;
    await waitPhase(ns, first, 'Succeeded');

    await env.kubectl('-n', ns, 'set', 'env', 'deployment/roll', 'REV=2');
    const rs2 = await env.waitFor('ReplicaSet of revision 2', () => replicaSet('2'), 60_000);
    const second = `replicaset-${rs2.metadata?.name}-app`;
    const report = await waitPhase(ns, second, 'Succeeded');
    assert.equal(report.metadata.labels?.['trivy-operator.resource.name'], rs2.metadata?.name);
    assert.equal(report.metadata.ownerReferences?.[0]?.uid, rs2.metadata?.uid);
    await env.waitFor(
      `the old ReplicaSet's report ${first} to expire`,
      async () => !(await reportsIn(env, ns)).some((r) => r.metadata.name === first),
      60_000,
    );
    // The old ReplicaSet stays (revision history): its report is gone because it is stale, not by GC.
    assert.ok(
      await env.client.find(`/apis/apps/v1/namespaces/${ns}/replicasets/${rs1.metadata?.name}`),
      'the old ReplicaSet still exists',
    );
    assert.deepEqual(
      (await reportsIn(env, ns)).map((r) => r.metadata.name),
      [second],
    );
  });

  test('4. an excluded namespace (skip-*) is never scanned, even when its reports and workloads change', async () => {
    const skipped = 'skip-me';
    const seen = 'seen';
    await createNamespace(env.client, skipped);
    await createNamespace(env.client, seen);
    const hidden = await env.pushUniqueImage('vigil/hidden', '1', 'hidden');
    await env.client.create(
      `/apis/apps/v1/namespaces/${skipped}/deployments`,
      deployment(skipped, 'hidden', hidden.reference),
    );
    await env.client.create(
      `/api/v1/namespaces/${skipped}/pods`,
      pod(skipped, 'hidden-pod', hidden.reference),
    );
    // A workload outside the excluded namespaces, created after them: once it has its report, the operator
    // has seen the excluded ones too.
    const shown = await env.pushUniqueImage('vigil/shown', '1', 'shown-1');
    await env.client.create(`/api/v1/namespaces/${seen}/pods`, pod(seen, 'shown', shown.reference));
    const control = await waitPhase(seen, 'pod-shown-main', 'Succeeded');
    assert.deepEqual(jobs.inNamespace(skipped), [], 'no scan Job for an excluded namespace');
    assert.deepEqual(await reportsIn(env, skipped), [], 'no report in an excluded namespace');

    // A report appears and disappears there (report events enqueue their owner: the Owns() path), and the
    // workloads change.
    const planted = structuredClone(control) as VulnerabilityReport;
    planted.metadata = {
      name: 'pod-hidden-pod-main',
      namespace: skipped,
      labels: {
        ...control.metadata.labels,
        'trivy-operator.resource.name': 'hidden-pod',
        'trivy-operator.resource.namespace': skipped,
      },
      annotations: { ...control.metadata.annotations },
    };
    const reportsPath = `/apis/aquasecurity.github.io/v1alpha1/namespaces/${skipped}/vulnerabilityreports`;
    await env.client.create(reportsPath, planted);
    await env.client.delete(`${reportsPath}/pod-hidden-pod-main`);
    await env.kubectl('-n', skipped, 'label', 'pod/hidden-pod', 'touched=yes');
    await env.kubectl('-n', skipped, 'set', 'env', 'deployment/hidden', 'TOUCHED=1');
    const shown2 = await env.pushUniqueImage('vigil/shown', '2', 'shown-2');
    await env.client.create(`/api/v1/namespaces/${seen}/pods`, pod(seen, 'shown2', shown2.reference));
    await waitPhase(seen, 'pod-shown2-main', 'Succeeded');
    assert.deepEqual(jobs.inNamespace(skipped), [], 'still no scan Job for the excluded namespace');
    assert.deepEqual(
      (await reportsIn(env, skipped)).map((r) => r.metadata.name),
      [],
      'still no report in the excluded namespace',
    );
  });

  test('5. a private-registry image is scanned with imagePullSecrets (pod or ServiceAccount); without them FAILED, then healed', async (t) => {
    const ns = 'private';
    await createNamespace(env.client, ns);
    const privateRegistry = env.privateRegistry;
    assert.ok(privateRegistry);
    const host = privateRegistry.host;
    const auth = Buffer.from(`${REGISTRY_USER}:${REGISTRY_PASSWORD}`).toString('base64');
    await env.client.create(`/api/v1/namespaces/${ns}/secrets`, {
      metadata: { name: 'regcred' },
      type: 'kubernetes.io/dockerconfigjson',
      data: {
        '.dockerconfigjson': Buffer.from(
          JSON.stringify({
            auths: { [host]: { username: REGISTRY_USER, password: REGISTRY_PASSWORD, auth } },
          }),
        ).toString('base64'),
      },
    });
    await env.client.create(`/api/v1/namespaces/${ns}/serviceaccounts`, {
      metadata: { name: 'puller' },
      imagePullSecrets: [{ name: 'regcred' }],
    });
    await env.waitFor(
      `the default ServiceAccount of ${ns}`,
      () => env.client.find(`/api/v1/namespaces/${ns}/serviceaccounts/default`),
      30_000,
    );
    const [viaPod, viaSa, later] = await Promise.all([
      env.pushUniqueImage('team/app', 'pod', 'private-pod', 'private'),
      env.pushUniqueImage('team/app', 'sa', 'private-sa', 'private'),
      env.pushUniqueImage('team/app', 'later', 'private-later', 'private'),
    ]);
    const withSecret = pod(ns, 'with-secret', viaPod.reference);
    (withSecret.spec as Record<string, unknown>).imagePullSecrets = [{ name: 'regcred' }];
    const withSa = pod(ns, 'via-sa', viaSa.reference);
    (withSa.spec as Record<string, unknown>).serviceAccountName = 'puller';
    for (const p of [withSecret, withSa, pod(ns, 'no-secret', later.reference)])
      await env.client.create(`/api/v1/namespaces/${ns}/pods`, p);

    await waitPhase(ns, 'pod-with-secret-main', 'Succeeded');
    await waitPhase(ns, 'pod-via-sa-main', 'Succeeded');
    const failed = await waitPhase(ns, 'pod-no-secret-main', 'FAILED');
    const status = reportStatus(failed);
    t.diagnostic(`without credentials: ${JSON.stringify(status)}`);
    assert.match(
      `${status.reason ?? ''} ${status.message ?? ''}`,
      /authenticat|unauthori[sz]ed|401/i,
      JSON.stringify(status),
    );
    assert.equal(failed.report.vulnerabilities.length, 0);
    const event = await env.waitFor(
      'a ScanFailed Event on pod no-secret',
      async () =>
        (
          await env.client.list<KubeObject>(`/api/v1/namespaces/${ns}/events`, {
            query: { fieldSelector: 'involvedObject.name=no-secret,reason=ScanFailed' },
          })
        ).items[0],
      30_000,
    );
    assert.equal(event.type, 'Warning');

    // The secret arrives later, through the namespace's default ServiceAccount: the retry uses it.
    await env.client.patch(
      `/api/v1/namespaces/${ns}/serviceaccounts/default`,
      { imagePullSecrets: [{ name: 'regcred' }] },
      'application/merge-patch+json',
    );
    const healed = await waitPhase(ns, 'pod-no-secret-main', 'Succeeded', 120_000);
    assert.equal(healed.report.artifact.repository, 'team/app');
    assert.equal(healed.report.registry?.server, host);
    assert.ok(
      jobs.forWorkload('Pod', ns, 'no-secret').length >= 2,
      'the failed scan was retried by a new Job',
    );
    // The scan credentials never end up in a report.
    assert.ok(!JSON.stringify(healed).includes(REGISTRY_PASSWORD), 'no password in the report');
  });

  test('6. a vigil server outage gives FAILED reports; the server back, scans succeed without any action', async (t) => {
    const ns = 'outage';
    await createNamespace(env.client, ns);
    await env.stopServer();
    const image = await env.pushUniqueImage('vigil/outage', '1', 'outage');
    await env.client.create(`/api/v1/namespaces/${ns}/pods`, pod(ns, 'during', image.reference));
    const failed = await waitPhase(ns, 'pod-during-main', 'FAILED');
    t.diagnostic(`server down: ${JSON.stringify(reportStatus(failed))}`);
    assert.ok(reportStatus(failed).message, JSON.stringify(reportStatus(failed)));
    await env.startServer();
    const ok = await waitPhase(ns, 'pod-during-main', 'Succeeded', 150_000);
    assert.equal(reportStatus(ok).failedAttempts ?? 0, 0, JSON.stringify(reportStatus(ok)));
    assert.ok(jobs.forWorkload('Pod', ns, 'during').length >= 2, 'the scan was retried by a new Job');
  });
});
