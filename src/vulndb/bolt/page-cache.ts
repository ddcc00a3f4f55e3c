/** An LRU cache bounded by the bytes its entries hold, not by their number. */
export interface ByteLru<V> {
  get(key: number): V | undefined;
  /** Stores value; an entry bigger than the whole budget is not kept. */
  set(key: number, value: V, bytes: number): void;
  clear(): void;
  readonly bytes: number;
  readonly size: number;
}

export function createByteLru<V>(maxBytes: number): ByteLru<V> {
  // A Map iterates in insertion order; re-inserting on every hit keeps the least recent entry first.
  const entries = new Map<number, { value: V; bytes: number }>();
  let total = 0;
  return {
    get(key) {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      entries.delete(key);
      entries.set(key, entry);
      return entry.value;
    },
    set(key, value, bytes) {
      const old = entries.get(key);
      if (old !== undefined) {
        entries.delete(key);
        total -= old.bytes;
      }
      if (bytes > maxBytes) return;
      entries.set(key, { value, bytes });
      total += bytes;
      for (const [oldest, entry] of entries) {
        if (total <= maxBytes) break;
        entries.delete(oldest);
        total -= entry.bytes;
      }
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
