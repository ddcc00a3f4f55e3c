// The pure rules of the workload model, on plain objects shaped like the API server's.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../k8s/index.js';
import { GlobPatternError } from '../config/glob.js';
import {
  canonicalJson,
  computeHash,
  DEPLOYMENT_TYPE,
  digestFromImageID,
  fnv32a,
  imageIDsFromPods,
  imageKey,
  labelsMatchSelector,
  ownerForPod,
  parseWorkloadKey,
  parseWorkloadKind,
  podSelectorOf,
  podsMatchingSelector,
  podsOfWorkload,
  podTemplateOf,
  type ResolveResult,
  resolveScanOwner,
  safeEncodeString,
  scanTargets,
  skipReason,
  specHash,
  WORKLOAD_TYPES,
  type WorkloadKind,
  type WorkloadLookup,
  workloadKey,
} from './index.js';

const D1 = `sha256:${'a1'.repeat(32)}`;
const D2 = `sha256:${'b2'.repeat(32)}`;

describe('kinds and keys', () => {
  test('WORKLOAD_TYPES place each kind in the API', () => {
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(WORKLOAD_TYPES).map(([k, t]) => [k, `${t.group}/${t.version}/${t.plural}`]),
      ),
      {
        Pod: '/v1/pods',
        ReplicaSet: 'apps/v1/replicasets',
        ReplicationController: '/v1/replicationcontrollers',
        StatefulSet: 'apps/v1/statefulsets',
        DaemonSet: 'apps/v1/daemonsets',
        CronJob: 'batch/v1/cronjobs',
        Job: 'batch/v1/jobs',
      },
    );
    for (const [kind, t] of Object.entries(WORKLOAD_TYPES)) {
      assert.equal(t.kind, kind);
      assert.equal(t.namespaced, true);
    }
    assert.deepEqual(
      { ...DEPLOYMENT_TYPE },
      {
        group: 'apps',
        version: 'v1',
        plural: 'deployments',
        kind: 'Deployment',
        namespaced: true,
      },
    );
  });

  test('parseWorkloadKind is case-insensitive and knows no Deployment', () => {
    assert.equal(parseWorkloadKind('replicaset'), 'ReplicaSet');
    assert.equal(parseWorkloadKind(' CronJob '), 'CronJob');
    assert.equal(parseWorkloadKind('REPLICATIONCONTROLLER'), 'ReplicationController');
    assert.equal(parseWorkloadKind('pod'), 'Pod');
    assert.equal(parseWorkloadKind('deployment'), undefined);
    assert.equal(parseWorkloadKind(''), undefined);
    assert.equal(parseWorkloadKind('toString'), undefined);
  });

  test('workload keys round-trip and bad keys are refused with the key named', () => {
    const key = workloadKey('StatefulSet', 'db', 'postgres');
    assert.equal(key, 'StatefulSet/db/postgres');
    assert.deepEqual(parseWorkloadKey(key), { kind: 'StatefulSet', namespace: 'db', name: 'postgres' });
    for (const bad of [
      'Deployment/ns/web',
      'ReplicaSet/ns',
      'ReplicaSet//web',
      'ReplicaSet/ns/a/b',
      'replicaset/ns/a',
    ]) {
      assert.throws(
        () => parseWorkloadKey(bad),
        new RegExp(JSON.stringify(bad).replace(/[/.*+?^${}()|[\]\\]/g, '\\$&')),
      );
    }
  });
});

describe('spec hash', () => {
  test('FNV-32a matches Go hash/fnv and SafeEncodeString maps digits as k8s does', () => {
    assert.equal(fnv32a(new Uint8Array()), 0x811c9dc5);
    assert.equal(fnv32a(Buffer.from('a')), 0xe40c292c);
    assert.equal(fnv32a(Buffer.from('foobar')), 0xbf9cf968);
    // From Go 1.26: fnv.New32a().Write([]byte(`{"a":1}`)).Sum32()
    assert.equal(fnv32a(Buffer.from('{"a":1}')), 2342405393);
    assert.equal(safeEncodeString('0123456789'), '456789bcdf');
    assert.equal(computeHash({ a: 1 }), safeEncodeString('2342405393'));
    assert.equal(computeHash({ a: 1 }), '67868497f7');
  });

  test('canonical JSON sorts keys at every depth and drops undefined members', () => {
    assert.equal(
      canonicalJson({ b: [{ z: 1, y: undefined, x: null }, undefined], a: 'é', c: undefined, d: Number.NaN }),
      '{"a":"é","b":[{"x":null,"z":1},null],"d":null}',
    );
    assert.equal(canonicalJson(undefined), 'null');
    assert.throws(() => canonicalJson({ n: 1n }), /bigint/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(() => canonicalJson(cyclic), /cycle/);
    // Shared (not cyclic) sub-objects are fine.
    const shared = { v: 1 };
    assert.equal(canonicalJson([shared, shared]), '[{"v":1},{"v":1}]');
  });

  test('specHash ignores key order and absent members but sees every real change', () => {
    const spec = { containers: [{ name: 'app', image: 'nginx:1.25', env: [{ name: 'A', value: '1' }] }] };
    const reordered = {
      containers: [{ env: [{ value: '1', name: 'A' }], image: 'nginx:1.25', name: 'app' }],
    };
    const h = specHash(spec);
    assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    assert.equal(specHash(reordered), h);
    assert.equal(specHash({ ...spec, serviceAccountName: undefined }), h);
    assert.notEqual(specHash({ containers: [{ ...spec.containers[0]!, image: 'nginx:1.26' }] }), h);
    assert.notEqual(
      specHash({ containers: [{ ...spec.containers[0]!, env: [{ name: 'A', value: '2' }] }] }),
      h,
    );
    assert.notEqual(specHash({ ...spec, serviceAccountName: 'sa' }), h);
    // Container order is meaningful.
    const two = {
      containers: [
        { name: 'a', image: 'x' },
        { name: 'b', image: 'y' },
      ],
    };
    assert.notEqual(specHash(two), specHash({ containers: [...two.containers].reverse() }));
  });
});

describe('image keys', () => {
  test('Docker normalisation with Docker Hub as index.docker.io', () => {
    const cases: Array<[string, string]> = [
      ['nginx', 'index.docker.io/library/nginx:latest'],
      ['nginx:1.25', 'index.docker.io/library/nginx:1.25'],
      ['docker.io/nginx:1.25', 'index.docker.io/library/nginx:1.25'],
      ['index.docker.io/library/nginx:1.25', 'index.docker.io/library/nginx:1.25'],
      ['bitnami/redis:7', 'index.docker.io/bitnami/redis:7'],
      ['ghcr.io/aquasecurity/trivy:0.50.0', 'ghcr.io/aquasecurity/trivy:0.50.0'],
      ['127.0.0.1:5000/team/app', '127.0.0.1:5000/team/app:latest'],
      [`nginx@${D1}`, `index.docker.io/library/nginx@${D1}`],
      [`quay.io/x/y:1.0@${D1}`, `quay.io/x/y@${D1}`],
    ];
    for (const [image, key] of cases) assert.equal(imageKey(image), key, image);
  });

  test('the digest comes from the reference first, else from a repo-digest imageID', () => {
    assert.equal(
      imageKey('nginx:1.25', `docker-pullable://nginx@${D1}`),
      `index.docker.io/library/nginx@${D1}`,
    );
    assert.equal(
      imageKey('nginx:1.25', `docker.io/library/nginx@${D1}`),
      `index.docker.io/library/nginx@${D1}`,
    );
    // A bare image ID names no manifest: ignored.
    assert.equal(imageKey('nginx:1.25', D1), 'index.docker.io/library/nginx:1.25');
    assert.equal(imageKey('nginx:1.25', `docker://${D1}`), 'index.docker.io/library/nginx:1.25');
    assert.equal(imageKey('nginx:1.25', ''), 'index.docker.io/library/nginx:1.25');
    // A pinned reference wins over what the runtime reports.
    assert.equal(
      imageKey(`nginx@${D1}`, `docker-pullable://nginx@${D2}`),
      `index.docker.io/library/nginx@${D1}`,
    );
    assert.equal(digestFromImageID(`docker-pullable://r.example/a@${D2}`), D2);
    assert.equal(digestFromImageID(`r.example/a@sha256:${'a'.repeat(63)}`), undefined);
  });

  test('an invalid reference throws an error naming it', () => {
    assert.throws(() => imageKey('Nginx:1.25'), /"Nginx:1\.25"/);
    assert.throws(() => imageKey(''), /empty/);
  });
});

const deployment = (revision: string): KubeObject => ({
  metadata: {
    name: 'web',
    namespace: 'shop',
    uid: 'uid-deploy',
    annotations: { 'deployment.kubernetes.io/revision': revision },
  },
  spec: { selector: { matchLabels: { app: 'web' } } },
});

const podSpec = {
  initContainers: [{ name: 'migrate', image: 'ghcr.io/acme/migrate:2' }],
  containers: [
    { name: 'web', image: 'nginx:1.25' },
    { name: 'sidecar', image: 'docker.io/envoyproxy/envoy:v1.30' },
  ],
};

const replicaSet = (
  name: string,
  revision: string,
  extra: Partial<KubeObject['metadata']> = {},
): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: {
    name,
    namespace: 'shop',
    uid: `uid-${name}`,
    annotations: { 'deployment.kubernetes.io/revision': revision },
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-deploy', controller: true },
    ],
    ...extra,
  },
  spec: {
    selector: { matchLabels: { app: 'web', 'pod-template-hash': name.slice(4) } },
    template: { metadata: { labels: { app: 'web' } }, spec: podSpec },
  },
});

const pod = (
  name: string,
  labels: Record<string, string>,
  owner?: { kind: string; name: string; uid: string },
) => ({
  metadata: {
    name,
    namespace: 'shop',
    uid: `uid-${name}`,
    labels,
    ...(owner ? { ownerReferences: [{ apiVersion: 'v1', controller: true, ...owner }] } : {}),
  },
  spec: podSpec,
});

/** A lookup over plain lists, as the reconciler's over informer caches. */
function lookupOver(objects: Partial<Record<WorkloadKind | 'Deployment', KubeObject[]>>, pods: KubeObject[]) {
  const calls: string[] = [];
  const lookup: WorkloadLookup = {
    get(kind, namespace, name) {
      calls.push(`get ${kind} ${namespace}/${name}`);
      return objects[kind]?.find((o) => o.metadata?.namespace === namespace && o.metadata?.name === name);
    },
    podsOf(workload, kind) {
      calls.push(`podsOf ${kind} ${workload.metadata?.name}`);
      return podsOfWorkload(workload, kind, pods);
    },
  };
  return { lookup, calls };
}

describe('pod templates and scan targets', () => {
  test('podTemplateOf finds the template of every kind, with or without a kind on the object', () => {
    const template = { metadata: { labels: { a: 'b' } }, spec: podSpec };
    const objs: Array<[WorkloadKind, KubeObject]> = [
      ['Pod', { metadata: { name: 'p' }, spec: podSpec }],
      ['ReplicaSet', { spec: { template } }],
      ['Job', { spec: { template } }],
      ['CronJob', { spec: { schedule: '* * * * *', jobTemplate: { spec: { template } } } }],
    ];
    for (const [kind, obj] of objs) {
      assert.equal(podTemplateOf(obj, kind)?.spec, podSpec, kind);
      assert.equal(podTemplateOf({ ...obj, kind })?.spec, podSpec, `${kind} from obj.kind`);
      assert.equal(podTemplateOf(obj)?.spec, podSpec, `${kind} by shape`);
    }
    assert.deepEqual(podTemplateOf(objs[1]![1])?.metadata, { labels: { a: 'b' } });
    assert.equal(podTemplateOf({ kind: 'ConfigMap', data: {} }), undefined);
    assert.equal(podTemplateOf({ spec: { template: { spec: {} } } }), undefined);
  });

  test('containers, init containers and ephemeral containers, in that order, with keys', () => {
    const p: KubeObject = {
      kind: 'Pod',
      metadata: { name: 'debug' },
      spec: { ...podSpec, ephemeralContainers: [{ name: 'dbg', image: 'busybox' }] },
    };
    assert.deepEqual(scanTargets(p), {
      targets: [
        {
          container: 'web',
          image: 'nginx:1.25',
          imageKey: 'index.docker.io/library/nginx:1.25',
          kind: 'container',
        },
        {
          container: 'sidecar',
          image: 'docker.io/envoyproxy/envoy:v1.30',
          imageKey: 'index.docker.io/envoyproxy/envoy:v1.30',
          kind: 'container',
        },
        {
          container: 'migrate',
          image: 'ghcr.io/acme/migrate:2',
          imageKey: 'ghcr.io/acme/migrate:2',
          kind: 'init',
        },
        {
          container: 'dbg',
          image: 'busybox',
          imageKey: 'index.docker.io/library/busybox:latest',
          kind: 'ephemeral',
        },
      ],
      excluded: [],
    });
  });

  test('skipInitContainers and excludeImages drop containers from the targets (#3035, no rescan loop)', () => {
    const rs = replicaSet('web-abc', '1');
    const { targets, excluded } = scanTargets(rs, {
      skipInitContainers: true,
      excludeImages: ['docker.io/envoyproxy/*', 'ghcr.io/*/*'],
    });
    assert.deepEqual(
      targets.map((t) => t.container),
      ['web'],
    );
    // The init container is simply gone (not "excluded"); the excluded image is reported so callers can log it.
    assert.deepEqual(
      excluded.map((t) => [t.container, t.kind]),
      [['sidecar', 'container']],
    );
    const withInit = scanTargets(rs, { excludeImages: ['ghcr.io/*/*'] });
    assert.deepEqual(
      withInit.targets.map((t) => t.container),
      ['web', 'sidecar'],
    );
    assert.deepEqual(
      withInit.excluded.map((t) => t.container),
      ['migrate'],
    );
    // Globs match the image as written, not its normalised key: "nginx*" matches "nginx:1.25".
    assert.deepEqual(
      scanTargets(rs, { excludeImages: ['nginx*'] }).excluded.map((t) => t.container),
      ['web'],
    );
    assert.throws(() => scanTargets(rs, { excludeImages: ['ghcr.io/['] }), GlobPatternError);
  });

  test('imageIDs pin targets to the digest the pods run; an invalid image keeps its text as key', () => {
    const rs = replicaSet('web-abc', '1');
    const ids = new Map([
      ['web', `docker-pullable://nginx@${D1}`],
      ['sidecar', D2],
    ]);
    const { targets } = scanTargets(rs, { imageIDs: ids, skipInitContainers: true });
    assert.deepEqual(
      targets.map((t) => t.imageKey),
      [`index.docker.io/library/nginx@${D1}`, 'index.docker.io/envoyproxy/envoy:v1.30'],
    );
    const bad = scanTargets({
      kind: 'Pod',
      spec: { containers: [{ name: 'x', image: 'Bad:Image ' }, { name: 'y' }] },
    });
    assert.deepEqual(bad.targets, [
      { container: 'x', image: 'Bad:Image ', imageKey: 'Bad:Image', kind: 'container' },
    ]);
  });

  test('imageIDsFromPods: repo digests by container name; stale, bare and disagreeing ones left out', () => {
    const withStatus = (name: string, statuses: Record<string, unknown>): KubeObject => ({
      ...pod(name, { app: 'web' }),
      status: statuses,
    });
    const pods = [
      withStatus('a', {
        containerStatuses: [
          { name: 'web', image: 'docker.io/library/nginx:1.25', imageID: `docker.io/library/nginx@${D1}` },
          { name: 'sidecar', image: 'envoyproxy/envoy:v1.30', imageID: D2 },
        ],
        initContainerStatuses: [
          { name: 'migrate', image: 'ghcr.io/acme/migrate:2', imageID: `ghcr.io/acme/migrate@${D2}` },
        ],
      }),
      withStatus('b', {
        containerStatuses: [{ name: 'web', image: 'nginx:1.25', imageID: `docker-pullable://nginx@${D1}` }],
      }),
      withStatus('c', { phase: 'Pending' }),
    ];
    assert.deepEqual(
      imageIDsFromPods(pods),
      new Map([
        ['web', `docker.io/library/nginx@${D1}`],
        ['migrate', `ghcr.io/acme/migrate@${D2}`],
      ]),
    );
    // Another pod runs a different digest of the same tag: no single image, so no digest.
    const moved = withStatus('d', {
      containerStatuses: [{ name: 'web', image: 'nginx:1.25', imageID: `nginx@${D2}` }],
    });
    assert.equal(imageIDsFromPods([...pods, moved]).has('web'), false);
    assert.equal(imageIDsFromPods([...pods, moved]).get('migrate'), `ghcr.io/acme/migrate@${D2}`);
    // A Pod whose image was changed in place still reports the old image: not evidence for the new one.
    const changed = withStatus('e', {
      containerStatuses: [{ name: 'web', image: 'nginx:1.24', imageID: `nginx@${D2}` }],
    });
    assert.equal(imageIDsFromPods([changed]).has('web'), false);
    // Runtimes that report the image by digest are still believed.
    const byDigest = withStatus('f', {
      containerStatuses: [{ name: 'web', image: `nginx@${D2}`, imageID: `nginx@${D2}` }],
    });
    assert.equal(imageIDsFromPods([byDigest]).get('web'), `nginx@${D2}`);
  });
});

describe('selectors', () => {
  test('matchLabels and matchExpressions, as the API server evaluates them', () => {
    const labels = { app: 'web', tier: 'front', env: 'prod' };
    const yes = (s: Parameters<typeof labelsMatchSelector>[1]) =>
      assert.equal(labelsMatchSelector(labels, s), true);
    const no = (s: Parameters<typeof labelsMatchSelector>[1]) =>
      assert.equal(labelsMatchSelector(labels, s), false);
    yes({});
    no(undefined);
    yes({ matchLabels: { app: 'web' } });
    no({ matchLabels: { app: 'web', tier: 'back' } });
    yes({ matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'stage'] }] });
    no({ matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }] });
    no({ matchExpressions: [{ key: 'missing', operator: 'In', values: [''] }] });
    yes({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] });
    yes({ matchExpressions: [{ key: 'missing', operator: 'NotIn', values: ['dev'] }] });
    no({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] });
    yes({ matchExpressions: [{ key: 'tier', operator: 'Exists' }] });
    no({ matchExpressions: [{ key: 'missing', operator: 'Exists' }] });
    yes({ matchExpressions: [{ key: 'missing', operator: 'DoesNotExist' }] });
    no({ matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] });
    no({ matchExpressions: [{ key: 'app', operator: 'Gt', values: ['1'] }] });
    no({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] });
    assert.equal(labelsMatchSelector(undefined, {}), true);
    const pods = [pod('p1', { app: 'web' }), pod('p2', { app: 'api' }), pod('p3', {})];
    assert.deepEqual(
      podsMatchingSelector(pods, { matchExpressions: [{ key: 'app', operator: 'Exists' }] }).map(
        (p) => p.metadata.name,
      ),
      ['p1', 'p2'],
    );
  });

  test('podSelectorOf reads a ReplicationController map selector; podsOfWorkload stays in the namespace', () => {
    const rc: KubeObject = { metadata: { namespace: 'shop' }, spec: { selector: { app: 'web' } } };
    assert.deepEqual(podSelectorOf(rc, 'ReplicationController'), { matchLabels: { app: 'web' } });
    const rcDefault: KubeObject = {
      metadata: { namespace: 'shop' },
      spec: { template: { metadata: { labels: { app: 'api' } } } },
    };
    assert.deepEqual(podSelectorOf(rcDefault, 'ReplicationController'), { matchLabels: { app: 'api' } });
    assert.equal(podSelectorOf({ spec: {} }, 'CronJob'), undefined);
    const elsewhere = {
      ...pod('other', { app: 'web' }),
      metadata: { name: 'other', namespace: 'dev', labels: { app: 'web' } },
    };
    assert.deepEqual(
      podsOfWorkload(rc, 'ReplicationController', [
        pod('p1', { app: 'web' }),
        elsewhere,
        pod('p2', { app: 'x' }),
      ]).map((p) => p.metadata?.name),
      ['p1'],
    );
    assert.deepEqual(
      podsOfWorkload({ metadata: { namespace: 'shop' }, spec: {} }, 'ReplicaSet', [pod('p1', {})]),
      [],
    );
  });
});

describe('owner resolution', () => {
  const current = replicaSet('web-new', '2');
  const old = replicaSet('web-old', '1');
  const rsPod = pod(
    'web-new-1',
    { app: 'web', 'pod-template-hash': 'new' },
    { kind: 'ReplicaSet', name: 'web-new', uid: 'uid-web-new' },
  );
  const objects = { Deployment: [deployment('2')], ReplicaSet: [current, old] };
  const on = { scanOnlyCurrentRevisions: true };
  const skipOf = (r: ResolveResult) => ('skip' in r ? r.skip : undefined);

  test('the current ReplicaSet with pods is its own owner', () => {
    const { lookup } = lookupOver(objects, [rsPod]);
    const result = resolveScanOwner(current, 'ReplicaSet', lookup, on);
    assert.ok('owner' in result, skipOf(result));
    assert.deepEqual(
      { ...result.owner, object: undefined },
      {
        kind: 'ReplicaSet',
        namespace: 'shop',
        name: 'web-new',
        uid: 'uid-web-new',
        apiVersion: 'apps/v1',
        object: undefined,
      },
    );
    assert.equal(result.owner.object, current);
  });

  test('an old revision is stale (even with no pods left); without the option only the pod check applies', () => {
    const { lookup } = lookupOver(objects, [rsPod]);
    const stale = resolveScanOwner(old, 'ReplicaSet', lookup, on);
    assert.ok('skip' in stale);
    assert.match(stale.skip, /not the current revision/);
    assert.equal(stale.staleRevision, true);
    const off = resolveScanOwner(old, 'ReplicaSet', lookup, { scanOnlyCurrentRevisions: false });
    assert.ok('skip' in off);
    assert.match(off.skip, /no active pods/);
    assert.equal(off.staleRevision, undefined);
    const oldPod = pod('web-old-1', { app: 'web', 'pod-template-hash': 'old' });
    const { lookup: withOldPod } = lookupOver(objects, [rsPod, oldPod]);
    assert.ok(
      'owner' in resolveScanOwner(old, 'ReplicaSet', withOldPod, { scanOnlyCurrentRevisions: false }),
    );
  });

  test('a ReplicaSet without pods, or whose Deployment is unknown, is judged by its pods', () => {
    const { lookup } = lookupOver(objects, []);
    assert.match(skipOf(resolveScanOwner(current, 'ReplicaSet', lookup, on)) ?? '', /has no active pods/);
    const { lookup: noDeployment } = lookupOver({ ReplicaSet: [old] }, [
      pod('x', { app: 'web', 'pod-template-hash': 'old' }),
    ]);
    assert.ok('owner' in resolveScanOwner(old, 'ReplicaSet', noDeployment, on));
    const standalone = replicaSet('web-solo', '1', { ownerReferences: [] });
    const { lookup: solo, calls } = lookupOver({}, [pod('y', { app: 'web', 'pod-template-hash': 'solo' })]);
    assert.ok('owner' in resolveScanOwner(standalone, 'ReplicaSet', solo, on));
    assert.deepEqual(calls, ['podsOf ReplicaSet web-solo']);
  });

  test('managed pods, CronJob Jobs, deleted objects and our own objects are skipped', () => {
    const { lookup } = lookupOver(objects, [rsPod]);
    for (const [controllerKind, expected] of [
      ['ReplicaSet', true],
      ['ReplicationController', true],
      ['StatefulSet', true],
      ['DaemonSet', true],
      ['Job', true],
      ['Node', false],
      ['MyOperatorThing', false],
    ] as const) {
      const p = pod('p', {}, { kind: controllerKind, name: 'c', uid: 'u' });
      const r = resolveScanOwner(p, 'Pod', lookup, on);
      assert.equal('skip' in r, expected, controllerKind);
      if (expected) assert.match(skipOf(r) ?? '', new RegExp(`managed by ${controllerKind} c`));
    }
    const bare = pod('bare', {});
    const r = resolveScanOwner(bare, 'Pod', lookup, on);
    assert.ok('owner' in r);
    assert.equal(r.owner.apiVersion, 'v1');
    // A non-controller owner reference does not make a pod managed.
    const ownedOnly = {
      ...bare,
      metadata: {
        ...bare.metadata,
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'x', uid: 'u' }],
      },
    };
    assert.ok('owner' in resolveScanOwner(ownedOnly, 'Pod', lookup, on));
    const dc = {
      ...bare,
      metadata: { ...bare.metadata, annotations: { 'openshift.io/deployment-config.name': 'x' } },
    };
    assert.match(skipOf(resolveScanOwner(dc, 'Pod', lookup, on)) ?? '', /DeploymentConfig/);

    const cronJob = { kind: 'CronJob', name: 'nightly', uid: 'uid-cj' };
    const job = {
      metadata: {
        name: 'nightly-1',
        namespace: 'shop',
        ownerReferences: [{ apiVersion: 'batch/v1', controller: true, ...cronJob }],
      },
    };
    assert.match(skipOf(resolveScanOwner(job, 'Job', lookup, on)) ?? '', /CronJob nightly/);
    const soloJob = { metadata: { name: 'once', namespace: 'shop', uid: 'uid-once' } };
    const j = resolveScanOwner(soloJob, 'Job', lookup, on);
    assert.ok('owner' in j);
    assert.equal(j.owner.apiVersion, 'batch/v1');

    const deleting = replicaSet('web-new', '2', { deletionTimestamp: '2026-01-01T00:00:00Z' });
    assert.match(skipOf(resolveScanOwner(deleting, 'ReplicaSet', lookup, on)) ?? '', /being deleted/);
    const ours = {
      metadata: {
        name: 'scan-vulnerabilityreport-x',
        namespace: 'vigil',
        labels: { 'app.kubernetes.io/managed-by': 'trivy-operator' },
      },
    };
    assert.match(skipOf(resolveScanOwner(ours, 'Job', lookup, on)) ?? '', /managed by the operator/);
    assert.match(skipOf(resolveScanOwner(ours, 'Pod', lookup, on)) ?? '', /managed by the operator/);
  });

  test('StatefulSets and ReplicationControllers need pods; DaemonSets and CronJobs do not', () => {
    const sts = {
      metadata: { name: 'db', namespace: 'shop', uid: 'u1' },
      spec: { selector: { matchLabels: { app: 'db' } } },
    };
    const rc = {
      metadata: { name: 'old', namespace: 'shop', uid: 'u2' },
      spec: { selector: { app: 'old' } },
    };
    const ds = {
      metadata: { name: 'agent', namespace: 'shop', uid: 'u3' },
      spec: { selector: { matchLabels: { app: 'agent' } } },
    };
    const cj = { metadata: { name: 'nightly', namespace: 'shop', uid: 'u4' }, spec: {} };
    const { lookup: empty } = lookupOver({}, []);
    assert.match(skipOf(resolveScanOwner(sts, 'StatefulSet', empty, on)) ?? '', /no active pods/);
    assert.match(skipOf(resolveScanOwner(rc, 'ReplicationController', empty, on)) ?? '', /no active pods/);
    assert.ok('owner' in resolveScanOwner(ds, 'DaemonSet', empty, on));
    assert.ok('owner' in resolveScanOwner(cj, 'CronJob', empty, on));
    const { lookup: full } = lookupOver({}, [pod('db-0', { app: 'db' }), pod('old-x', { app: 'old' })]);
    assert.ok('owner' in resolveScanOwner(sts, 'StatefulSet', full, on));
    assert.ok('owner' in resolveScanOwner(rc, 'ReplicationController', full, on));
  });

  test('ownerForPod maps a pod to the workload that gets its report', () => {
    const job = {
      metadata: {
        name: 'nightly-1',
        namespace: 'shop',
        uid: 'uid-job',
        ownerReferences: [
          { apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', uid: 'uid-cj', controller: true },
        ],
      },
    };
    const cron = { metadata: { name: 'nightly', namespace: 'shop', uid: 'uid-cj' } };
    const soloJob = { metadata: { name: 'once', namespace: 'shop', uid: 'uid-once' } };
    const { lookup } = lookupOver({ ...objects, Job: [job, soloJob], CronJob: [cron] }, []);
    const of = (p: KubeObject) => {
      const ref = ownerForPod(p, lookup);
      return ref && `${ref.kind}/${ref.namespace}/${ref.name}@${ref.uid}`;
    };
    assert.equal(of(rsPod), 'ReplicaSet/shop/web-new@uid-web-new');
    assert.equal(
      of(pod('j', {}, { kind: 'Job', name: 'nightly-1', uid: 'uid-job' })),
      'CronJob/shop/nightly@uid-cj',
    );
    assert.equal(of(pod('o', {}, { kind: 'Job', name: 'once', uid: 'uid-once' })), 'Job/shop/once@uid-once');
    assert.equal(of(pod('bare', {})), 'Pod/shop/bare@uid-bare');
    assert.equal(
      of(pod('custom', {}, { kind: 'Workflow', name: 'w', uid: 'w' })),
      'Pod/shop/custom@uid-custom',
    );
    // The controller is not (yet) cached, or the cached object is a namesake with another uid: unknown.
    assert.equal(of(pod('s', {}, { kind: 'StatefulSet', name: 'db', uid: 'u' })), undefined);
    assert.equal(of(pod('r', {}, { kind: 'ReplicaSet', name: 'web-new', uid: 'recreated' })), undefined);
    const ours = pod(
      'scan',
      { 'app.kubernetes.io/managed-by': 'trivy-operator' },
      { kind: 'Job', name: 'once', uid: 'uid-once' },
    );
    assert.equal(of(ours), undefined);
  });
});

describe('exclusions', () => {
  test('namespace scope and skip labels', () => {
    const options = {
      namespaceInScope: (ns: string) => !ns.startsWith('kube-'),
      skipResourceByLabels: ['vigil/skip', 'legacy'],
    };
    const obj = (namespace: string, labels: Record<string, string> = {}): KubeObject => ({
      metadata: { name: 'x', namespace, labels },
    });
    assert.equal(skipReason(obj('shop'), options), undefined);
    assert.match(skipReason(obj('kube-system'), options) ?? '', /namespace "kube-system" is not in scope/);
    // A key is enough, whatever its value (even empty).
    assert.match(skipReason(obj('shop', { legacy: '' }), options) ?? '', /label legacy/);
    assert.equal(skipReason(obj('shop', { 'vigil/skipped': 'true' }), options), undefined);
    assert.equal(
      skipReason(obj('shop', { app: 'x' }), { ...options, skipResourceByLabels: [''] }),
      undefined,
    );
  });
});
