/** An LRU cache bounded by the bytes its entries hold, not by their number. */
export interface ByteLru<V, K = number> {
  get(key: K): V | undefined;
  /** Stores value; an entry bigger than the whole budget is not kept. */
  set(key: K, value: V, bytes: number): void;
  clear(): void;
  readonly bytes: number;
  readonly size: number;
}

interface Entry<V> {
  value: V;
  bytes: number;
  /** Clock value of the last use. */
  used: number;
  /** Clock value when the entry took its place in insertion order. */
  placed: number;
}

/**
 * Approximate LRU ("second chance"): a hit only stamps the entry, so the hot path does not reorder the
 * Map. Eviction walks from the oldest placement and moves entries used since then to the back instead
 * of evicting them.
 */
export function createByteLru<V, K = number>(maxBytes: number): ByteLru<V, K> {
  const entries = new Map<K, Entry<V>>();
  let total = 0;
  let clock = 0;

  /** Evicts until within budget, never the entry just stored under `keep`. */
  function evict(keep: K): void {
    for (const [key, entry] of entries) {
      if (total <= maxBytes) return;
      if (key === keep) continue;
      entries.delete(key);
      if (entry.used > entry.placed) {
        entry.placed = ++clock;
        entries.set(key, entry);
      } else {
        total -= entry.bytes;
      }
    }
  }

  return {
    get(key) {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      entry.used = ++clock;
      return entry.value;
    },
    set(key, value, bytes) {
      const old = entries.get(key);
      if (old !== undefined) {
        entries.delete(key);
        total -= old.bytes;
      }
      if (bytes > maxBytes) return;
      const now = ++clock;
      entries.set(key, { value, bytes, used: now, placed: now });
      total += bytes;
      // Map iteration also visits entries moved to the back during it, now unused since placement, so
      // one pass always ends under the budget.
      if (total > maxBytes) evict(key);
    },
    clear() {
      entries.clear();
      total = 0;
    },
    get bytes() {
      return total;
    },
    get size() {
      return entries.size;
    },
  };
}
