import { type Clock, systemClock, type Timer } from './clock.js';
import { objectKey } from './keys.js';
import type { KubeClient, KubeObject, Query, WatchEvent } from './kube-client.js';
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
        options.client,
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
