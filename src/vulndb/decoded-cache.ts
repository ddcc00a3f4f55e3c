// The cache of decoded lookup results (trivy-db's getAdvisories), with W-TinyLFU's admission policy.
//
// Caching every result would make uniformly random lookups — a first scan, a server seeing many
// different images — pay for filling and evicting the cache, and worse: each cached result outlives a
// young-generation collection, is promoted, and becomes old-generation garbage when evicted, so the heap
// (and RSS) grows by many times the cache's budget. So new results only enter a small window; a result
// leaving the window enters the main cache only if its key is looked up more often than the entry it
// would displace (frequencies from a count-min sketch, halved now and then so that they follow the
// workload), and at least MIN_ADMIT_COUNT times. Keys of an image's packages recur and win; one-off keys
// lose and die young.
//
// Two things keep V8's young generation doing its job (both measured with --trace-gc-nvp, Node 20):
// - Neither part keeps its order in a Map: a Map taking a set and a delete per lookup made V8 promote
//   about 2 MB of young objects per scavenge (the same entries in an array: nothing). The window is a
//   ring of parallel arrays; the main cache is CLOCK over an array of slots, and its key → slot Map only
//   changes when an entry is admitted or evicted.
// - The main cache keeps a copy (`clone`) of what it admits. V8 pretenures the objects of an allocation
//   site when most of them survive a scavenge, which is what happens to the decoder's objects while an
//   empty cache fills up: from then on every decoded result of every lookup is allocated in the old
//   generation, dies there, and keeps the young objects it points to alive — megabytes promoted per
//   scavenge for good. With a copy, only the copying code's sites see the long-lived objects.

/** A key's estimated lookup count saturates here. */
const MAX_COUNT = 255;
const SKETCH_SIZE = 1 << 17;
/**
 * A result enters the main cache only for a key looked up at least this often lately. Under uniformly
 * random lookups keys seen twice are common enough (and residents' counts decay to below that) that
 * admitting on two lookups still churns the cache; keys of an image being rescanned reach three at once.
 */
const MIN_ADMIT_COUNT = 3;
/** Results held by the window at most (also bounded by bytes). */
const WINDOW_SLOTS = 16;

interface Entry<V> {
  key: string;
  sub: string;
  hash: number;
  value: V;
  bytes: number;
  /** Main cache: used since the CLOCK hand last passed (a second chance before eviction). */
  used: boolean;
}

/**
 * Keys are pairs of strings (a root bucket and a package name), hashed as they are: joining them into one
 * string per lookup, and hashing and comparing that, was a noticeable share of an uncached lookup.
 */
export interface DecodedCache<V> {
  /** The cached value for (key, sub), counting the lookup either way. */
  get(key: string, sub?: string): V | undefined;
  /**
   * Offers a fresh value for (key, sub) (after get missed); returns whether the cache keeps it (or later
   * a copy of it), in which case the caller must not hand the same object out for modification.
   */
  add(key: string, value: V, bytes: number, sub?: string): boolean;
  /** Bytes held, by the callers' estimates. */
  readonly bytes: number;
  readonly size: number;
}

/**
 * `clone` copies a value for the main cache (see above); the copy must be interchangeable with the
 * original for the callers.
 */
export function createDecodedCache<V>(budget: number, clone: (value: V) => V): DecodedCache<V> {
  const windowBudget = Math.min(Math.floor(budget / 16), 64 * 1024);
  const mainBudget = budget - windowBudget;

  // The window: a FIFO ring of parallel arrays, newest at (head - 1).
  const windowKeys: (string | undefined)[] = new Array(WINDOW_SLOTS).fill(undefined);
  const windowSubs: (string | undefined)[] = new Array(WINDOW_SLOTS).fill(undefined);
  const windowValues: (V | undefined)[] = new Array(WINDOW_SLOTS).fill(undefined);
  const windowSizes = new Float64Array(WINDOW_SLOTS);
  const windowHashes = new Uint32Array(WINDOW_SLOTS);
  let head = 0;
  let windowCount = 0;
  let windowBytes = 0;

  // The main cache: CLOCK over slots.
  const slots: (Entry<V> | undefined)[] = [];
  const freeSlots: number[] = [];
  // Keyed by the hash (no key string to build); two keys with one hash share a place, so the second is
  // not admitted while the first is there.
  const slotOf = new Map<number, number>();
  let hand = 0;
  let mainBytes = 0;

  const sketch = new Uint8Array(budget > 0 ? SKETCH_SIZE : 0);
  let counted = 0;
  // Halving after ~10 × the entries that fit keeps the counts about recent lookups (TinyLFU's "reset").
  const sampleSize = Math.max(16 * 1024, Math.floor(budget / 300));

  /**
   * FNV-1a over key, a separator and sub, to 30 bits: a small integer (Smi) to V8, so that the Map keyed
   * by it hashes it without a heap number.
   */
  function hash(key: string, sub: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0xffff, 0x01000193);
    for (let i = 0; i < sub.length; i++) h = Math.imul(h ^ sub.charCodeAt(i), 0x01000193);
    return (h ^ (h >>> 30)) & 0x3fffffff;
  }

  function second(h: number): number {
    const x = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
    return (x ^ (x >>> 13)) >>> 0;
  }

  function frequency(h: number): number {
    return Math.min(sketch[h & (SKETCH_SIZE - 1)]!, sketch[second(h) & (SKETCH_SIZE - 1)]!);
  }

  /** The last key counted and its hash: add follows get, and need not hash it again. */
  let lastKey = '';
  let lastSub = '';
  let lastHash = 0;
  /** Whether get() found the last key counted nowhere: add() right after it need not look again. */
  let lastMissed = false;

  function count(key: string, sub: string): number {
    const h = hash(key, sub);
    lastKey = key;
    lastSub = sub;
    lastHash = h;
    const a = h & (SKETCH_SIZE - 1);
    const b = second(h) & (SKETCH_SIZE - 1);
    if (sketch[a]! < MAX_COUNT) sketch[a]!++;
    if (sketch[b]! < MAX_COUNT) sketch[b]!++;
    if (++counted >= sampleSize) {
      for (let i = 0; i < SKETCH_SIZE; i++) sketch[i]! >>>= 1;
      counted = 0;
    }
    return h;
  }

  /** The main cache's slot of (key, sub) with hash h, or -1. */
  function mainFind(h: number, key: string, sub: string): number {
    const slot = slotOf.get(h);
    if (slot === undefined) return -1;
    const entry = slots[slot]!;
    return entry.key === key && entry.sub === sub ? slot : -1;
  }

  /** Ring index of (key, sub) with hash h in the window, or -1. */
  function windowFind(h: number, key: string, sub: string): number {
    for (let n = 1; n <= windowCount; n++) {
      const at = (head - n + WINDOW_SLOTS) % WINDOW_SLOTS;
      if (windowHashes[at] === h && windowKeys[at] === key && windowSubs[at] === sub) return at;
    }
    return -1;
  }

  /** Removes the window's oldest entry and offers it to the main cache. */
  function windowEvict(): void {
    const at = (head - windowCount + WINDOW_SLOTS) % WINDOW_SLOTS;
    const key = windowKeys[at]!;
    const sub = windowSubs[at]!;
    const value = windowValues[at]!;
    const bytes = windowSizes[at]!;
    windowKeys[at] = undefined;
    windowSubs[at] = undefined;
    windowValues[at] = undefined;
    windowCount--;
    windowBytes -= bytes;
    offer(key, sub, windowHashes[at]!, value, bytes);
  }

  /** A result leaving the window: admitted if looked up more than each entry it displaces. */
  function offer(key: string, sub: string, keyHash: number, value: V, bytes: number): void {
    if (bytes > mainBudget || slotOf.has(keyHash)) return;
    // The floor holds even while there is room: filling an empty cache with whatever comes by is the kind
    // of burst of survivors that makes V8 pretenure (see above), and one-off keys are not worth keeping.
    const candidateFrequency = frequency(keyHash);
    if (candidateFrequency < MIN_ADMIT_COUNT) return;
    // Each slot is passed at most twice per offer: once to clear its mark, once to pick it.
    for (let guard = 2 * slots.length + 1; mainBytes + bytes > mainBudget && guard > 0; guard--) {
      if (hand >= slots.length) hand = 0;
      const resident = slots[hand];
      if (resident === undefined) {
        hand++;
        continue;
      }
      if (resident.used) {
        resident.used = false;
        hand++;
        continue;
      }
      if (candidateFrequency <= frequency(resident.hash)) return;
      slots[hand] = undefined;
      freeSlots.push(hand);
      slotOf.delete(resident.hash);
      mainBytes -= resident.bytes;
      hand++;
    }
    if (mainBytes + bytes > mainBudget) return;
    const slot = freeSlots.pop() ?? slots.length;
    slots[slot] = { key, sub, hash: keyHash, value: clone(value), bytes, used: false };
    slotOf.set(keyHash, slot);
    mainBytes += bytes;
  }

  return {
    get(key, sub = '') {
      if (budget === 0) return undefined;
      const h = count(key, sub);
      lastMissed = false;
      const slot = mainFind(h, key, sub);
      if (slot >= 0) {
        const hot = slots[slot]!;
        hot.used = true;
        return hot.value;
      }
      const at = windowFind(h, key, sub);
      if (at < 0) {
        lastMissed = true;
        return undefined;
      }
      return windowValues[at];
    },
    add(key, value, bytes, sub = '') {
      if (budget === 0 || bytes > mainBudget) return false;
      const same = key === lastKey && sub === lastSub;
      const h = same ? lastHash : hash(key, sub);
      const missed = same && lastMissed;
      lastMissed = false;
      if (!missed && (mainFind(h, key, sub) >= 0 || windowFind(h, key, sub) >= 0)) return false; // cached meanwhile
      while (windowCount > 0 && (windowCount === WINDOW_SLOTS || windowBytes + bytes > windowBudget)) {
        windowEvict();
      }
      windowKeys[head] = key;
      windowSubs[head] = sub;
      windowValues[head] = value;
      windowSizes[head] = bytes;
      windowHashes[head] = h;
      head = (head + 1) % WINDOW_SLOTS;
      windowCount++;
      windowBytes += bytes;
      return true;
    },
    get bytes() {
      return windowBytes + mainBytes;
    },
    get size() {
      return windowCount + slotOf.size;
    },
  };
}
