import { objectKey } from './keys.js';
import type { KubeObject } from './kube-client.js';

/** Maps an object to the values it is found under in one index (none, one or several). */
export type IndexFunc<T> = (object: T) => readonly string[];

/**
 * The informer's local cache: objects by key, plus secondary indexes kept in step with every write, so lookups
 * such as "reports owned by this UID" never scan the whole cache.
 */
export interface Store<T extends KubeObject> {
  get(key: string): T | undefined;
  /** Every object, or those of one namespace ("" for cluster-scoped objects). */
  list(namespace?: string): T[];
  keys(): string[];
  size(): number;
  byIndex(index: string, value: string): T[];
  indexValues(index: string): string[];
  /** Stores the object and returns the one it replaced. */
  upsert(object: T): T | undefined;
  /** Removes by key and returns what was there. */
  remove(key: string): T | undefined;
}

const NAMESPACE_INDEX = '\u0000namespace';

export function createStore<T extends KubeObject>(indexers: Record<string, IndexFunc<T>> = {}): Store<T> {
  const objects = new Map<string, T>();
  const allIndexers: Record<string, IndexFunc<T>> = {
    ...indexers,
    [NAMESPACE_INDEX]: (object) => [object.metadata?.namespace ?? ''],
  };
  // index name → value → keys
  const indexes = new Map<string, Map<string, Set<string>>>();
  for (const name of Object.keys(allIndexers)) indexes.set(name, new Map());

  function indexValuesOf(indexer: IndexFunc<T>, object: T): readonly string[] {
    try {
      return indexer(object);
    } catch {
      // An index function that cannot handle an object simply does not index it.
      return [];
    }
  }

  function unindex(key: string, object: T): void {
    for (const [name, indexer] of Object.entries(allIndexers)) {
      const index = indexes.get(name)!;
      for (const value of indexValuesOf(indexer, object)) {
        const keys = index.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(value);
      }
    }
  }

  function index(key: string, object: T): void {
    for (const [name, indexer] of Object.entries(allIndexers)) {
      const index = indexes.get(name)!;
      for (const value of indexValuesOf(indexer, object)) {
        const keys = index.get(value);
        if (keys) keys.add(key);
        else index.set(value, new Set([key]));
      }
    }
  }

  function lookup(name: string, value: string): T[] {
    const index = indexes.get(name);
    if (!index) throw new Error(`no index named ${JSON.stringify(name)}`);
    return [...(index.get(value) ?? [])].map((key) => objects.get(key)!);
  }

  return {
    get: (key) => objects.get(key),
    list: (namespace) =>
      namespace === undefined ? [...objects.values()] : lookup(NAMESPACE_INDEX, namespace),
    keys: () => [...objects.keys()],
    size: () => objects.size,
    byIndex: (name, value) => lookup(name, value),
    indexValues(name) {
      const index = indexes.get(name);
      if (!index) throw new Error(`no index named ${JSON.stringify(name)}`);
      return [...index.keys()];
    },
    upsert(object) {
      const key = objectKey(object);
      const old = objects.get(key);
      if (old) unindex(key, old);
      objects.set(key, object);
      index(key, object);
      return old;
    },
    remove(key) {
      const old = objects.get(key);
      if (!old) return undefined;
      unindex(key, old);
      objects.delete(key);
      return old;
    },
  };
}

/** Index by the UIDs of an object's owners, e.g. to find the reports a workload owns. */
export function byOwnerUid<T extends KubeObject>(object: T): string[] {
  return (object.metadata?.ownerReferences ?? []).map((ref) => ref.uid);
}

/** Index by the UID of the controlling owner only. */
export function byControllerUid<T extends KubeObject>(object: T): string[] {
  const ref = object.metadata?.ownerReferences?.find((r) => r.controller === true);
  return ref ? [ref.uid] : [];
}

/** Index by the value of one label; objects without the label are left out. */
export function byLabel<T extends KubeObject>(label: string): IndexFunc<T> {
  return (object) => {
    const value = object.metadata?.labels?.[label];
    return value === undefined ? [] : [value];
  };
}
