// The informer against the real local control plane: paged initial sync, events, indexes, a real 410 from the
// API server, and recovery across a killed and restarted kube-apiserver.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ControlPlane, kubeconfigYaml, startControlPlane } from '../../test/env/control-plane.js';
import { freePort, waitFor } from '../../test/env/net.js';
import type { SupervisedProcess } from '../../test/env/supervisor.js';
import { createInformer, type Informer } from './informer.js';
import { createKubeClient, type KubeClient, type KubeObject, loadKubeConfig } from './kube-client.js';
import { byLabel, byOwnerUid } from './store.js';
import { createFaultyClient, createRecordingLogger, type FaultyClient, stopInOrder } from './testkit.js';

const NS = 'informer-test';
const PATH = `/api/v1/namespaces/${NS}/configmaps`;

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

type Seen =
  | { type: 'add'; name: string; data?: Record<string, string> }
  | { type: 'update'; name: string; old?: Record<string, string>; new?: Record<string, string> }
  | { type: 'delete'; name: string };

function configMap(
  name: string,
  labels: Record<string, string>,
  data: Record<string, string> = {},
): ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS, labels }, data };
}

/** Starts another kube-apiserver on the same etcd (args copied from the running one, only the port differs). */
async function startApiServer(
  cp: ControlPlane,
  args: string[],
  name: string,
  port?: number,
): Promise<{ proc: SupervisedProcess; client: KubeClient }> {
  const file = args[0]!;
  const rest = args.slice(1);
  const finalArgs =
    port === undefined
      ? rest
      : rest.map((a) => (a.startsWith('--secure-port=') ? `--secure-port=${port}` : a));
  const proc = cp.supervisor.spawn(name, file, finalArgs);
  let client = cp.client;
  if (port !== undefined) {
    const kubeconfig = join(cp.dir, `${name}.kubeconfig`);
    await writeFile(kubeconfig, kubeconfigYaml(`https://127.0.0.1:${port}`, cp.pki, 'vigil-admin'), {
      mode: 0o600,
    });
    client = createKubeClient({
      kubeConfig: loadKubeConfig(kubeconfig),
      userAgent: 'vigil-test-second-apiserver',
    });
  }
  await waitFor(
    `${name} /readyz`,
    async () => (await client.text('/readyz', { timeoutMs: 3000 })).trim() === 'ok',
    {
      timeoutMs: 60_000,
      intervalMs: 200,
      describe: () => cp.logTail(name),
      failIf: () => (proc.child.exitCode === null ? undefined : `${name} exited with ${proc.child.exitCode}`),
    },
  );
  return { proc, client };
}

describe('informer on the real API server', () => {
  let cp: ControlPlane;
  let client: FaultyClient;
  let informer: Informer<ConfigMap>;
  const logger = createRecordingLogger();
  const seen: Seen[] = [];
  const has = (predicate: (s: Seen) => boolean) => seen.some(predicate);

  before(async () => {
    cp = await startControlPlane();
    await cp.client.create('/api/v1/namespaces', { metadata: { name: NS } });
    client = createFaultyClient(cp.client);
  });

  after(async () => {
    await informer?.stop();
    if (cp) await stopInOrder(cp);
  });

  test('initial sync pages through 25 objects four at a time, honouring the label selector', async () => {
    const names = Array.from({ length: 25 }, (_, i) => `cm-${i}`);
    for (let i = 0; i < names.length; i += 5)
      await Promise.all(
        names
          .slice(i, i + 5)
          .map((name) =>
            cp.client.create(PATH, configMap(name, { suite: 'informer', app: 'a' }, { v: '0' })),
          ),
      );
    await cp.client.create(PATH, configMap('unlabelled', {}));

    informer = createInformer<ConfigMap>({
      client,
      path: PATH,
      labelSelector: 'suite=informer',
      pageSize: 4,
      minBackoffMs: 100,
      maxBackoffMs: 1000,
      logger,
      indexers: { owner: byOwnerUid, app: byLabel('app') },
    });
    informer.addEventHandler({
      onAdd: (o) => seen.push({ type: 'add', name: o.metadata!.name!, ...(o.data ? { data: o.data } : {}) }),
      onUpdate: (o, n) =>
        seen.push({
          type: 'update',
          name: n.metadata!.name!,
          ...(o.data ? { old: o.data } : {}),
          ...(n.data ? { new: n.data } : {}),
        }),
      onDelete: (o) => seen.push({ type: 'delete', name: o.metadata!.name! }),
    });
    informer.start();
    assert.equal(await informer.waitForSync(20_000), true);

    assert.equal(informer.list(NS).length, 25);
    assert.equal(informer.list().length, 25);
    assert.equal(informer.get(`${NS}/unlabelled`), undefined, 'the selector left it out');
    assert.equal(informer.get(`${NS}/kube-root-ca.crt`), undefined);
    assert.equal(informer.get(`${NS}/cm-7`)?.data?.v, '0');
    const pages = client.seen.filter((r) => r.verb === 'list');
    assert.equal(pages.length, 7, '25 objects in pages of 4');
    assert.ok(pages.every((p) => p.query.limit === 4 && p.query.labelSelector === 'suite=informer'));
    assert.equal(pages.filter((p) => typeof p.query.continue === 'string').length, 6);
    assert.equal(seen.filter((s) => s.type === 'add').length, 25);
    const byName = createInformer<ConfigMap>({
      client: cp.client,
      path: PATH,
      fieldSelector: 'metadata.name=cm-3',
    });
    byName.start();
    assert.equal(await byName.waitForSync(10_000), true);
    assert.deepEqual(byName.keys(), [`${NS}/cm-3`], 'field selectors are passed through too');
    await byName.stop();

    await waitFor('the watch', async () => client.seen.some((r) => r.verb === 'watch'), { timeoutMs: 5000 });
    const watch = client.seen.find((r) => r.verb === 'watch');
    assert.equal(watch?.query.allowWatchBookmarks, true);
    assert.match(
      String(watch?.query.resourceVersion),
      /^\d+$/,
      "the watch starts from the list's resourceVersion",
    );
  });

  test('add, update (with the old and the new object) and delete events; indexes follow', async () => {
    const owner = await cp.client.create<ConfigMap>(
      PATH,
      configMap('owner', { suite: 'informer', app: 'owner' }),
    );
    const ownerRef = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid! };
    for (const name of ['owned-1', 'owned-2'])
      await cp.client.create(PATH, {
        ...configMap(name, { suite: 'informer', app: 'b' }, { v: '1' }),
        metadata: {
          name,
          namespace: NS,
          labels: { suite: 'informer', app: 'b' },
          ownerReferences: [ownerRef],
        },
      });
    await waitFor('adds', async () => has((s) => s.type === 'add' && s.name === 'owned-2'), {
      timeoutMs: 10_000,
    });
    assert.deepEqual(
      informer
        .byIndex('owner', ownerRef.uid)
        .map((o) => o.metadata!.name)
        .sort(),
      ['owned-1', 'owned-2'],
    );

    const current = await cp.client.get<ConfigMap>(`${PATH}/owned-1`);
    await cp.client.replace(`${PATH}/owned-1`, {
      ...current,
      metadata: { ...current.metadata, labels: { suite: 'informer', app: 'c' } },
      data: { v: '2' },
    });
    await waitFor('update', async () => has((s) => s.type === 'update' && s.name === 'owned-1'), {
      timeoutMs: 10_000,
    });
    const update = seen.find((s) => s.type === 'update' && s.name === 'owned-1');
    assert.deepEqual(update, { type: 'update', name: 'owned-1', old: { v: '1' }, new: { v: '2' } });
    assert.deepEqual(
      informer.byIndex('app', 'c').map((o) => o.metadata!.name),
      ['owned-1'],
    );
    assert.deepEqual(
      informer.byIndex('app', 'b').map((o) => o.metadata!.name),
      ['owned-2'],
    );

    // Leaving the selector is a delete as far as this informer is concerned, just as a real delete is.
    await cp.client.delete(`${PATH}/owned-2`);
    await waitFor('delete', async () => has((s) => s.type === 'delete' && s.name === 'owned-2'), {
      timeoutMs: 10_000,
    });
    assert.equal(informer.get(`${NS}/owned-2`), undefined);
    assert.deepEqual(
      informer.byIndex('owner', ownerRef.uid).map((o) => o.metadata!.name),
      ['owned-1'],
    );
  });

  test('a killed API server: changes made meanwhile (through a second one) arrive after it is back', async () => {
    const running = cp.supervisor.running().find((p) => p.name === 'kube-apiserver');
    assert.ok(running, 'the control plane runs a kube-apiserver');
    const args = [...running.child.spawnargs];
    // A second API server on the same etcd is the only way to change objects while the first is down.
    const second = await startApiServer(cp, args, 'kube-apiserver-2', await freePort());
    try {
      process.kill(-running.child.pid!, 'SIGKILL');
      await running.exited;
      const errorsBefore = client.watchErrors.length;
      const eventsBefore = client.watchEvents.length;
      const warningsBefore = logger.lines.filter((l) => l.level === 'warn').length;

      const via = second.client;
      await via.create(PATH, configMap('while-down-1', { suite: 'informer' }, { v: 'new' }));
      await via.create(PATH, configMap('while-down-2', { suite: 'informer' }));
      const cm0 = await via.get<ConfigMap>(`${PATH}/cm-0`);
      await via.replace(`${PATH}/cm-0`, { ...cm0, data: { v: 'changed' } });
      await via.delete(`${PATH}/cm-1`);
      await via.delete(`${PATH}/cm-2`);
      await waitFor(
        'the informer to notice the outage',
        async () => logger.lines.filter((l) => l.level === 'warn').length > warningsBefore,
        { timeoutMs: 15_000 },
      );
      assert.equal(
        informer.get(`${NS}/while-down-1`),
        undefined,
        'nothing arrives while the API server is down',
      );

      await startApiServer(cp, args, 'kube-apiserver');
      await waitFor(
        'the informer to catch up',
        async () =>
          informer.get(`${NS}/while-down-1`) !== undefined &&
          informer.get(`${NS}/while-down-2`) !== undefined &&
          informer.get(`${NS}/cm-0`)?.data?.v === 'changed' &&
          informer.get(`${NS}/cm-1`) === undefined &&
          informer.get(`${NS}/cm-2`) === undefined,
        { timeoutMs: 30_000, describe: () => JSON.stringify(informer.keys().sort()) },
      );
      // The restarted server's watch cache starts after the changes made through the second one, so the
      // informer's old resourceVersion is too old for it: a real 410, and the relist is what recovers.
      assert.ok(
        client.watchErrors.slice(errorsBefore).some((e) => (e as { status?: number }).status === 410) ||
          client.watchEvents
            .slice(eventsBefore)
            .some((e) => e.type === 'ERROR' && (e.object as { code?: number }).code === 410),
        'the restarted API server answered the old resourceVersion with 410',
      );
      assert.ok(has((s) => s.type === 'add' && s.name === 'while-down-1' && s.data?.v === 'new'));
      assert.ok(has((s) => s.type === 'add' && s.name === 'while-down-2'));
      assert.ok(
        has((s) => s.type === 'update' && s.name === 'cm-0' && s.old?.v === '0' && s.new?.v === 'changed'),
      );
      assert.ok(
        has((s) => s.type === 'delete' && s.name === 'cm-1'),
        'deletes found by the relist are reported',
      );
      assert.ok(has((s) => s.type === 'delete' && s.name === 'cm-2'));

      const truth = await cp.client.list<ConfigMap>(PATH, { query: { labelSelector: 'suite=informer' } });
      assert.deepEqual(
        informer.keys().sort(),
        truth.items.map((o) => `${NS}/${o.metadata!.name}`).sort(),
        'the cache equals the server',
      );
    } finally {
      second.client.close();
      await second.proc.stop();
    }
  });

  test("a watch from a resourceVersion older than the restarted server's watch cache gets a real 410; the informer relists", async () => {
    // resourceVersion 1 predates the restarted API server's watch cache (it began after the previous test's
    // writes), which cannot serve it.
    const listsBefore = client.seen.filter((r) => r.verb === 'list').length;
    const errorsBefore = client.watchErrors.length;
    const eventsBefore = client.watchEvents.length;
    client.rewriteNextWatch((query) => ({ ...query, resourceVersion: '1' }));
    client.dropWatches();
    await waitFor(
      'a relist after the 410',
      async () => client.seen.filter((r) => r.verb === 'list').length > listsBefore,
      { timeoutMs: 15_000 },
    );
    const staleWatch = client.seen.find((r) => r.verb === 'watch' && r.query.resourceVersion === '1');
    assert.ok(staleWatch, 'the stale watch reached the server');
    // The API server answers a too-old resourceVersion with 410, as a status or as an ERROR event in the stream.
    const gone =
      client.watchErrors.slice(errorsBefore).some((e) => (e as { status?: number }).status === 410) ||
      client.watchEvents
        .slice(eventsBefore)
        .some((e) => e.type === 'ERROR' && (e.object as { code?: number }).code === 410);
    assert.ok(gone, 'the server itself said 410');

    await cp.client.create(PATH, configMap('after-410', { suite: 'informer' }));
    await waitFor('events after the relist', async () => informer.get(`${NS}/after-410`) !== undefined, {
      timeoutMs: 10_000,
    });
  });
});
