import { corrupt } from './errors.js';
import { BUCKET_HEADER_SIZE } from './format.js';
import {
  branchIndex,
  compareAt,
  isBucketAt,
  keyAt,
  lowerBound,
  parseTreePage,
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
 */
class TreeCursor {
  readonly stack: Frame[] = [];

  constructor(
    private readonly store: PageStore,
    private readonly root: Root,
    private readonly ancestry: readonly number[],
    private readonly where: string,
  ) {}

  /** Positions at the first leaf element with key >= target (or the very first when target is absent). */
  async seek(target: Buffer | undefined): Promise<void> {
    this.stack.length = 0;
    const rootPage =
      this.root.kind === 'inline' ? this.root.page : await this.store.page(this.root.pgid, this.where);
    this.stack.push({ page: rootPage, index: indexFor(rootPage, target), upper: undefined });
    for (;;) {
      const top = this.stack.at(-1)!;
      if (top.page.isLeaf) break;
      await this.descend(top, target);
    }
    await this.settle();
  }

  /** The leaf element under the cursor, if any. */
  current(): Frame | undefined {
    const top = this.stack.at(-1);
    return top !== undefined && top.index < top.page.count ? top : undefined;
  }

  async next(): Promise<void> {
    const top = this.stack.at(-1);
    if (top === undefined) return;
    top.index++;
    await this.settle();
  }

  /** Ancestry for a bucket nested at the current position. */
  ancestryHere(): number[] {
    const pages = this.stack.map((f) => f.page.id).filter((id) => id !== 0);
    return [...this.ancestry, ...pages];
  }

  /** Moves forward until the top of the stack is a leaf element, or the stack is empty. */
  private async settle(): Promise<void> {
    for (;;) {
      const top = this.stack.at(-1);
      if (top === undefined) return;
      if (top.index < top.page.count) {
        if (top.page.isLeaf) return;
        await this.descend(top, undefined);
        continue;
      }
      this.stack.pop();
      const parent = this.stack.at(-1);
      if (parent === undefined) return;
      parent.index++;
    }
  }

  private async descend(frame: Frame, target: Buffer | undefined): Promise<void> {
    const { page, index } = frame;
    const childId = page.children[index]!;
    const from = `${this.where}, branch page ${page.id}`;
    if (this.stack.length >= MAX_TREE_DEPTH) throw corrupt(this.store.path, `${from} nests pages too deeply`);
    if (this.stack.some((f) => f.page.id === childId) || this.ancestry.includes(childId)) {
      throw corrupt(this.store.path, `${from} points back to page ${childId} (a cycle)`);
    }
    const child = await this.store.page(childId, from);
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
          `${from} element ${index} points to page ${childId} holding keys out of range`,
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
  const where = label(path);

  function openChild(page: TreePage, index: number, childAncestry: readonly number[]): BucketNode {
    const name = Buffer.from(keyAt(page, index));
    const value = valueAt(page, index);
    const childPath = [...path, name];
    const rootPgid = value.readBigUInt64LE(0);
    const childSequence = value.readBigUInt64LE(8);
    if (rootPgid === 0n) {
      // Inline bucket: a leaf page image follows the header. Copy it so the bucket does not pin the
      // (cache-owned) parent page.
      const image = Buffer.from(value.subarray(BUCKET_HEADER_SIZE));
      const childWhere = `inline ${label(childPath)}`;
      const inlinePage = parseTreePage(image, 0, {
        path: store.path,
        pageCount: store.pageCount,
        where: childWhere,
      });
      if (!inlinePage.isLeaf) throw corrupt(store.path, `${childWhere} is not a leaf page`);
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

  /** Descends to the leaf that would hold key; returns the cursor and whether the key is present. */
  async function find(key: Buffer): Promise<{ cursor: TreeCursor; frame: Frame } | undefined> {
    const cursor = new TreeCursor(store, root, ancestry, where);
    await cursor.seek(key);
    const frame = cursor.current();
    if (frame === undefined || compareAt(frame.page, frame.index, key) !== 0) return undefined;
    return { cursor, frame };
  }

  const bucket: BucketNode = {
    path,
    sequence,
    inline: root.kind === 'inline',
    async get(key) {
      const found = await find(toKey(key));
      if (found === undefined || isBucketAt(found.frame.page, found.frame.index)) return undefined;
      return Buffer.from(valueAt(found.frame.page, found.frame.index));
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
      const prefix = options.prefix === undefined ? undefined : toKey(options.prefix);
      let from = options.from === undefined ? undefined : toKey(options.from);
      if (prefix !== undefined && (from === undefined || Buffer.compare(from, prefix) < 0)) from = prefix;
      const cursor = new TreeCursor(store, root, ancestry, where);
      await cursor.seek(from);
      for (let frame = cursor.current(); frame !== undefined; frame = cursor.current()) {
        const { page, index } = frame;
        const rawKey = keyAt(page, index);
        if (prefix !== undefined && !startsWith(rawKey, prefix)) return;
        const key = Buffer.from(rawKey);
        if (isBucketAt(page, index)) {
          yield { key, bucket: openChild(page, index, cursor.ancestryHere()) };
        } else {
          yield { key, value: Buffer.from(valueAt(page, index)) };
        }
        await cursor.next();
      }
    },
    scan(prefix) {
      return bucket.entries({ prefix });
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
