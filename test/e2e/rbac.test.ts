/**
 * deploy/rbac end to end: the manifests are applied (namespace rewritten to the harness's operator namespace),
 * a token is minted for the ServiceAccount (TokenRequest), and `vigil operator` runs with nothing but that
 * token. It must do its whole job (reports for a Deployment and Pods, a pull-secret scan with its regcred
 * Secret, a FAILED scan with its Event, a VulnerabilityScanner's status, a rollout's stale reports expired and
 * deleted, the Lease) without one 403; with pods/log taken away it must say so and recover when the rule is
 * back; and `kubectl auth can-i` must refuse what it has no business doing. With
 * `vulnerabilityReports.scanJobsInSameNamespace=true` and without the opt-in
 * deploy/rbac/opt-in/scan-jobs-in-same-namespace.yaml, reports say FAILED naming it; applying it heals them.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import type { VulnerabilityReport } from '../../src/k8s/crds/index.js';
import {
  createInformer,
  createKubeClient,
  type Informer,
  type KubeObject,
  loadKubeConfig,
  MERGE_PATCH,
} from '../../src/k8s/index.js';
import { createNamespace, deployment, type OperatorEnv, pod, startOperatorEnv } from '../env/operator-env.js';
import { repoRoot } from '../env/paths.js';

// biome-ignore lint/suspicious/noExplicitAny: manifests and API objects are checked as parsed data
type Json = any;

/** Not trivy-system: proves the namespace rewrite reaches every place the manifests name it. */
const OPERATOR_NS = 'vigil-ops';
const NS = 'shop';
const SA = 'trivy-operator';
const SA_USER = `system:serviceaccount:${OPERATOR_NS}:${SA}`;
const REPORTS = `/apis/aquasecurity.github.io/v1alpha1/namespaces/${NS}/vulnerabilityreports`;
const RBAC_DIR = join(repoRoot(), 'deploy/rbac');

type Rule = { apiGroups?: string[]; resources?: string[]; verbs?: string[] };

/**
 * Every manifest in deploy/rbac, with the namespace of namespaced objects and of ServiceAccount subjects set
 * to `namespace` (what an installer into another namespace does). `dropRule` removes matching Role rules.
 */
function renderRbac(namespace: string, dropRule?: (rule: Rule) => boolean): string {
  const files = readdirSync(RBAC_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  assert.ok(files.length >= 6, `deploy/rbac has its manifests: ${files.join(', ')}`);
  return renderFiles(
    files.map((f) => join(RBAC_DIR, f)),
    namespace,
    dropRule,
  );
}

/** renderRbac for the given manifest files (e.g. an opt-in one from a subdirectory). */
function renderFiles(paths: string[], namespace: string, dropRule?: (rule: Rule) => boolean): string {
  const out: string[] = [];
  for (const path of paths) {
    for (const doc of parseAllDocuments(readFileSync(path, 'utf8'))) {
      const object = doc.toJS() as Json;
      if (!object) continue;
      if (object.metadata?.namespace !== undefined) object.metadata.namespace = namespace;
      for (const subject of object.subjects ?? [])
        if (subject.kind === 'ServiceAccount') subject.namespace = namespace;
      if (dropRule && object.kind === 'Role')
        object.rules = (object.rules as Rule[]).filter((r) => !dropRule(r));
      out.push(JSON.stringify(object));
    }
  }
  // JSON is YAML: one document per object.
  return out.map((o) => `---\n${o}\n`).join('');
}

const rules = (object: Json): Rule[] => object.rules ?? [];
const grants = (rule: Rule, group: string, resource: string, verb: string) =>
  (rule.apiGroups ?? []).includes(group) &&
  (rule.resources ?? []).includes(resource) &&
  (rule.verbs ?? []).includes(verb);

describe('deploy/rbac: vigil operator under its own ServiceAccount', () => {
  let env: OperatorEnv;
  let kubeconfig = '';
  let secrets: Informer<KubeObject>;
  const regcreds = new Map<string, KubeObject>();

  const applyRbac = async (dropRule?: (rule: Rule) => boolean) => {
    const file = join(env.cluster.controlPlane.dir, `rbac-${dropRule ? 'reduced' : 'full'}.yaml`);
    writeFileSync(file, renderRbac(OPERATOR_NS, dropRule));
    return env.kubectl('apply', '-f', file);
  };
  /** `kubectl auth can-i` as `user`: true for yes, false for no (exit 1); anything else throws. */
  const canI = async (user: string, ...args: string[]) => {
    try {
      const out = await env.kubectl('auth', 'can-i', ...args, '--as', user);
      return out.trim() === 'yes';
    } catch (error) {
      if ((error as { stdout?: string }).stdout?.trim() === 'no') return false;
      throw error;
    }
  };
  const reportsNow = async () =>
    (await env.client.list<VulnerabilityReport>(REPORTS)).items as VulnerabilityReport[];
  const forbiddenLines = () =>
    env
      .operatorLog()
      .split('\n')
      .filter((line) => /forbidden|\b403\b/i.test(line));

  before(async () => {
    env = await startOperatorEnv({ operatorNamespace: OPERATOR_NS });
    const applied = await applyRbac();
    for (const what of [
      `serviceaccount/${SA}`,
      `clusterrole.rbac.authorization.k8s.io/${SA}`,
      `clusterrolebinding.rbac.authorization.k8s.io/${SA}`,
      `role.rbac.authorization.k8s.io/${SA}`,
      `rolebinding.rbac.authorization.k8s.io/${SA}`,
      'clusterrole.rbac.authorization.k8s.io/aggregate-vulnerability-reports-view',
      'clusterrole.rbac.authorization.k8s.io/aggregate-vulnerability-scanners-view',
    ])
      assert.match(applied, new RegExp(`${what.replaceAll('.', '\\.')} created`), applied);

    // A token for the ServiceAccount (TokenRequest), and a kubeconfig with only that token and the cluster CA.
    const request = await env.client.create<Json>(
      `/api/v1/namespaces/${OPERATOR_NS}/serviceaccounts/${SA}/token`,
      { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
    );
    const token = String(request.status?.token ?? '');
    assert.ok(token.length > 20, 'TokenRequest returned a token');
    const cp = env.cluster.controlPlane;
    kubeconfig = join(cp.dir, 'operator-sa.kubeconfig');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          { name: 'local', cluster: { server: cp.apiServerUrl, 'certificate-authority': cp.pki.caCert } },
        ],
        users: [{ name: SA, user: { token } }],
        contexts: [{ name: SA, context: { cluster: 'local', user: SA, namespace: OPERATOR_NS } }],
        'current-context': SA,
      }),
      { mode: 0o600 },
    );
    // The kubeconfig really is the ServiceAccount, not an admin.
    const saClient = createKubeClient({ kubeConfig: loadKubeConfig(kubeconfig) });
    try {
      const review = await saClient.create<Json>('/apis/authentication.k8s.io/v1/selfsubjectreviews', {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'SelfSubjectReview',
      });
      assert.equal(review.status?.userInfo?.username, SA_USER);
      await assert.rejects(saClient.list('/api/v1/secrets'), /403/, 'the ServiceAccount cannot list Secrets');
    } finally {
      saClient.close();
    }

    secrets = createInformer<KubeObject>({
      client: env.client,
      path: `/api/v1/namespaces/${OPERATOR_NS}/secrets`,
    });
    const seen = (s: KubeObject) => {
      if (s.metadata?.name?.endsWith('-regcred'))
        regcreds.set(`${s.metadata.name}@${s.metadata.resourceVersion}`, s);
    };
    secrets.addEventHandler({ onAdd: seen, onUpdate: (_a, b) => seen(b) });
    secrets.start();
    assert.ok(await secrets.waitForSync(30_000), 'the Secrets watch synced');
    await env.startServer();
    await createNamespace(env.client, NS, { team: 'shop' });
  });

  after(async () => {
    await secrets?.stop();
    await env?.stop();
  });

  test('kubectl auth can-i: what the ServiceAccount needs is allowed, what it must not do is refused', async () => {
    const allowed: string[][] = [
      ['list', 'pods', '-A'],
      ['watch', 'replicasets.apps', '-A'],
      ['list', 'cronjobs.batch', '-A'],
      ['list', 'namespaces'],
      ['get', 'secrets', '-n', NS],
      ['get', 'serviceaccounts', '-n', NS],
      ['create', 'events', '-n', NS],
      ['patch', 'events', '-n', NS],
      ['create', 'vulnerabilityreports.aquasecurity.github.io', '-n', NS],
      ['delete', 'vulnerabilityreports.aquasecurity.github.io', '-n', NS],
      ['update', 'vulnerabilityscanners.aquasecurity.github.io', '--subresource', 'status'],
      ['create', 'jobs.batch', '-n', OPERATOR_NS],
      ['delete', 'jobs.batch', '-n', OPERATOR_NS],
      ['get', 'pods', '--subresource', 'log', '-n', OPERATOR_NS],
      ['create', 'secrets', '-n', OPERATOR_NS],
      ['list', 'secrets', '-n', OPERATOR_NS],
      ['create', 'configmaps', '-n', OPERATOR_NS],
      ['update', 'leases.coordination.k8s.io', '-n', OPERATOR_NS],
    ];
    const refused: string[][] = [
      ['delete', 'pods', '-n', NS],
      ['create', 'pods', '-n', NS],
      ['create', 'deployments.apps', '-n', NS],
      ['update', 'deployments.apps', '-n', NS],
      ['patch', 'replicasets.apps', '-n', NS],
      ['update', 'statefulsets.apps', '-n', NS],
      ['delete', 'daemonsets.apps', '-n', NS],
      ['list', 'secrets', '-A'],
      ['list', 'secrets', '-n', NS],
      ['watch', 'secrets', '-n', NS],
      ['create', 'secrets', '-n', NS],
      ['update', 'serviceaccounts', '-n', NS],
      ['create', 'serviceaccounts', '--subresource', 'token', '-n', NS],
      ['create', 'jobs.batch', '-n', NS],
      ['delete', 'jobs.batch', '-n', NS],
      ['get', 'pods', '--subresource', 'log', '-n', NS],
      ['create', 'pods', '--subresource', 'exec', '-n', OPERATOR_NS],
      ['update', 'configmaps', '-n', OPERATOR_NS],
      ['get', 'configmaps', '-n', NS],
      ['create', 'leases.coordination.k8s.io', '-n', NS],
      ['delete', 'namespaces'],
      ['update', 'vulnerabilityscanners.aquasecurity.github.io'],
      ['delete', 'vulnerabilityscanners.aquasecurity.github.io'],
      ['create', 'clusterrolebindings.rbac.authorization.k8s.io'],
      ['escalate', 'roles.rbac.authorization.k8s.io', '-n', OPERATOR_NS],
      ['impersonate', 'users'],
      ['list', 'nodes'],
    ];
    const wrong: string[] = [];
    for (const args of allowed) if (!(await canI(SA_USER, ...args))) wrong.push(`refused: ${args.join(' ')}`);
    for (const args of refused) if (await canI(SA_USER, ...args)) wrong.push(`allowed: ${args.join(' ')}`);
    assert.deepEqual(wrong, []);
  });

  test('aggregated view roles: view/edit/admin holders read reports (and, cluster-wide, scanners), nothing more', async () => {
    const view = await env.waitFor(
      'the aggregation controller to merge the report rules into view',
      async () => {
        const role = await env.client.get<Json>('/apis/rbac.authorization.k8s.io/v1/clusterroles/view');
        return rules(role).some((r) => grants(r, 'aquasecurity.github.io', 'vulnerabilityreports', 'list')) &&
          rules(role).some((r) => grants(r, 'aquasecurity.github.io', 'vulnerabilityscanners', 'watch'))
          ? role
          : undefined;
      },
      60_000,
    );
    assert.ok(
      !rules(view).some((r) => grants(r, 'aquasecurity.github.io', 'vulnerabilityreports', 'create')),
    );
    for (const name of ['edit', 'admin']) {
      const role = await env.waitFor(
        `the report rules in ${name}`,
        async () => {
          const r = await env.client.get<Json>(`/apis/rbac.authorization.k8s.io/v1/clusterroles/${name}`);
          return rules(r).some((x) => grants(x, 'aquasecurity.github.io', 'vulnerabilityreports', 'get'))
            ? r
            : undefined;
        },
        60_000,
      );
      assert.ok(role);
    }
    await env.client.create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`, {
      metadata: { name: 'alice-view' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
    });
    await env.client.create('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      metadata: { name: 'bob-view' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'bob' }],
    });
    assert.equal(await canI('alice', 'list', 'vulnerabilityreports.aquasecurity.github.io', '-n', NS), true);
    assert.equal(
      await canI('alice', 'list', 'vulnerabilityreports.aquasecurity.github.io', '-n', 'default'),
      false,
    );
    assert.equal(
      await canI('alice', 'update', 'vulnerabilityreports.aquasecurity.github.io', '-n', NS),
      false,
    );
    assert.equal(await canI('alice', 'list', 'vulnerabilityscanners.aquasecurity.github.io'), false);
    assert.equal(await canI('bob', 'list', 'vulnerabilityscanners.aquasecurity.github.io'), true);
    assert.equal(await canI('bob', 'update', 'vulnerabilityscanners.aquasecurity.github.io'), false);
  });

  test('the operator does its whole job on the ServiceAccount token, without a single 403', async () => {
    const image = env.debianImage.reference;
    // Same layer, another repository: another image key, so it needs a scan (with credentials) of its own.
    const privateImage = await env.pushImage('vigil/creds', '1');
    const host = env.registry.host;
    await env.client.create(`/api/v1/namespaces/${NS}/secrets`, {
      metadata: { name: 'pull' },
      type: 'kubernetes.io/dockerconfigjson',
      stringData: {
        '.dockerconfigjson': JSON.stringify({
          auths: { [host]: { username: 'shop', password: 'not-checked', auth: btoa('shop:not-checked') } },
        }),
      },
    });
    await env.client.create(`/apis/apps/v1/namespaces/${NS}/deployments`, deployment(NS, 'web', image));
    await env.client.create(`/api/v1/namespaces/${NS}/pods`, pod(NS, 'solo', image));
    const creds = pod(NS, 'creds', privateImage.reference);
    (creds.spec as Json).imagePullSecrets = [{ name: 'pull' }];
    await env.client.create(`/api/v1/namespaces/${NS}/pods`, creds);
    await env.client.create(
      `/api/v1/namespaces/${NS}/pods`,
      pod(NS, 'broken', `${host}/vigil/does-not-exist:1`),
    );
    await env.client.create('/apis/aquasecurity.github.io/v1alpha1/vulnerabilityscanners', {
      apiVersion: 'aquasecurity.github.io/v1alpha1',
      kind: 'VulnerabilityScanner',
      metadata: { name: 'nightly' },
      spec: { schedule: '0 3 * * *', namespaceSelector: { matchLabels: { team: 'shop' } } },
    });

    const operator = await env.startOperator(
      { OPERATOR_LEADER_ELECTION_ENABLED: 'true', OPERATOR_LEADER_ELECTION_ID: 'vigil-rbac-lock' },
      { kubeconfig },
    );

    const rsName = (
      await env.waitFor(
        "web's ReplicaSet",
        async () =>
          (
            await env.client.list<KubeObject>(`/apis/apps/v1/namespaces/${NS}/replicasets`)
          ).items.find((r) => r.metadata?.name?.startsWith('web-')),
        60_000,
      )
    ).metadata?.name;
    const reports = await env.waitFor(
      'reports for the ReplicaSet, solo, creds (Succeeded) and broken (FAILED)',
      async () => {
        const byName = new Map((await reportsNow()).map((r) => [r.metadata.name, r as Json]));
        const got = {
          rs: byName.get(`replicaset-${rsName}-app`),
          solo: byName.get('pod-solo-main'),
          creds: byName.get('pod-creds-main'),
          broken: byName.get('pod-broken-main'),
        };
        return got.rs?.status && got.solo?.status && got.creds?.status && got.broken?.status
          ? got
          : undefined;
      },
      240_000,
    );
    for (const name of ['rs', 'solo', 'creds'] as const) {
      assert.equal(
        reports[name].status.phase,
        'Succeeded',
        `${name}: ${JSON.stringify(reports[name].status)}`,
      );
      assert.ok(reports[name].report.summary.criticalCount + reports[name].report.summary.highCount >= 0);
      assert.ok(reports[name].report.vulnerabilities.length > 0, `${name} has findings`);
    }
    assert.equal(reports.broken.status.phase, 'FAILED');
    const event = await env.waitFor(
      'a ScanFailed Event on broken',
      async () =>
        (
          await env.client.list<KubeObject>(`/api/v1/namespaces/${NS}/events`, {
            query: { fieldSelector: 'involvedObject.name=broken,reason=ScanFailed' },
          })
        ).items[0],
      30_000,
    );
    assert.equal(event.type, 'Warning');
    assert.equal((event as Json).reportingComponent, 'trivy-operator');

    // The credentials went through a <job>-regcred Secret the operator created and tied to its Job.
    const regcred = [...regcreds.values()].find((s) =>
      (s.metadata?.ownerReferences ?? []).some((o) => o.kind === 'Job'),
    );
    assert.ok(regcred, `a -regcred Secret owned by its Job was seen: ${[...regcreds.keys()].join(', ')}`);
    assert.ok(Object.keys((regcred as Json).data ?? {}).includes('main.username'));

    // The VulnerabilityScanner's status subresource was written.
    const scanner = await env.waitFor(
      "the scanner's status",
      async () => {
        const s = await env.client.get<Json>(
          '/apis/aquasecurity.github.io/v1alpha1/vulnerabilityscanners/nightly',
        );
        return s.status?.nextScheduleTime ? s : undefined;
      },
      60_000,
    );
    assert.ok(Date.parse(scanner.status.nextScheduleTime) > Date.now());

    // Leader election on the Lease, and the default ConfigMap the operator created for itself.
    const lease = await env.client.get<Json>(
      `/apis/coordination.k8s.io/v1/namespaces/${OPERATOR_NS}/leases/vigil-rbac-lock`,
    );
    assert.ok(lease.spec?.holderIdentity, 'the Lease has a holder');
    const cm = await env.client.get<Json>(`/api/v1/namespaces/${OPERATOR_NS}/configmaps/trivy-operator`);
    assert.equal(cm.metadata?.labels?.['app.kubernetes.io/managed-by'], 'trivy-operator');

    // A rollout: the new ReplicaSet reuses the result; the stale one's report is expired (patch) and deleted.
    await env.client.patch(
      `/apis/apps/v1/namespaces/${NS}/deployments/web`,
      { spec: { template: { metadata: { annotations: { rollout: '2' } } } } },
      MERGE_PATCH,
    );
    await env.waitFor(
      "the new ReplicaSet's report, and the stale one's deleted",
      async () => {
        const names = (await reportsNow()).map((r) => r.metadata.name);
        const fresh = names.some((n) => n.startsWith('replicaset-web-') && n !== `replicaset-${rsName}-app`);
        return fresh && !names.includes(`replicaset-${rsName}-app`);
      },
      120_000,
    );

    assert.equal(operator.child.exitCode, null, 'the operator is still running');
    assert.deepEqual(forbiddenLines(), [], 'no 403/Forbidden in the operator log');
    assert.match(env.operatorLog(), /"msg":"leading"|leading/, 'it became the leader');
    await env.stopOperator();
  });

  test('without pods/log the operator names the forbidden resource, keeps running, and recovers once it is back', async () => {
    const applied = await applyRbac((rule) => (rule.resources ?? []).includes('pods/log'));
    assert.match(applied, /role\.rbac\.authorization\.k8s\.io\/trivy-operator configured/, applied);
    assert.equal(await canI(SA_USER, 'get', 'pods', '--subresource', 'log', '-n', OPERATOR_NS), false);

    const image = await env.pushImage('vigil/nolog', '1');
    await env.client.create(`/api/v1/namespaces/${NS}/pods`, pod(NS, 'nolog', image.reference));
    const operator = await env.startOperator({}, { kubeconfig });
    const line = await env.waitFor(
      'a log line naming the forbidden pods/log',
      async () => forbiddenLines().find((l) => /pods\/log/.test(l)),
      180_000,
    );
    assert.match(line, /cannot get resource \\"pods\/log\\"/, line);
    assert.match(line, new RegExp(`system:serviceaccount:${OPERATOR_NS}:${SA}`), line);
    assert.equal(operator.child.exitCode, null, 'the operator keeps running');
    const before = (await reportsNow()).find((r) => r.metadata.name === 'pod-nolog-main') as Json;
    assert.notEqual(before?.status?.phase, 'Succeeded', 'no result without the log');

    await applyRbac();
    const report = await env.waitFor(
      "nolog's report once pods/log is allowed again",
      async () =>
        (await reportsNow()).find(
          (r) => r.metadata.name === 'pod-nolog-main' && (r as Json).status?.phase === 'Succeeded',
        ),
      180_000,
    );
    assert.ok(report.report.vulnerabilities.length > 0);
    assert.equal(operator.child.exitCode, null, 'recovered without a restart');
  });

  test('scanJobsInSameNamespace without the opt-in RBAC: FAILED naming the manifest and a ScanFailed Event; with it, the scan runs in the workload namespace', async () => {
    await env.stopOperator();
    assert.equal(await canI(SA_USER, 'create', 'jobs.batch', '-n', NS), false, 'not granted by default');
    // Created with defaults by the operator's first start above.
    await env.client.patch(
      `/api/v1/namespaces/${OPERATOR_NS}/configmaps/trivy-operator`,
      { data: { 'vulnerabilityReports.scanJobsInSameNamespace': 'true' } },
      MERGE_PATCH,
    );
    const image = await env.pushImage('vigil/samens', '1');
    await env.client.create(`/api/v1/namespaces/${NS}/pods`, pod(NS, 'samens', image.reference));
    const operator = await env.startOperator({}, { kubeconfig });
    const failed = await env.waitFor(
      "samens's FAILED report",
      async () =>
        (await reportsNow()).find(
          (r) => r.metadata.name === 'pod-samens-main' && (r as Json).status?.phase === 'FAILED',
        ),
      120_000,
    );
    const status = (failed as Json).status;
    assert.equal(status.reason, 'Forbidden');
    assert.match(status.message, /deploy\/rbac\/opt-in\/scan-jobs-in-same-namespace\.yaml/);
    assert.match(status.message, /cannot create resource \\?"(jobs|secrets)\\?"/, status.message);
    assert.match(status.message, new RegExp(`namespace ${NS}\\b`));
    const event = await env.waitFor(
      'a ScanFailed Event on the samens Pod',
      async () =>
        (
          await env.client.list<KubeObject>(`/api/v1/namespaces/${NS}/events`, {
            query: { fieldSelector: 'involvedObject.name=samens,reason=ScanFailed' },
          })
        ).items[0],
      30_000,
    );
    assert.equal(event.type, 'Warning');
    assert.match(String(event.message), /scan-jobs-in-same-namespace\.yaml/);
    assert.equal(operator.child.exitCode, null, 'the operator keeps running');

    const optIn = join(RBAC_DIR, 'opt-in', 'scan-jobs-in-same-namespace.yaml');
    const file = join(env.cluster.controlPlane.dir, 'rbac-same-namespace.yaml');
    writeFileSync(file, renderFiles([optIn], OPERATOR_NS));
    await env.kubectl('apply', '-f', file);
    for (const [verb, resource] of [
      ['create', 'jobs.batch'],
      ['delete', 'jobs.batch'],
      ['create', 'secrets'],
      ['patch', 'secrets'],
      ['list', 'pods'],
      ['get', 'pods/log'],
    ] as const) {
      const [res, sub] = resource.split('/');
      const args = [verb, res as string, ...(sub ? ['--subresource', sub] : []), '-n', NS];
      assert.equal(await canI(SA_USER, ...args), true, `${verb} ${resource} in ${NS} with the opt-in`);
    }
    assert.equal(await canI(SA_USER, 'list', 'secrets', '-n', NS), false, 'still no Secret list');
    assert.equal(await canI(SA_USER, 'get', 'configmaps', '-n', NS), false, 'still no ConfigMaps');

    const report = await env.waitFor(
      "samens's Succeeded report once the opt-in RBAC is applied",
      async () =>
        (await reportsNow()).find(
          (r) => r.metadata.name === 'pod-samens-main' && (r as Json).status?.phase === 'Succeeded',
        ),
      180_000,
    );
    assert.ok(report.report.vulnerabilities.length > 0);
    assert.equal(
      (
        await env.client.list<KubeObject>(`/apis/batch/v1/namespaces/${OPERATOR_NS}/jobs`, {
          query: { labelSelector: 'trivy-operator.resource.name=samens' },
        })
      ).items.length,
      0,
      'no Job for it in the operator namespace',
    );
    assert.equal(operator.child.exitCode, null, 'recovered without a restart');
    await env.stopOperator();
  });
});
