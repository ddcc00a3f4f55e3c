import { corrupt } from './errors.js';
import { ELEMENT_SIZE, PAGE_HEADER_SIZE } from './format.js';
import {
  branchIndex,
  childAt,
  compareAt,
  compareBytes,
  copyKeyAt,
  copyValueAt,
  isBucketAt,
  keyLen,
  keyPos,
  lowerBound,
  type TreePage,
  valueLen,
  valuePos,
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
   * Accepted for compatibility and ignored: entries are always copies. Pages live in reused cache slots,
   * so a view could change under its holder after any other read; forEachView gives views safely.
   */
  views?: boolean;
}

/**
 * One entry as forEachView shows it: offsets into `buf`, the page image holding it. Valid only during
 * the callback (which may read the database meanwhile): afterwards the bytes belong to a cache slot that
 * any read may reuse.
 */
export interface EntryView {
  readonly buf: Buffer;
  readonly keyStart: number;
  readonly keyEnd: number;
  /** For a nested bucket, the bucket header and any inline page image. */
  readonly valueStart: number;
  readonly valueEnd: number;
  readonly isBucket: boolean;
  /**
   * The bytes of buf from the end of the page's element headers to the end of its last value: where
   * bbolt puts every key and value of the page (a damaged page may put one elsewhere inside the page;
   * check). The same for every entry shown from one page, so a caller may decode the span once per
   * page instead of once per key and value.
   */
  readonly dataStart: number;
  readonly dataEnd: number;
  /** Changes whenever the entry comes from another page than the previous one (or one read again). */
  readonly pageVisit: number;
  /** The nested bucket at this entry (usable after the callback); only when isBucket. */
  bucket(): Bucket;
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
  /**
   * Synchronous variants. The file is read with blocking positional reads either way (see PageStore);
   * these skip the promise per call, for hot paths that make many lookups.
   */
  getSync(key: BoltKey): Buffer | undefined;
  bucketSync(...names: BoltKey[]): Bucket | undefined;
  listSync(options?: EntriesOptions): BoltEntry[];
  /**
   * Calls visit for each entry in key order, synchronously and without copying; stops early when visit
   * returns false. The view is reused and valid only during the call.
   */
  forEachView(visit: (entry: EntryView) => boolean | undefined, options?: EntriesOptions): void;
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
 * with positional reads and kept in a fixed-size page cache, so memory does not grow with the file.
 */
export async function openBolt(path: string, options: BoltOpenOptions = {}): Promise<BoltDb> {
  const store = await openPageStore(path, options);
  const meta = store.meta;
  const root = new BucketImpl(
    store,
    Number(meta.root),
    undefined,
    Number(meta.sequence & 0xffffffffn),
    Number(meta.sequence >> 32n),
    [],
    undefined,
    undefined,
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

// Lookup keys given as strings are encoded here rather than into a new Buffer per call. Lookups are
// synchronous and never re-entrant, so one buffer serves them all.
const scratch = Buffer.allocUnsafeSlow(64 * 1024);

/** Views of scratch's first n bytes, made once each: a lookup key then costs no allocation. */
const scratchViews: Buffer[] = [];

/** Encodes key for a lookup; a string is written into the shared scratch buffer. */
function encodeKey(key: BoltKey): Uint8Array {
  if (typeof key !== 'string') return key;
  const n = key.length;
  if (n <= 256) {
    // ASCII (package names, IDs) is copied here; anything else goes through the UTF-8 encoder.
    let i = 0;
    for (; i < n; i++) {
      const c = key.charCodeAt(i);
      if (c >= 0x80) break;
      scratch[i] = c;
    }
    if (i === n) {
      let view = scratchViews[n];
      if (view === undefined) {
        view = scratch.subarray(0, n);
        scratchViews[n] = view;
      }
      return view;
    }
  }
  // A UTF-16 code unit never takes more than 3 bytes of UTF-8.
  if (n * 3 > scratch.length) return Buffer.from(key, 'utf8');
  return scratch.subarray(0, scratch.write(key, 0, 'utf8'));
}

function ownKey(key: BoltKey): Buffer {
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
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

/** The pages from the database root to a position: what a nested bucket opened there must not point to. */
interface PathInfo {
  /** Whether pgid is a page on the path from the database root to the position. */
  onPath(pgid: number): boolean;
  /** The pgids of that path, for the nested bucket's own checks. */
  ancestryHere(): number[];
}

/**
 * A position in one bucket's B+tree: the pages from the bucket's root to a leaf, with the element index
 * in each. `ancestry` (the bucket's) holds every page between the database root and the bucket, so that
 * a nested bucket or branch pointing back at one of them (a cycle) is reported as corruption instead of
 * recursing forever.
 *
 * The pages may be cache slots refilled by other reads between two steps; every step first re-fetches
 * those whose generation moved on (same pgid, same bytes), so a cursor survives any interleaving.
 */
class Cursor implements PathInfo {
  readonly pages: TreePage[] = [];
  /** Per frame: the page's pgid (0 inline) and generation when it was pushed. */
  readonly ids: number[] = [];
  readonly gens: number[] = [];
  readonly indexes: number[] = [];
  /** Per frame: where the exclusive upper bound of its keys is (frame depth and element), or -1. */
  readonly upperDepth: number[] = [];
  readonly upperIndex: number[] = [];
  depth = 0;
  private bucket: BucketImpl;
  private store: PageStore;
  private readonly where: () => string;
  private readonly from: () => string;

  constructor(bucket: BucketImpl) {
    this.bucket = bucket;
    this.store = bucket.store;
    this.where = () => this.bucket.label();
    this.from = () => `${this.bucket.label()}, branch page ${this.ids[this.depth - 1]}`;
  }

  /** Makes this a cursor of another bucket (positioned nowhere). */
  retarget(bucket: BucketImpl): void {
    this.bucket = bucket;
    this.store = bucket.store;
    this.depth = 0;
  }

  /** Drops the references to pages (and so to the bucket's database) a finished walk left behind. */
  clear(): void {
    this.pages.length = 0;
    this.depth = 0;
  }

  /** Positions at the first leaf element with key >= target (or the very first when target is absent). */
  seek(target: Uint8Array | undefined): void {
    this.store.checkOpen();
    this.depth = 0;
    const root = this.bucket.rootPage();
    this.pushFrame(root, indexFor(root, target), -1, -1);
    while (!this.pages[this.depth - 1]!.isLeaf) this.descend(target);
    this.settle();
  }

  /** Whether the cursor is on a leaf element (then: leaf(), index()). */
  valid(): boolean {
    const d = this.depth - 1;
    return d >= 0 && this.indexes[d]! < this.pages[d]!.count;
  }

  leaf(): TreePage {
    return this.pages[this.depth - 1]!;
  }

  index(): number {
    return this.indexes[this.depth - 1]!;
  }

  /** Moves to the next leaf element. */
  next(): void {
    if (this.depth === 0) return;
    this.freshen();
    const d = this.depth - 1;
    const i = ++this.indexes[d]!;
    if (i >= this.pages[d]!.count) {
      // Leaving a leaf: the pages used so far need no protection any more (see PageStore.beginOp).
      this.store.beginOp();
      this.freshen();
      this.settle();
    }
  }

  /** Re-fetches pages whose cache slot was reused since the last step, and protects them for this one. */
  freshen(): void {
    this.store.checkOpen();
    for (let d = 0; d < this.depth; d++) {
      const page = this.pages[d]!;
      // The same object may come back refilled with the same page: its generation moved on all the same.
      const fresh = this.store.refresh(page, this.gens[d]!, this.ids[d]!, d === 0 ? this.where : this.from);
      this.pages[d] = fresh;
      this.gens[d] = fresh.gen;
    }
  }

  /** Ancestry for a bucket nested at the current position. */
  ancestryHere(): number[] {
    const out = this.bucket.ancestry.slice();
    for (let d = 0; d < this.depth; d++) {
      const id = this.ids[d]!;
      if (id !== 0) out.push(id);
    }
    return out;
  }

  /** Whether pgid is a page on the path from the database root to the current position. */
  onPath(pgid: number): boolean {
    for (let d = 0; d < this.depth; d++) if (this.ids[d] === pgid) return true;
    return this.bucket.ancestry.includes(pgid);
  }

  private pushFrame(page: TreePage, index: number, upperDepth: number, upperIndex: number): void {
    const d = this.depth++;
    this.pages[d] = page;
    this.ids[d] = page.id;
    this.gens[d] = page.gen;
    this.indexes[d] = index;
    this.upperDepth[d] = upperDepth;
    this.upperIndex[d] = upperIndex;
  }

  /** Moves forward until the top of the stack is a leaf element, or the stack is empty. */
  private settle(): void {
    for (;;) {
      const d = this.depth - 1;
      if (d < 0) return;
      const page = this.pages[d]!;
      if (this.indexes[d]! < page.count) {
        if (page.isLeaf) return;
        this.descend(undefined);
        continue;
      }
      this.depth--;
      if (d > 0) this.indexes[d - 1]!++;
    }
  }

  /** Pushes the child under the top frame's current element. */
  private descend(target: Uint8Array | undefined): void {
    const d = this.depth - 1;
    const page = this.pages[d]!;
    const index = this.indexes[d]!;
    const childId = childAt(page, index);
    if (this.depth >= MAX_TREE_DEPTH) throw corrupt(this.store.path, `${this.from()} nests pages too deeply`);
    if (this.onPath(childId)) {
      throw corrupt(this.store.path, `${this.from()} points back to page ${childId} (a cycle)`);
    }
    const child = this.store.page(childId, this.from);
    let upperDepth = d;
    let upperIndex = index + 1;
    if (upperIndex >= page.count) {
      upperDepth = this.upperDepth[d]!;
      upperIndex = this.upperIndex[d]!;
    }
    // The child's keys must lie within the range its parent assigns to it; otherwise lookups would
    // silently miss keys, which is worse than an error. Every page on the stack is in use by this
    // operation, so the parent keys compared here are still in place after the child's read.
    if (child.count > 0) {
      let outOfRange =
        compareBytes(
          child.buf,
          keyPos(child, 0),
          keyLen(child, 0),
          page.buf,
          keyPos(page, index),
          keyLen(page, index),
        ) < 0;
      if (!outOfRange && upperDepth >= 0) {
        const upper = this.pages[upperDepth]!;
        const last = child.count - 1;
        outOfRange =
          compareBytes(
            child.buf,
            keyPos(child, last),
            keyLen(child, last),
            upper.buf,
            keyPos(upper, upperIndex),
            keyLen(upper, upperIndex),
          ) >= 0;
      }
      if (outOfRange) {
        throw corrupt(
          this.store.path,
          `${this.bucket.label()}, branch page ${page.id} element ${index} points to page ${child.id} holding keys out of range`,
        );
      }
    }
    this.pushFrame(child, indexFor(child, target), upperDepth, upperIndex);
  }
}

function indexFor(page: TreePage, target: Uint8Array | undefined): number {
  if (target === undefined) return 0;
  return page.isLeaf ? lowerBound(page, target) : branchIndex(page, target);
}

function startsWith(page: TreePage, i: number, prefix: Uint8Array): boolean {
  const len = keyLen(page, i);
  return (
    len >= prefix.length &&
    compareBytes(page.buf, keyPos(page, i), prefix.length, prefix, 0, prefix.length) === 0
  );
}

class View implements EntryView {
  buf!: Buffer;
  keyStart = 0;
  keyEnd = 0;
  valueStart = 0;
  valueEnd = 0;
  isBucket = false;
  dataStart = 0;
  dataEnd = 0;
  pageVisit = 0;
  page!: TreePage;
  /** The page's generation and pgid when the view was filled (see PageStore.refresh). */
  gen = 0;
  id = 0;
  index = 0;

  constructor(
    private readonly owner: BucketImpl,
    private readonly path: PathInfo,
  ) {}

  bucket(): Bucket {
    if (!this.isBucket) throw new TypeError('this entry is a value, not a bucket');
    // The callback may have read other pages since the view was filled: same page, maybe another slot.
    const page = this.owner.store.refresh(this.page, this.gen, this.id, this.owner.whereFn());
    return this.owner.openChild(page, this.index, this.path, undefined);
  }
}

/** The path to a position in a bucket whose root is a leaf: the bucket's ancestry and that leaf. */
class LeafPath implements PathInfo {
  constructor(
    private readonly ancestry: readonly number[],
    private readonly id: number,
  ) {}

  onPath(pgid: number): boolean {
    return (this.id !== 0 && pgid === this.id) || this.ancestry.includes(pgid);
  }

  ancestryHere(): number[] {
    const out = this.ancestry.slice();
    if (this.id !== 0) out.push(this.id);
    return out;
  }
}

/**
 * The cursor for point lookups (find): a lookup runs no callback and ends before any other begins, so
 * one cursor serves them all instead of a new one (and its arrays) per lookup.
 */
let finder: Cursor | undefined;

/**
 * Cursors of finished walks, for the next ones. A full walk opens hundreds of thousands of nested
 * buckets; a cursor (six arrays) for each is enough garbage that V8 took to allocating them in the old
 * generation (measured: 300 MB of old-generation garbage in one walk of the benchmark's database).
 */
const cursorPool: Cursor[] = [];

function acquireCursor(bucket: BucketImpl): Cursor {
  const cursor = cursorPool.pop();
  if (cursor === undefined) return new Cursor(bucket);
  cursor.retarget(bucket);
  return cursor;
}

/** Returns a cursor no one will use again (a walk that ended); pages it refers to are forgotten. */
function releaseCursor(cursor: Cursor): void {
  cursor.clear();
  if (cursorPool.length < 16) cursorPool.push(cursor);
}

/** For entries that are not nested buckets, which need no path. */
const NO_PATH: PathInfo = {
  onPath: () => false,
  ancestryHere: () => [],
};

/** A bucket; its root is a page (rootPgid) or, for an inline bucket, a page image inside its parent. */
class BucketImpl implements Bucket {
  private cachedPath: readonly Buffer[] | undefined;

  constructor(
    readonly store: PageStore,
    /** 0 for an inline bucket. */
    private readonly rootPgid: number,
    private inlineRoot: TreePage | undefined,
    private readonly sequenceLow: number,
    private readonly sequenceHigh: number,
    readonly ancestry: readonly number[],
    private readonly parent: BucketImpl | undefined,
    /** The name in the parent: a string or a private copy of the bytes. */
    private readonly name: string | Buffer | undefined,
  ) {}

  get path(): readonly Buffer[] {
    if (this.cachedPath === undefined) {
      this.cachedPath =
        this.parent === undefined || this.name === undefined
          ? []
          : [...this.parent.path, typeof this.name === 'string' ? Buffer.from(this.name, 'utf8') : this.name];
    }
    return this.cachedPath;
  }

  get sequence(): bigint {
    return (BigInt(this.sequenceHigh) << 32n) | BigInt(this.sequenceLow);
  }

  get inline(): boolean {
    return this.rootPgid === 0;
  }

  label(): string {
    return (this.inline ? 'inline ' : '') + label(this.path);
  }

  private labelFn: (() => string) | undefined;

  /** label as a function, for error messages built only when needed. */
  whereFn(): () => string {
    this.labelFn ??= () => this.label();
    return this.labelFn;
  }

  rootPage(): TreePage {
    if (this.inlineRoot === undefined) return this.store.page(this.rootPgid, this.whereFn());
    this.inlineRoot = this.store.refresh(this.inlineRoot, 0, 0, this.whereFn());
    return this.inlineRoot;
  }

  /**
   * Opens the nested bucket stored at element i of leaf page (the cursor's position). `name` is the
   * caller's key, when it has one to keep; otherwise the key is copied.
   */
  openChild(page: TreePage, i: number, cursor: PathInfo, name: string | Buffer | undefined): BucketImpl {
    const buf = page.buf;
    const v = valuePos(page, i);
    const vlen = valueLen(page, i);
    const rootLow = buf.readUInt32LE(v);
    const rootHigh = buf.readUInt32LE(v + 4);
    const seqLow = buf.readUInt32LE(v + 8);
    const seqHigh = buf.readUInt32LE(v + 12);
    const childName = name ?? copyKeyAt(page, i);
    const childLabel = () =>
      label([...this.path, typeof childName === 'string' ? Buffer.from(childName) : childName]);
    if (rootLow === 0 && rootHigh === 0) {
      // Inline bucket: a leaf page image follows the header.
      const where = () => `inline ${childLabel()}`;
      const inlinePage = this.store.inlinePage(page, v + 16, vlen - 16, where);
      if (!inlinePage.isLeaf) throw corrupt(this.store.path, `${where()} is not a leaf page`);
      return new BucketImpl(
        this.store,
        0,
        inlinePage,
        seqLow,
        seqHigh,
        cursor.ancestryHere(),
        this,
        childName,
      );
    }
    const rootPgid = rootLow + rootHigh * 0x100000000;
    if (rootHigh >= 0x200000 || rootPgid < 2 || rootPgid >= this.store.pageCount) {
      throw corrupt(
        this.store.path,
        `${childLabel()} has root page ${buf.readBigUInt64LE(v)}, outside the file's pages 2..${this.store.pageCount - 1}`,
      );
    }
    if (cursor.onPath(rootPgid)) {
      throw corrupt(
        this.store.path,
        `${childLabel()} has root page ${rootPgid}, which contains the bucket itself (a cycle)`,
      );
    }
    return new BucketImpl(
      this.store,
      rootPgid,
      undefined,
      seqLow,
      seqHigh,
      cursor.ancestryHere(),
      this,
      childName,
    );
  }

  /**
   * The shared finder on key when present (then the cursor's leaf and index are the element), else
   * undefined. The caller clears it when done, so that it keeps no page (and no closed database) alive.
   */
  private find(key: Uint8Array): Cursor | undefined {
    const cursor = finder ?? new Cursor(this);
    finder = cursor;
    cursor.retarget(this);
    try {
      cursor.seek(key);
    } catch (error) {
      cursor.clear();
      throw error;
    }
    if (!cursor.valid() || compareAt(cursor.leaf(), cursor.index(), key) !== 0) {
      cursor.clear();
      return undefined;
    }
    return cursor;
  }

  private childSync(name: BoltKey): BucketImpl | undefined {
    const cursor = this.find(encodeKey(name));
    if (cursor === undefined) return undefined;
    try {
      if (!isBucketAt(cursor.leaf(), cursor.index())) return undefined;
      return this.openChild(
        cursor.leaf(),
        cursor.index(),
        cursor,
        typeof name === 'string' ? name : ownKey(name),
      );
    } finally {
      cursor.clear();
    }
  }

  getSync(key: BoltKey): Buffer | undefined {
    this.store.beginOp();
    const cursor = this.find(encodeKey(key));
    if (cursor === undefined) return undefined;
    try {
      return isBucketAt(cursor.leaf(), cursor.index())
        ? undefined
        : copyValueAt(cursor.leaf(), cursor.index());
    } finally {
      cursor.clear();
    }
  }

  bucketSync(...names: BoltKey[]): BucketImpl | undefined {
    this.store.beginOp();
    let current: BucketImpl = this;
    for (const name of names) {
      const next = current.childSync(name);
      if (next === undefined) return undefined;
      current = next;
    }
    return current;
  }

  /**
   * Visits each element from options' start, synchronously, until visit returns false. The prefix and
   * from keys are copied first: they may be views of pages that the walk itself replaces in the cache.
   * `visit` may read the database: the walk re-checks its pages before each step.
   */
  private walk(options: EntriesOptions, visit: (page: TreePage, i: number, path: PathInfo) => boolean): void {
    const prefix = options.prefix === undefined ? undefined : ownKey(options.prefix);
    let from = options.from === undefined ? undefined : ownKey(options.from);
    if (prefix !== undefined && (from === undefined || Buffer.compare(from, prefix) < 0)) from = prefix;
    this.store.checkOpen();
    const root = this.rootPage();
    if (root.isLeaf) {
      // One page (every inline bucket, most small ones): no cursor needed.
      // The pgid now: a page object of the cache holds another page once its slot is refilled.
      const rootId = root.id;
      const path = new LeafPath(this.ancestry, rootId);
      const where = this.whereFn();
      let page = root;
      let gen = page.gen;
      for (let i = from === undefined ? 0 : lowerBound(page, from); i < page.count; i++) {
        if (prefix !== undefined && !startsWith(page, i, prefix)) return;
        if (!visit(page, i, path)) return;
        page = this.store.refresh(page, gen, rootId, where);
        gen = page.gen;
      }
      return;
    }
    const cursor = acquireCursor(this);
    try {
      cursor.seek(from);
      while (cursor.valid()) {
        if (prefix !== undefined && !startsWith(cursor.leaf(), cursor.index(), prefix)) return;
        if (!visit(cursor.leaf(), cursor.index(), cursor)) return;
        cursor.next();
      }
    } finally {
      releaseCursor(cursor);
    }
  }

  private entryAt(page: TreePage, i: number, path: PathInfo): BoltEntry {
    const key = copyKeyAt(page, i);
    if (isBucketAt(page, i)) return { key, bucket: this.openChild(page, i, path, undefined) };
    return { key, value: copyValueAt(page, i) };
  }

  listSync(options: EntriesOptions = {}): BoltEntry[] {
    this.store.beginOp();
    const out: BoltEntry[] = [];
    this.walk(options, (page, i, path) => {
      out.push(this.entryAt(page, i, path));
      return true;
    });
    return out;
  }

  forEachView(visit: (entry: EntryView) => boolean | undefined, options: EntriesOptions = {}): void {
    this.store.beginOp();
    let view: View | undefined;
    this.walk(options, (page, i, path) => {
      view ??= new View(this, path);
      if (view.pageVisit === 0 || page !== view.page || page.gen !== view.gen) {
        view.pageVisit++;
        const last = page.count - 1;
        view.dataStart = page.base + PAGE_HEADER_SIZE + page.count * ELEMENT_SIZE;
        view.dataEnd = last < 0 ? view.dataStart : valuePos(page, last) + valueLen(page, last);
      }
      view.page = page;
      view.gen = page.gen;
      view.id = page.id;
      view.index = i;
      view.buf = page.buf;
      view.keyStart = keyPos(page, i);
      view.keyEnd = view.keyStart + keyLen(page, i);
      view.valueStart = valuePos(page, i);
      view.valueEnd = view.valueStart + valueLen(page, i);
      view.isBucket = isBucketAt(page, i);
      // The callback may read the database itself: the page the view shows must stay where it is.
      this.store.pin(page);
      try {
        return visit(view) !== false;
      } finally {
        this.store.unpin(page);
      }
    });
  }

  async get(key: BoltKey): Promise<Buffer | undefined> {
    return this.getSync(key);
  }

  async bucket(...names: BoltKey[]): Promise<Bucket | undefined> {
    return this.bucketSync(...names);
  }

  async list(options: EntriesOptions = {}): Promise<BoltEntry[]> {
    return this.listSync(options);
  }

  async *entries(options: EntriesOptions = {}): AsyncGenerator<BoltEntry, void, undefined> {
    this.store.beginOp();
    const prefix = options.prefix === undefined ? undefined : ownKey(options.prefix);
    let from = options.from === undefined ? undefined : ownKey(options.from);
    if (prefix !== undefined && (from === undefined || Buffer.compare(from, prefix) < 0)) from = prefix;
    const root = this.rootPage();
    if (root.isLeaf) {
      // One page (every inline bucket): no cursor. The awaits between yields are where other reads may
      // run, so the page is checked again after each.
      const rootId = root.id; // the pgid now (see walk)
      const where = this.whereFn();
      let path: LeafPath | undefined;
      let page = root;
      let gen = page.gen;
      for (let i = from === undefined ? 0 : lowerBound(page, from); i < page.count; i++) {
        if (prefix !== undefined && !startsWith(page, i, prefix)) return;
        if (isBucketAt(page, i)) path ??= new LeafPath(this.ancestry, rootId);
        yield this.entryAt(page, i, path ?? NO_PATH);
        this.store.beginOp();
        page = this.store.refresh(page, gen, rootId, where);
        gen = page.gen;
      }
      return;
    }
    const cursor = acquireCursor(this);
    try {
      cursor.seek(from);
      const batch: BoltEntry[] = [];
      // One leaf at a time, synchronously: the awaits between yields are where other reads may run.
      while (cursor.valid()) {
        batch.length = 0;
        let stop = false;
        const leaf = cursor.leaf();
        for (;;) {
          if (prefix !== undefined && !startsWith(leaf, cursor.index(), prefix)) {
            stop = true;
            break;
          }
          batch.push(this.entryAt(leaf, cursor.index(), cursor));
          if (cursor.index() + 1 >= leaf.count) break;
          cursor.indexes[cursor.depth - 1]!++;
        }
        for (const entry of batch) yield entry;
        if (stop) return;
        this.store.beginOp();
        cursor.next();
      }
    } finally {
      releaseCursor(cursor);
    }
  }

  scan(prefix: BoltKey): AsyncGenerator<BoltEntry, void, undefined> {
    return this.entries({ prefix });
  }
}

export type { BucketImpl };
