import { type Clock, systemClock, type Timer } from './clock.js';
import { objectKey } from './keys.js';
import type { KubeClient, KubeList, KubeObject, Query, WatchEvent } from './kube-client.js';
import { listAndWatch } from './list-watch.js';
import { errorFields, type Logger, silentLogger } from './logger.js';
import { createStore, type IndexFunc } from './store.js';

export interface EventHandler<T> {
  onAdd?(object: T): void;
  /** old and new are the same object on a periodic resync. */
  onUpdate?(oldObject: T, newObject: T): void;
  /** The last state seen: the watch's final object, or the cached one when the delete was found by a relist. */
  onDelete?(object: T): void;
}

export interface InformerOptions<T extends KubeObject> {
  client: KubeClient;
  /** Collection path, e.g. /api/v1/pods or /apis/aquasecurity.github.io/v1alpha1/namespaces/ns/vulnerabilityreports. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size of the initial and every later list; default 500. */
  pageSize?: number;
  /** Server-side watch timeout; default 300 s, jittered ±20 % per watch. */
  watchTimeoutSeconds?: number;
  /** Extra silence past the watch timeout before the watch is presumed dead and restarted; default 30 s. */
  watchdogMarginMs?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Replays every cached object to onUpdate(obj, obj) this often; unset or 0 disables it. */
  resyncPeriodMs?: number;
  indexers?: Record<string, IndexFunc<T>>;
  /**
   * Like client-go's SetTransform: applied to every object as it arrives (each list page's items, each watch
   * event's object) before it is indexed, stored or handed to a handler, so a cache can keep only the fields
   * its readers use (e.g. no metadata.managedFields, no report findings). It must return a new object or
   * the one given, not throw (a throw is logged and the object is kept as it came), and keep what the
   * informer itself needs: metadata.namespace, name and resourceVersion. List items may not carry apiVersion
   * and kind yet when it sees them (they are filled in from the list afterwards).
   */
  transform?: (object: T) => T;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
}

/**
 * A list-and-watch cache of one resource collection with event handlers, like client-go's shared informer, but
 * it never gives up: every failure (network, 5xx, silent watch, expired resourceVersion) ends in a relist or a
 * re-watch after a jittered backoff, until stop().
 */
export interface Informer<T extends KubeObject> {
  start(): void;
  /** Stops watching and resolves once the loop has ended; the cache keeps its last contents. */
  stop(): Promise<void>;
  /** True once the first complete list is in the cache. */
  hasSynced(): boolean;
  /** Resolves true once synced, false if timeoutMs passes first or the informer stops. */
  waitForSync(timeoutMs: number): Promise<boolean>;
  /** Registers handlers; objects already cached are replayed to onAdd. Returns the unregister function. */
  addEventHandler(handler: EventHandler<T>): () => void;
  get(key: string): T | undefined;
  /** Cached objects, all or one namespace's ("" for cluster-scoped). */
  list(namespace?: string): T[];
  keys(): string[];
  byIndex(index: string, value: string): T[];
  /** The resourceVersion the next watch would start from. */
  lastResourceVersion(): string | undefined;
}

export function createInformer<T extends KubeObject>(options: InformerOptions<T>): Informer<T> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const store = createStore<T>(options.indexers ?? {});
  const handlers = new Set<EventHandler<T>>();
  const syncWaiters = new Set<(synced: boolean) => void>();
  let synced = false;
  let resourceVersion: string | undefined;
  let controller: AbortController | undefined;
  let loop: Promise<void> | undefined;
  let resyncTimer: Timer | undefined;

  // The transform runs inside the client's list and watch, per page and per event: applied to the whole list
  // after listing, a relist of thousands of large objects would be held in full until its last page came.
  const transform = options.transform;
  const source = transform
    ? transformingClient<T>(options.client, (object) => {
        try {
          return transform(object);
        } catch (error) {
          logger.error('informer transform failed; caching the object as it came', {
            path: options.path,
            object: objectKey(object),
            ...errorFields(error),
          });
          return object;
        }
      })
    : options.client;

  const query: Query = {
    ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
    ...(options.fieldSelector ? { fieldSelector: options.fieldSelector } : {}),
  };

  function call(what: string, fn: () => void): void {
    try {
      const result = fn() as unknown;
      // Handlers are synchronous by contract; an async one still must not produce an unhandled rejection.
      if (result instanceof Promise)
        result.catch((error: unknown) =>
          logger.error('informer handler failed', {
            path: options.path,
            handler: what,
            ...errorFields(error),
          }),
        );
    } catch (error) {
      logger.error('informer handler failed', { path: options.path, handler: what, ...errorFields(error) });
    }
  }
  const emitAdd = (object: T) => {
    for (const h of handlers) if (h.onAdd) call('add', () => h.onAdd!(object));
  };
  const emitUpdate = (oldObject: T, newObject: T) => {
    for (const h of handlers) if (h.onUpdate) call('update', () => h.onUpdate!(oldObject, newObject));
  };
  const emitDelete = (object: T) => {
    for (const h of handlers) if (h.onDelete) call('delete', () => h.onDelete!(object));
  };

  function replace(items: T[]): void {
    const seen = new Set<string>();
    for (const item of items) {
      const key = objectKey(item);
      seen.add(key);
      const old = store.upsert(item);
      if (!old) emitAdd(item);
      else if (old.metadata?.resourceVersion !== item.metadata?.resourceVersion) emitUpdate(old, item);
    }
    // What the cache holds but the list lacks was deleted while nobody watched.
    for (const key of store.keys()) {
      if (seen.has(key)) continue;
      const old = store.remove(key);
      if (old) emitDelete(old);
    }
    if (!synced) {
      synced = true;
      for (const resolve of syncWaiters) resolve(true);
      syncWaiters.clear();
      scheduleResync();
    }
  }

  function apply(event: WatchEvent<T>): void {
    const object = event.object;
    const key = objectKey(object);
    if (event.type === 'DELETED') {
      store.remove(key);
      emitDelete(object);
      return;
    }
    const old = store.upsert(object);
    if (!old) emitAdd(object);
    else if (old.metadata?.resourceVersion !== object.metadata?.resourceVersion) emitUpdate(old, object);
  }

  function scheduleResync(): void {
    const period = options.resyncPeriodMs ?? 0;
    if (period <= 0 || !controller || controller.signal.aborted) return;
    resyncTimer = clock.setTimer(() => {
      for (const object of store.list()) emitUpdate(object, object);
      scheduleResync();
    }, period);
  }

  return {
    start() {
      if (controller && !controller.signal.aborted) return;
      controller = new AbortController();
      const signal = controller.signal;
      if (synced) scheduleResync();
      loop = listAndWatch<T>(
        source,
        {
          onList: replace,
          onEvent: apply,
          onResourceVersion: (rv) => {
            resourceVersion = rv;
          },
          onError: (error, attempt) => {
            if (attempt === 0)
              logger.error('informer could not apply an event', {
                path: options.path,
                ...errorFields(error),
              });
            else
              logger.warn('list/watch failed; retrying', {
                path: options.path,
                attempt,
                ...errorFields(error),
              });
          },
        },
        {
          path: options.path,
          query,
          signal,
          pageSize: options.pageSize ?? 500,
          clock,
          ...(options.watchTimeoutSeconds === undefined
            ? {}
            : { watchTimeoutSeconds: options.watchTimeoutSeconds }),
          ...(options.watchdogMarginMs === undefined ? {} : { watchdogMarginMs: options.watchdogMarginMs }),
          ...(options.minBackoffMs === undefined ? {} : { minBackoffMs: options.minBackoffMs }),
          ...(options.maxBackoffMs === undefined ? {} : { maxBackoffMs: options.maxBackoffMs }),
          ...(options.random ? { random: options.random } : {}),
        },
      ).catch((error: unknown) => {
        // listAndWatch only returns on abort; anything else is a bug worth a loud line, not a crash.
        logger.error('informer loop ended unexpectedly', { path: options.path, ...errorFields(error) });
      });
    },
    async stop() {
      controller?.abort();
      resyncTimer?.cancel();
      resyncTimer = undefined;
      for (const resolve of syncWaiters) resolve(false);
      syncWaiters.clear();
      await loop;
    },
    hasSynced: () => synced,
    waitForSync(timeoutMs) {
      if (synced) return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (value: boolean) => {
          timer.cancel();
          syncWaiters.delete(done);
          resolve(value);
        };
        const timer = clock.setTimer(() => done(false), timeoutMs);
        syncWaiters.add(done);
      });
    },
    addEventHandler(handler) {
      handlers.add(handler);
      if (handler.onAdd) for (const object of store.list()) call('add', () => handler.onAdd!(object));
      return () => {
        handlers.delete(handler);
      };
    },
    get: (key) => store.get(key),
    list: (namespace) => store.list(namespace),
    keys: () => store.keys(),
    byIndex: (index, value) => store.byIndex(index, value),
    lastResourceVersion: () => resourceVersion,
  };
}

/**
 * The client as listAndWatch sees it when the informer has a transform: list pages and watch events come out
 * transformed; everything else goes to the real client. Watch ERROR and BOOKMARK objects are not resources and
 * pass as they are.
 */
function transformingClient<T extends KubeObject>(
  client: KubeClient,
  transform: (object: T) => T,
): KubeClient {
  return {
    server: client.server,
    request: (method, path, options) => client.request(method, path, options),
    get: (path, options) => client.get(path, options),
    find: (path, options) => client.find(path, options),
    async list<U>(path: string, options?: Parameters<KubeClient['list']>[1]) {
      const page = await client.list<T>(path, options);
      const items = page.items.map((item) => transform(item));
      return { ...page, items } as unknown as KubeList<U>;
    },
    create: (path, body, options) => client.create(path, body, options),
    replace: (path, body, options) => client.replace(path, body, options),
    patch: (path, body, contentType, options) => client.patch(path, body, contentType, options),
    delete: (path, options) => client.delete(path, options),
    watch<U>(path: string, query: Query, onEvent: (event: WatchEvent<U>) => void, signal?: AbortSignal) {
      return client.watch<T>(
        path,
        query,
        (event) => {
          const resource = event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED';
          const out = resource ? { type: event.type, object: transform(event.object) } : event;
          onEvent(out as unknown as WatchEvent<U>);
        },
        signal,
      );
    },
    text: (path, options) => client.text(path, options),
    close: () => client.close(),
  };
}
