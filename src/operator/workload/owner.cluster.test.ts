// Owner resolution on objects made by the real controllers of the local control plane: Deployment → ReplicaSet
// → Pods (and a rollout to a second revision), CronJob → Job → Pod, StatefulSet → Pod. The lookup reads the
// API server directly, as the reconciler's reads its informer caches.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type LocalCluster, startLocalCluster } from '../../../test/env/cluster.js';
import { waitFor } from '../../../test/env/net.js';
import { parseReference } from '../../image/index.js';
import type { KubeClient, KubeObject } from '../../k8s/index.js';
import {
  imageIDsFromPods,
  ownerForPod,
  podsOfWorkload,
  podTemplateOf,
  type ResolveResult,
  resolveScanOwner,
  scanTargets,
  specHash,
  type WorkloadKind,
  type WorkloadLookup,
} from './index.js';

const NS = 'workload-test';
const on = { scanOnlyCurrentRevisions: true };

/** What a containerd node reports: the repository with the digest of the manifest it pulled. */
const fakeDigest = (image: string) => `sha256:${createHash('sha256').update(image).digest('hex')}`;
const imageIdOf = async (image: string) => {
  const ref = parseReference(image);
  return `${ref.registry}/${ref.repository}@${fakeDigest(image)}`;
};

interface Snapshot {
  lookup: WorkloadLookup;
  pods: KubeObject[];
  list(kind: WorkloadKind | 'Deployment'): KubeObject[];
}

const PATHS: Record<WorkloadKind | 'Deployment', string> = {
  Pod: `/api/v1/namespaces/${NS}/pods`,
  ReplicationController: `/api/v1/namespaces/${NS}/replicationcontrollers`,
  Deployment: `/apis/apps/v1/namespaces/${NS}/deployments`,
  ReplicaSet: `/apis/apps/v1/namespaces/${NS}/replicasets`,
  StatefulSet: `/apis/apps/v1/namespaces/${NS}/statefulsets`,
  DaemonSet: `/apis/apps/v1/namespaces/${NS}/daemonsets`,
  Job: `/apis/batch/v1/namespaces/${NS}/jobs`,
  CronJob: `/apis/batch/v1/namespaces/${NS}/cronjobs`,
};

/** Lists every kind once, so one test step sees a consistent-enough view, like an informer cache. */
async function snapshot(client: KubeClient): Promise<Snapshot> {
  const lists = new Map<string, KubeObject[]>();
  for (const [kind, path] of Object.entries(PATHS)) lists.set(kind, (await client.list(path)).items);
  const list = (kind: WorkloadKind | 'Deployment') => lists.get(kind) ?? [];
  const pods = list('Pod');
  return {
    pods,
    list,
    lookup: {
      get: (kind, namespace, name) =>
        list(kind).find((o) => o.metadata?.namespace === namespace && o.metadata?.name === name),
      podsOf: (workload, kind) => podsOfWorkload(workload, kind, pods),
    },
  };
}

const running = (pods: KubeObject[]) =>
  pods.filter((p) => (p.status as { phase?: string } | undefined)?.phase === 'Running');
const ownedBy = (objs: KubeObject[], uid: string | undefined) =>
  objs.filter((o) => o.metadata?.ownerReferences?.some((r) => r.uid === uid && r.controller));
const revisionOf = (o: KubeObject | undefined) =>
  o?.metadata?.annotations?.['deployment.kubernetes.io/revision'];
const describeResult = (r: ResolveResult) =>
  'owner' in r ? `owner ${r.owner.kind}/${r.owner.name}` : `skip: ${r.skip}`;

describe('owner resolution on the real control plane', () => {
  let cluster: LocalCluster;
  let client: KubeClient;

  before(async () => {
    cluster = await startLocalCluster({ imageId: imageIdOf });
    client = cluster.controlPlane.client;
    await client.create('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: NS },
    });
    // Everything is created up front: the CronJob's first Job waits for the next minute boundary.
    await client.create(PATHS.Deployment, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            initContainers: [{ name: 'init', image: 'docker.io/library/busybox:1.36', command: ['true'] }],
            containers: [{ name: 'web', image: 'nginx:1.25' }],
          },
        },
      },
    });
    await client.create(PATHS.CronJob, {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly' },
      spec: {
        schedule: '* * * * *',
        concurrencyPolicy: 'Forbid',
        jobTemplate: {
          spec: {
            template: {
              spec: {
                restartPolicy: 'Never',
                containers: [{ name: 'task', image: 'ghcr.io/acme/task:1', command: ['sleep', '300'] }],
              },
            },
          },
        },
      },
    });
    await client.create(PATHS.StatefulSet, {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db' },
      spec: {
        replicas: 1,
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        template: {
          metadata: { labels: { app: 'db' } },
          spec: { containers: [{ name: 'db', image: 'postgres:16' }] },
        },
      },
    });
  });

  after(async () => {
    await cluster?.stop();
  });

  test('Deployment: the current ReplicaSet owns the report; pods map to it; an old revision is stale', async () => {
    await waitFor(
      'two running web pods',
      async () =>
        running((await snapshot(client)).pods.filter((p) => p.metadata?.labels?.app === 'web')).length === 2,
      {
        timeoutMs: 90_000,
      },
    );
    let snap = await snapshot(client);
    const deployment = snap.list('Deployment')[0]!;
    const [rs1] = ownedBy(snap.list('ReplicaSet'), deployment.metadata?.uid);
    assert.ok(rs1, 'the deployment controller made a ReplicaSet');
    const first = resolveScanOwner(rs1, 'ReplicaSet', snap.lookup, on);
    assert.ok('owner' in first, describeResult(first));
    assert.equal(first.owner.uid, rs1.metadata?.uid);
    assert.equal(first.owner.apiVersion, 'apps/v1');

    const pods = ownedBy(snap.pods, rs1.metadata?.uid);
    assert.equal(pods.length, 2);
    for (const p of pods) {
      const r = resolveScanOwner(p, 'Pod', snap.lookup, on);
      assert.ok(
        'skip' in r && r.skip.includes(`managed by ReplicaSet ${rs1.metadata?.name}`),
        describeResult(r),
      );
      assert.equal(ownerForPod(p, snap.lookup)?.uid, rs1.metadata?.uid);
    }
    // The ReplicaSet's template hashes like the Deployment's (same spec, same defaults).
    assert.equal(
      specHash(podTemplateOf(rs1, 'ReplicaSet')!.spec),
      specHash(podTemplateOf({ ...deployment, kind: 'Deployment' })!.spec),
    );
    // The pods' reported imageIDs pin the targets to what runs, init container included.
    const targets = scanTargets(rs1, { kind: 'ReplicaSet', imageIDs: imageIDsFromPods(pods) });
    assert.deepEqual(
      targets.targets.map((t) => [t.container, t.kind, t.imageKey]),
      [
        ['web', 'container', `index.docker.io/library/nginx@${fakeDigest('nginx:1.25')}`],
        ['init', 'init', `index.docker.io/library/busybox@${fakeDigest('docker.io/library/busybox:1.36')}`],
      ],
    );
    assert.deepEqual(
      scanTargets(rs1, { kind: 'ReplicaSet', skipInitContainers: true }).targets.map((t) => t.imageKey),
      ['index.docker.io/library/nginx:1.25'],
    );

    // Roll out a new image: a second ReplicaSet becomes current, the first one is scaled to zero.
    await client.patch(
      `${PATHS.Deployment}/web`,
      {
        spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.26' }] } } },
      },
      'application/strategic-merge-patch+json',
    );
    await waitFor(
      'the rollout to revision 2 with the old pods gone',
      async () => {
        const s = await snapshot(client);
        const web = s.pods.filter((p) => p.metadata?.labels?.app === 'web');
        return (
          revisionOf(s.list('Deployment')[0]) === '2' &&
          running(web).length === 2 &&
          web.length === 2 &&
          ownedBy(web, rs1.metadata?.uid).length === 0
        );
      },
      { timeoutMs: 120_000 },
    );
    snap = await snapshot(client);
    const sets = ownedBy(snap.list('ReplicaSet'), deployment.metadata?.uid);
    const old = sets.find((s) => s.metadata?.uid === rs1.metadata?.uid)!;
    const current = sets.find((s) => s.metadata?.uid !== rs1.metadata?.uid)!;
    assert.equal(revisionOf(old), '1');
    assert.equal(revisionOf(current), '2');

    const stale = resolveScanOwner(old, 'ReplicaSet', snap.lookup, on);
    assert.ok('skip' in stale && stale.staleRevision === true, describeResult(stale));
    assert.match(stale.skip, /not the current revision/);
    const noPods = resolveScanOwner(old, 'ReplicaSet', snap.lookup, { scanOnlyCurrentRevisions: false });
    assert.ok(
      'skip' in noPods && /no active pods/.test(noPods.skip) && !noPods.staleRevision,
      describeResult(noPods),
    );
    const now = resolveScanOwner(current, 'ReplicaSet', snap.lookup, on);
    assert.ok('owner' in now, describeResult(now));
    assert.equal(now.owner.name, current.metadata?.name);
    assert.notEqual(
      specHash(podTemplateOf(current, 'ReplicaSet')!.spec),
      specHash(podTemplateOf(old, 'ReplicaSet')!.spec),
    );
    for (const p of ownedBy(snap.pods, current.metadata?.uid))
      assert.equal(ownerForPod(p, snap.lookup)?.name, current.metadata?.name);
  });

  test('CronJob: its Jobs are skipped and their pods map to the CronJob', async () => {
    let job: KubeObject | undefined;
    let pod: KubeObject | undefined;
    await waitFor(
      "the CronJob's first Job and its pod",
      async () => {
        const s = await snapshot(client);
        job = s.list('Job')[0];
        pod = job && ownedBy(s.pods, job.metadata?.uid)[0];
        return pod !== undefined;
      },
      { timeoutMs: 100_000, intervalMs: 1000 },
    );
    const snap = await snapshot(client);
    const cronJob = snap.list('CronJob')[0]!;
    const j = resolveScanOwner(job!, 'Job', snap.lookup, on);
    assert.ok('skip' in j && j.skip.includes('managed by CronJob nightly'), describeResult(j));
    const p = resolveScanOwner(pod!, 'Pod', snap.lookup, on);
    assert.ok('skip' in p && p.skip.includes(`managed by Job ${job!.metadata?.name}`), describeResult(p));
    const owner = ownerForPod(pod!, snap.lookup);
    assert.deepEqual(owner && [owner.kind, owner.name, owner.uid, owner.apiVersion], [
      'CronJob',
      'nightly',
      cronJob.metadata?.uid,
      'batch/v1',
    ]);
    const c = resolveScanOwner(cronJob, 'CronJob', snap.lookup, on);
    assert.ok('owner' in c, describeResult(c));
    assert.deepEqual(
      scanTargets(cronJob, { kind: 'CronJob' }).targets.map((t) => [t.container, t.imageKey]),
      [['task', 'ghcr.io/acme/task:1']],
    );
    // The Job's template is the CronJob's: same spec hash.
    assert.equal(
      specHash(podTemplateOf(job!, 'Job')!.spec),
      specHash(podTemplateOf(cronJob, 'CronJob')!.spec),
    );
  });

  test('StatefulSet: owns its pods while it has some, skipped once scaled to zero', async () => {
    await waitFor(
      'the db-0 pod',
      async () =>
        running((await snapshot(client)).pods.filter((p) => p.metadata?.name === 'db-0')).length === 1,
      {
        timeoutMs: 90_000,
      },
    );
    let snap = await snapshot(client);
    const sts = snap.list('StatefulSet')[0]!;
    const r = resolveScanOwner(sts, 'StatefulSet', snap.lookup, on);
    assert.ok('owner' in r, describeResult(r));
    const pod = snap.pods.find((p) => p.metadata?.name === 'db-0')!;
    assert.equal(ownerForPod(pod, snap.lookup)?.uid, sts.metadata?.uid);
    assert.equal(ownerForPod(pod, snap.lookup)?.kind, 'StatefulSet');

    await client.patch(`${PATHS.StatefulSet}/db`, { spec: { replicas: 0 } });
    await waitFor(
      'db-0 to be gone',
      async () => !(await snapshot(client)).pods.some((p) => p.metadata?.name === 'db-0'),
      {
        timeoutMs: 90_000,
      },
    );
    snap = await snapshot(client);
    const gone = resolveScanOwner(snap.list('StatefulSet')[0]!, 'StatefulSet', snap.lookup, on);
    assert.ok('skip' in gone && /no active pods/.test(gone.skip), describeResult(gone));
  });
});
