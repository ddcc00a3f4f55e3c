import { corrupt } from './errors.js';
import { BUCKET_HEADER_SIZE } from './format.js';
import {
  branchIndex,
  compareAt,
  copyKeyAt,
  copyValueAt,
  isBucketAt,
  keyAt,
  lowerBound,
  type TreePage,
  valueAt,
} from './page.js';
import { openPageStore, type PageStore, type PageStoreOptions, type PageStoreStats } from './page-store.js';

export type BoltKey = Uint8Array | string;

/** One entry of a bucket: a plain value or a nested bucket. Keys and values are copies. */
export type BoltEntry =
  | { key: Buffer; value: Buffer; bucket?: undefined }
  | { key: Buffer; value?: undefined; bucket: Bucket };

export interface EntriesOptions {
  /** Start at the first key >= from. */
  from?: BoltKey;
  /** Only keys starting with prefix (iteration starts at the first key >= prefix). */
  prefix?: BoltKey;
  /**
   * Return keys and values as views into the cached page instead of copies: faster for values that are
   * decoded at once. Views must not be modified, and holding one keeps its whole page in memory.
   */
  views?: boolean;
}

export interface Bucket {
  /** Names from the database root to this bucket (empty for the root). */
  readonly path: readonly Buffer[];
  /** The bucket's sequence number (bbolt's NextSequence counter). */
  readonly sequence: bigint;
  /** Whether the bucket is stored inline in its parent's leaf. */
  readonly inline: boolean;
  /** The value stored under key, or undefined when the key is missing or names a nested bucket. */
  get(key: BoltKey): Promise<Buffer | undefined>;
  /** The nested bucket at names (relative to this bucket), or undefined. */
  bucket(...names: BoltKey[]): Promise<Bucket | undefined>;
  /** Entries in key order. */
  entries(options?: EntriesOptions): AsyncGenerator<BoltEntry, void, undefined>;
  /** Entries whose key starts with prefix, in key order. */
  scan(prefix: BoltKey): AsyncGenerator<BoltEntry, void, undefined>;
  /**
   * The same entries as entries(options), collected into an array: cheaper than async iteration for the
   * small buckets of a lookup (one package's advisories), but holds them all in memory at once.
   */
  list(options?: EntriesOptions): Promise<BoltEntry[]>;
}

export interface BoltDb {
  readonly path: string;
  /** The root bucket, whose entries are the top-level buckets. */
  readonly root: Bucket;
  bucket(...names: BoltKey[]): Promise<Bucket | undefined>;
  stats(): PageStoreStats;
  close(): Promise<void>;
}

export type BoltOpenOptions = PageStoreOptions;

/**
 * Opens a bbolt file read-only. Only the two meta pages are read here; tree pages are read on demand
 * with positional reads and kept in a byte-bounded LRU cache, so memory does not grow with the file.
 */
export async function openBolt(path: string, options: BoltOpenOptions = {}): Promise<BoltDb> {
  const store = await openPageStore(path, options);
  const root = createBucket(
    store,
    { kind: 'pages', pgid: Number(store.meta.root) },
    store.meta.sequence,
    [],
    [],
  );
  return {
    path,
    root,
    bucket: (...names) => root.bucket(...names),
    stats: () => store.stats(),
    close: () => store.close(),
  };
}

/** No real tree is this deep: bbolt pages hold at least two keys, so depth grows with log2(pages). */
const MAX_TREE_DEPTH = 64;

type Root = { kind: 'pages'; pgid: number } | { kind: 'inline'; page: TreePage };

interface Frame {
  page: TreePage;
  index: number;
  /** Exclusive upper bound for the keys under this page, inherited from the parent branch. */
  upper: Buffer | undefined;
}

function toKey(key: BoltKey): Buffer {
  if (typeof key === 'string') return Buffer.from(key, 'utf8');
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength);
}

function label(path: readonly Buffer[]): string {
  if (path.length === 0) return 'the root bucket';
  const names = path.map((name) =>
    /^[\x20-\x7e]*$/.test(name.toString('latin1'))
      ? JSON.stringify(name.toString('latin1'))
      : `0x${name.toString('hex')}`,
  );
  return `bucket ${names.join(' / ')}`;
}

/**
 * A position in one bucket's B+tree. `ancestry` holds every page between the database root and this
 * bucket, so that a nested bucket or branch pointing back at one of them (a cycle) is reported as
 * corruption instead of recursing forever.
 *
 * Pages usually come from the cache synchronously; the methods only await when a read is needed.
 */
class TreeCursor {
  readonly stack: Frame[] = [];

  constructor(
    private readonly store: PageStore,
    private readonly root: Root,
    private readonly ancestry: readonly number[],
    private readonly where: () => string,
  ) {}

  /** Positions at the first leaf element with key >= target (or the very first when target is absent). */
  async seek(target: Buffer | undefined): Promise<void> {
    this.stack.length = 0;
    let rootPage: TreePage;
    if (this.root.kind === 'inline') rootPage = this.root.page;
    else {
      const loaded = this.store.page(this.root.pgid, this.where);
      rootPage = loaded instanceof Promise ? await loaded : loaded;
    }
    this.stack.push({ page: rootPage, index: indexFor(rootPage, target), upper: undefined });
    for (let top = rootPage; !top.isLeaf; top = this.stack.at(-1)!.page) {
      const pending = this.descend(this.stack.at(-1)!, target);
      if (pending !== undefined) await pending;
    }
    const pending = this.settle();
    if (pending !== undefined) await pending;
  }

  /** The leaf element under the cursor, if any. */
  current(): Frame | undefined {
    const top = this.stack.at(-1);
    return top !== undefined && top.index < top.page.count ? top : undefined;
  }

  /** Moves to the next leaf element; returns a promise only when a page has to be read. */
  next(): Promise<void> | undefined {
    const top = this.stack.at(-1);
    if (top === undefined) return undefined;
    top.index++;
    return this.settle();
  }

  /** Ancestry for a bucket nested at the current position. */
  ancestryHere(): number[] {
    const out = [...this.ancestry];
    for (const frame of this.stack) if (frame.page.id !== 0) out.push(frame.page.id);
    return out;
  }

  /** Moves forward until the top of the stack is a leaf element, or the stack is empty. */
  private settle(): Promise<void> | undefined {
    for (;;) {
      const top = this.stack.at(-1);
      if (top === undefined) return undefined;
      if (top.index < top.page.count) {
        if (top.page.isLeaf) return undefined;
        const pending = this.descend(top, undefined);
        if (pending !== undefined) return pending.then(() => this.settle());
        continue;
      }
      this.stack.pop();
      const parent = this.stack.at(-1);
      if (parent === undefined) return undefined;
      parent.index++;
    }
  }

  /** Pushes the child under frame's current element; returns a promise only when it must be read. */
  private descend(frame: Frame, target: Buffer | undefined): Promise<void> | undefined {
    const { page, index } = frame;
    const childId = page.children[index]!;
    const from = () => `${this.where()}, branch page ${page.id}`;
    if (this.stack.length >= MAX_TREE_DEPTH)
      throw corrupt(this.store.path, `${from()} nests pages too deeply`);
    if (this.stack.some((f) => f.page.id === childId) || this.ancestry.includes(childId)) {
      throw corrupt(this.store.path, `${from()} points back to page ${childId} (a cycle)`);
    }
    const loaded = this.store.page(childId, from);
    if (loaded instanceof Promise) return loaded.then((child) => this.push(frame, child, target));
    this.push(frame, loaded, target);
    return undefined;
  }

  private push(frame: Frame, child: TreePage, target: Buffer | undefined): void {
    const { page, index } = frame;
    const lower = keyAt(page, index);
    const upper = index + 1 < page.count ? keyAt(page, index + 1) : frame.upper;
    // The child's keys must lie within the range its parent assigns to it; otherwise lookups would
    // silently miss keys, which is worse than an error.
    if (child.count > 0) {
      const outOfRange =
        compareAt(child, 0, lower) < 0 ||
        (upper !== undefined && compareAt(child, child.count - 1, upper) >= 0);
      if (outOfRange) {
        throw corrupt(
          this.store.path,
          `${this.where()}, branch page ${page.id} element ${index} points to page ${child.id} holding keys out of range`,
        );
      }
    }
    this.stack.push({ page: child, index: indexFor(child, target), upper });
  }
}

function indexFor(page: TreePage, target: Buffer | undefined): number {
  if (target === undefined) return 0;
  return page.isLeaf ? lowerBound(page, target) : branchIndex(page, target);
}

/** The bucket as built here, with a single-step lookup the multi-name bucket() walks with. */
interface BucketNode extends Bucket {
  child(name: BoltKey): Promise<BucketNode | undefined>;
}

function createBucket(
  store: PageStore,
  root: Root,
  sequence: bigint,
  ancestry: readonly number[],
  path: readonly Buffer[],
): BucketNode {
  const where = () => label(path);

  function openChild(page: TreePage, index: number, childAncestry: readonly number[]): BucketNode {
    const value = valueAt(page, index);
    const childPath = [...path, copyKeyAt(page, index)];
    const rootPgid = value.readBigUInt64LE(0);
    const childSequence = value.readBigUInt64LE(8);
    if (rootPgid === 0n) {
      // Inline bucket: a leaf page image follows the header.
      const childWhere = () => `inline ${label(childPath)}`;
      const inlinePage = store.inlinePage(page, index, value.subarray(BUCKET_HEADER_SIZE), childWhere);
      if (!inlinePage.isLeaf) throw corrupt(store.path, `${childWhere()} is not a leaf page`);
      return createBucket(
        store,
        { kind: 'inline', page: inlinePage },
        childSequence,
        childAncestry,
        childPath,
      );
    }
    if (rootPgid < 2n || rootPgid >= BigInt(store.pageCount)) {
      throw corrupt(
        store.path,
        `${label(childPath)} has root page ${rootPgid}, outside the file's pages 2..${store.pageCount - 1}`,
      );
    }
    const pgid = Number(rootPgid);
    if (childAncestry.includes(pgid)) {
      throw corrupt(
        store.path,
        `${label(childPath)} has root page ${pgid}, which contains the bucket itself (a cycle)`,
      );
    }
    return createBucket(store, { kind: 'pages', pgid }, childSequence, childAncestry, childPath);
  }

  /** Descends to the leaf that would hold key; returns the cursor and frame when the key is present. */
  async function find(key: Buffer): Promise<{ cursor: TreeCursor; frame: Frame } | undefined> {
    const cursor = new TreeCursor(store, root, ancestry, where);
    await cursor.seek(key);
    const frame = cursor.current();
    if (frame === undefined || compareAt(frame.page, frame.index, key) !== 0) return undefined;
    return { cursor, frame };
  }

  function entryAt(cursor: TreeCursor, frame: Frame, views: boolean | undefined): BoltEntry {
    const { page, index } = frame;
    const key = views ? keyAt(page, index) : copyKeyAt(page, index);
    if (isBucketAt(page, index)) return { key, bucket: openChild(page, index, cursor.ancestryHere()) };
    return { key, value: views ? valueAt(page, index) : copyValueAt(page, index) };
  }

  /** Positions a cursor for entries(options); returns it with the prefix to stop at. */
  async function start(options: EntriesOptions): Promise<{ cursor: TreeCursor; prefix: Buffer | undefined }> {
    const prefix = options.prefix === undefined ? undefined : toKey(options.prefix);
    let from = options.from === undefined ? undefined : toKey(options.from);
    if (prefix !== undefined && (from === undefined || Buffer.compare(from, prefix) < 0)) from = prefix;
    const cursor = new TreeCursor(store, root, ancestry, where);
    await cursor.seek(from);
    return { cursor, prefix };
  }

  const bucket: BucketNode = {
    path,
    sequence,
    inline: root.kind === 'inline',
    async get(key) {
      const found = await find(toKey(key));
      if (found === undefined || isBucketAt(found.frame.page, found.frame.index)) return undefined;
      return copyValueAt(found.frame.page, found.frame.index);
    },
    async bucket(...names) {
      let current: BucketNode = bucket;
      for (const name of names) {
        const next = await current.child(name);
        if (next === undefined) return undefined;
        current = next;
      }
      return current;
    },
    async *entries(options = {}) {
      const { cursor, prefix } = await start(options);
      for (let frame = cursor.current(); frame !== undefined; frame = cursor.current()) {
        if (prefix !== undefined && !startsWith(keyAt(frame.page, frame.index), prefix)) return;
        yield entryAt(cursor, frame, options.views);
        const pending = cursor.next();
        if (pending !== undefined) await pending;
      }
    },
    scan(prefix) {
      return bucket.entries({ prefix });
    },
    async list(options = {}) {
      const { cursor, prefix } = await start(options);
      const out: BoltEntry[] = [];
      for (let frame = cursor.current(); frame !== undefined; frame = cursor.current()) {
        if (prefix !== undefined && !startsWith(keyAt(frame.page, frame.index), prefix)) break;
        out.push(entryAt(cursor, frame, options.views));
        const pending = cursor.next();
        if (pending !== undefined) await pending;
      }
      return out;
    },
    async child(name) {
      const found = await find(toKey(name));
      if (found === undefined || !isBucketAt(found.frame.page, found.frame.index)) return undefined;
      return openChild(found.frame.page, found.frame.index, found.cursor.ancestryHere());
    },
  };
  return bucket;
}

function startsWith(key: Buffer, prefix: Buffer): boolean {
  return key.length >= prefix.length && key.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}
