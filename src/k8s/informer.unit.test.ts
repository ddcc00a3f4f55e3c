// The informer against a scripted in-memory client: behaviour that a real API server will not produce on
// demand (a watch that goes silent, an expired continue token, an error event other than 410).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KubeApiError } from './errors.js';
import { createInformer } from './informer.js';
import type { KubeClient, KubeList, KubeObject, Query, RequestOptions, WatchEvent } from './kube-client.js';
import { byLabel, byOwnerUid } from './store.js';
import { createFakeClock, createRecordingLogger, settle } from './testkit.js';

interface OpenWatch {
  query: Query;
  send(event: WatchEvent): void;
  /** Ends the stream as the server does at timeoutSeconds. */
  close(): void;
  aborted(): boolean;
}

function cm(name: string, rv: string, labels: Record<string, string> = {}, owner?: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace: 'ns',
      resourceVersion: rv,
      labels,
      ...(owner ? { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'o', uid: owner }] } : {}),
    },
  };
}

/** Serves `items` paged by limit/continue; listFault may throw for a given request. */
function createScriptedClient(items: () => KubeObject[], listRv: () => string) {
  const lists: Query[] = [];
  const watches: OpenWatch[] = [];
  let listFault: ((query: Query) => Error | undefined) | undefined;
  const unsupported = () => Promise.reject(new Error('not scripted'));
  const client: KubeClient = {
    server: 'https://127.0.0.1:1',
    request: unsupported,
    get: unsupported,
    find: unsupported,
    create: unsupported,
    replace: unsupported,
    patch: unsupported,
    delete: unsupported,
    text: unsupported,
    close() {},
    async list<T>(_path: string, options?: RequestOptions): Promise<KubeList<T>> {
      const query = options?.query ?? {};
      lists.push(query);
      const fault = listFault?.(query);
      if (fault) throw fault;
      const all = items();
      const start = query.continue ? Number(query.continue) : 0;
      const limit = typeof query.limit === 'number' ? query.limit : all.length;
      const end = Math.min(all.length, start + limit);
      return {
        apiVersion: 'v1',
        kind: 'ConfigMapList',
        metadata: { resourceVersion: listRv(), ...(end < all.length ? { continue: String(end) } : {}) },
        items: all.slice(start, end).map(({ apiVersion: _a, kind: _k, ...rest }) => rest) as T[],
      };
    },
    watch<T>(_path: string, query: Query, onEvent: (event: WatchEvent<T>) => void, signal?: AbortSignal) {
      return new Promise<void>((resolve) => {
        const watch: OpenWatch = {
          query,
          send: (event) => onEvent(event as unknown as WatchEvent<T>),
          close: resolve,
          aborted: () => signal?.aborted ?? false,
        };
        watches.push(watch);
        signal?.addEventListener('abort', () => resolve(), { once: true });
      });
    },
  };
  return {
    client,
    lists,
    watches,
    setListFault(fault: typeof listFault) {
      listFault = fault;
    },
  };
}

describe('informer (scripted client)', () => {
  test('a watch that sends nothing, not even a bookmark, past timeout + margin is restarted', async () => {
    const clock = createFakeClock();
    const logger = createRecordingLogger();
    const scripted = createScriptedClient(
      () => [cm('a', '10')],
      () => '10',
    );
    const informer = createInformer({
      client: scripted.client,
      path: '/api/v1/configmaps',
      clock,
      logger,
      random: () => 0.5, // no jitter: the watch timeout is exactly 60 s
      watchTimeoutSeconds: 60,
      watchdogMarginMs: 5000,
      minBackoffMs: 100,
    });
    informer.start();
    await clock.advance(0);
    assert.equal(informer.hasSynced(), true);
    assert.equal(scripted.watches.length, 1);
    assert.equal(scripted.watches[0]!.query.timeoutSeconds, 60);
    assert.equal(scripted.watches[0]!.query.allowWatchBookmarks, true);
    assert.equal(scripted.watches[0]!.query.resourceVersion, '10');

    // Bookmarks count as life: each one re-arms the watchdog and moves the resourceVersion.
    await clock.advance(50_000);
    scripted.watches[0]!.send({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '42' } } });
    await clock.advance(60_000);
    assert.equal(scripted.watches.length, 1, 'a bookmark 60 s ago keeps the watch alive');
    assert.equal(informer.lastResourceVersion(), '42');

    await clock.advance(5_000);
    assert.equal(scripted.watches[0]!.aborted(), true, 'silent for 65 s: the watch was aborted');
    assert.ok(
      logger.lines.some((l) => l.level === 'warn' && String(l.fields?.error).includes('nothing received')),
    );
    await clock.advance(200);
    assert.equal(scripted.watches.length, 2, 're-watched after the backoff');
    assert.equal(scripted.watches[1]!.query.resourceVersion, '42', 'from the bookmark, without a relist');
    assert.equal(scripted.lists.length, 1);
    await informer.stop();
    assert.equal(clock.pending(), 0, 'no timer outlives stop()');
  });

  test('an expired continue token restarts the list; the second expiry falls back to one unpaged list', async () => {
    const clock = createFakeClock();
    const items = Array.from({ length: 7 }, (_, i) => cm(`c${i}`, String(i + 1)));
    const scripted = createScriptedClient(
      () => items,
      () => '100',
    );
    let expiries = 2;
    scripted.setListFault((query) =>
      query.continue && expiries-- > 0 ? new KubeApiError('continue expired', 410, 'Expired', '') : undefined,
    );
    const informer = createInformer({
      client: scripted.client,
      path: '/api/v1/configmaps',
      pageSize: 3,
      clock,
    });
    informer.start();
    await clock.advance(0);
    assert.equal(informer.hasSynced(), true);
    assert.equal(informer.list().length, 7);
    assert.deepEqual(
      scripted.lists.map((q) => [q.limit ?? 'all', q.continue ?? '']),
      [
        [3, ''],
        [3, '3'],
        [3, ''],
        [3, '3'],
        ['all', ''],
      ],
    );
    const first = informer.get('ns/c0');
    assert.equal(first?.kind, 'ConfigMap', 'list items get their kind back from the list');
    assert.equal(first?.apiVersion, 'v1');
    await informer.stop();
  });

  test('an ERROR event other than 410 restarts the watch with backoff; a 410 ERROR relists at once', async () => {
    const clock = createFakeClock();
    const logger = createRecordingLogger();
    let current = [cm('a', '1'), cm('b', '2')];
    const scripted = createScriptedClient(
      () => current,
      () => '5',
    );
    const informer = createInformer({
      client: scripted.client,
      path: '/api/v1/configmaps',
      clock,
      logger,
      minBackoffMs: 1000,
      random: () => 0.5,
    });
    const deleted: string[] = [];
    informer.addEventHandler({ onDelete: (o) => deleted.push(o.metadata!.name!) });
    informer.start();
    await clock.advance(0);
    scripted.watches[0]!.send({
      type: 'ERROR',
      object: { code: 500, message: 'etcd leader changed' } as never,
    });
    await clock.advance(999);
    assert.equal(scripted.watches.length, 1, 'waits out the backoff');
    await clock.advance(1);
    assert.equal(scripted.watches.length, 2);
    assert.equal(scripted.lists.length, 1, 'an error other than 410 keeps the resourceVersion');

    current = [cm('a', '1')];
    scripted.watches[1]!.send({ type: 'MODIFIED', object: cm('a', '6') });
    scripted.watches[1]!.send({
      type: 'ERROR',
      object: { code: 410, reason: 'Expired', message: 'too old resource version' } as never,
    });
    await clock.advance(0);
    assert.equal(scripted.lists.length, 2, 'relisted without waiting');
    assert.deepEqual(deleted, ['b'], 'the relist found b gone and reported it');
    assert.equal(
      informer.get('ns/a')?.metadata?.resourceVersion,
      '1',
      'the list is the truth after a relist',
    );
    await informer.stop();
  });

  test('handler failures are logged and contained; late handlers get the cache replayed; indexes follow writes', async () => {
    const clock = createFakeClock();
    const logger = createRecordingLogger();
    const scripted = createScriptedClient(
      () => [cm('a', '1', { app: 'web' }, 'uid-1'), cm('b', '2', { app: 'db' }, 'uid-1')],
      () => '2',
    );
    const informer = createInformer({
      client: scripted.client,
      path: '/api/v1/configmaps',
      clock,
      logger,
      indexers: { owner: byOwnerUid, app: byLabel('app') },
      resyncPeriodMs: 30_000,
    });
    informer.addEventHandler({
      onAdd: () => {
        throw new Error('handler bug');
      },
    });
    informer.start();
    assert.equal(await informer.waitForSync(1000), true);
    await settle();
    assert.equal(logger.lines.filter((l) => l.message === 'informer handler failed').length, 2);
    const replayed: string[] = [];
    const resynced: string[] = [];
    informer.addEventHandler({
      onAdd: (o) => replayed.push(o.metadata!.name!),
      onUpdate: (oldObject, newObject) => {
        if (oldObject === newObject) resynced.push(newObject.metadata!.name!);
      },
    });
    assert.deepEqual(replayed.sort(), ['a', 'b']);
    assert.deepEqual(
      informer
        .byIndex('owner', 'uid-1')
        .map((o) => o.metadata!.name)
        .sort(),
      ['a', 'b'],
    );
    scripted.watches[0]!.send({ type: 'MODIFIED', object: cm('b', '3', { app: 'web' }) });
    await settle();
    assert.deepEqual(
      informer
        .byIndex('app', 'web')
        .map((o) => o.metadata!.name)
        .sort(),
      ['a', 'b'],
    );
    assert.deepEqual(informer.byIndex('app', 'db'), []);
    assert.deepEqual(
      informer.byIndex('owner', 'uid-1').map((o) => o.metadata!.name),
      ['a'],
    );
    await clock.advance(30_000);
    assert.deepEqual(resynced.sort(), ['a', 'b'], 'a resync replays every object as update(obj, obj)');
    assert.throws(() => informer.byIndex('nope', 'x'), /no index/);
    await informer.stop();
  });

  test('transform: applied per list page and per watch event before store, indexes and handlers; a throw keeps the object', async () => {
    const clock = createFakeClock();
    const logger = createRecordingLogger();
    const big = (name: string, rv: string, labels: Record<string, string> = {}) => ({
      ...cm(name, rv, labels),
      metadata: { ...cm(name, rv, labels).metadata, managedFields: [{ manager: 'x' }] },
      data: { payload: 'x'.repeat(1000) },
    });
    const scripted = createScriptedClient(
      () => [big('a', '1', { app: 'web' }), big('b', '2'), big('c', '3')],
      () => '3',
    );
    const seenByTransform: Array<{ name: string; listedSoFar: number }> = [];
    const informer = createInformer<KubeObject>({
      client: scripted.client,
      path: '/api/v1/configmaps',
      clock,
      logger,
      pageSize: 2,
      indexers: { app: byLabel('app') },
      transform: (object) => {
        seenByTransform.push({ name: object.metadata!.name!, listedSoFar: scripted.lists.length });
        if (object.metadata?.name === 'bad') throw new Error('transform bug');
        const { managedFields: _m, ...metadata } = object.metadata ?? {};
        // Relabelling proves the indexes see the transformed object, not the one that came.
        return {
          apiVersion: object.apiVersion,
          kind: object.kind,
          metadata: { ...metadata, labels: { app: 'kept' } },
        };
      },
    });
    const added: KubeObject[] = [];
    const updated: KubeObject[] = [];
    informer.addEventHandler({ onAdd: (o) => added.push(o), onUpdate: (_o, n) => updated.push(n) });
    informer.start();
    assert.equal(await informer.waitForSync(1000), true);
    await settle();
    // Page 1 (a, b) was transformed before page 2 was asked for: no full page is held until the list ends.
    assert.deepEqual(seenByTransform, [
      { name: 'a', listedSoFar: 1 },
      { name: 'b', listedSoFar: 1 },
      { name: 'c', listedSoFar: 2 },
    ]);
    const a = informer.get('ns/a')!;
    assert.equal(a.data, undefined, 'the store holds the transformed object');
    assert.equal(a.metadata?.managedFields, undefined);
    assert.equal(a.kind, 'ConfigMap', 'kind filled in from the list after the transform');
    assert.deepEqual(
      informer
        .byIndex('app', 'kept')
        .map((o) => o.metadata!.name)
        .sort(),
      ['a', 'b', 'c'],
    );
    assert.deepEqual(informer.byIndex('app', 'web'), []);
    assert.ok(added.every((o) => o.data === undefined && o.metadata?.managedFields === undefined));

    scripted.watches[0]!.send({ type: 'MODIFIED', object: big('a', '4') });
    scripted.watches[0]!.send({ type: 'ADDED', object: big('bad', '5') });
    scripted.watches[0]!.send({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '6' } } });
    await settle();
    assert.equal(updated.length, 1);
    assert.equal(updated[0]!.data, undefined, 'watch events are transformed before handlers see them');
    assert.equal(informer.get('ns/a')!.metadata?.resourceVersion, '4');
    assert.ok(informer.get('ns/bad')!.data, 'a failing transform keeps the object as it came');
    assert.ok(logger.lines.some((l) => l.level === 'error' && l.message.includes('transform failed')));
    assert.equal(informer.lastResourceVersion(), '6', 'bookmarks pass untransformed');
    assert.ok(!seenByTransform.some((s) => s.name === undefined), 'the bookmark never reached the transform');
    await informer.stop();
  });

  test('stop() right after the sync resolves at once, even before the first watch opened', {
    timeout: 5000,
  }, async () => {
    const scripted = createScriptedClient(
      () => [cm('a', '1')],
      () => '1',
    );
    const informer = createInformer({
      client: scripted.client,
      path: '/api/v1/configmaps',
      clock: createFakeClock(),
    });
    informer.start();
    assert.equal(await informer.waitForSync(1000), true);
    await informer.stop();
    assert.ok(
      scripted.watches.every((w) => w.aborted()),
      'no watch left open',
    );
  });

  test('waitForSync gives up after its timeout while the API server keeps failing, and the informer keeps trying', async () => {
    const clock = createFakeClock();
    const scripted = createScriptedClient(
      () => [],
      () => '1',
    );
    scripted.setListFault(() => KubeApiError.network('GET', '/api/v1/configmaps', new Error('ECONNREFUSED')));
    const informer = createInformer({
      client: scripted.client,
      path: '/api/v1/configmaps',
      clock,
      minBackoffMs: 100,
      maxBackoffMs: 1000,
      random: () => 0.5,
    });
    informer.start();
    const synced = informer.waitForSync(5000);
    await clock.advance(5000);
    assert.equal(await synced, false);
    const attempts = scripted.lists.length;
    assert.ok(attempts >= 5 && attempts <= 10, `backoff 100 ms doubling to 1 s: ${attempts} attempts in 5 s`);
    scripted.setListFault(undefined);
    await clock.advance(1000);
    assert.equal(informer.hasSynced(), true, 'it never stopped for good');
    await informer.stop();
  });
});
