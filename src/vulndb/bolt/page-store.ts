import { readSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { BoltError, corrupt, ioError, notBolt, truncated } from './errors.js';
import { decodeMeta, FLAG_BRANCH, FLAG_LEAF, MAGIC, META_PAGE_BYTES, type Meta, VERSION } from './format.js';
import { type PageContext, shapeCount, TreePage, validatedPrefix, validateTreePage } from './page.js';

// Small on purpose: a page missing here costs one positional read from the OS page cache (a few microseconds),
// and random lookups over a large file hit the same share of pages with half or twice this. What must stay
// cached is the branch pages (about 1 in 150 pages: some 7 MiB for a 1 GiB file) and the leaves an
// image's packages keep coming back to.
export const DEFAULT_CACHE_BYTES = 16 * 1024 * 1024;

/** Page sizes probed when meta page 0 is unusable and the page size must be found from meta page 1. */
const PROBE_PAGE_SIZES = [4096, 16384, 65536, 8192, 32768, 2048, 1024, 512];
const MIN_PAGE_SIZE = 256;
const MAX_PAGE_SIZE = 64 * 1024 * 1024;
/**
 * Share of the cache budget for pages with overflow pages (a value larger than a page), held in
 * LARGE_SLOTS slots of their own; the rest is slots of one page.
 */
const OVERFLOW_SHARE = 1 / 8;
const LARGE_SLOTS = 8;

export interface PageStoreStats {
  path: string;
  fileSize: number;
  pageSize: number;
  /** Pages in use according to the chosen meta page (its high-water mark). */
  pageCount: number;
  /** Transaction id of the chosen meta page. */
  txid: bigint;
  /** Which meta page (0 or 1) was chosen. */
  metaPage: 0 | 1;
  bytesRead: number;
  reads: number;
  cacheHits: number;
  cacheMisses: number;
  cacheBytes: number;
  cacheMaxBytes: number;
  cachedPages: number;
}

export interface PageStoreOptions {
  /** Upper bound for the bytes of cached pages (default 32 MiB). */
  cacheBytes?: number;
}

function metaUsable(m: Meta): boolean {
  return (
    m.magic === MAGIC &&
    m.version === VERSION &&
    m.checksumOk &&
    m.pageSize >= MIN_PAGE_SIZE &&
    m.pageSize <= MAX_PAGE_SIZE
  );
}

export async function openPageStore(path: string, options: PageStoreOptions = {}): Promise<PageStore> {
  const cacheMaxBytes = Math.max(0, options.cacheBytes ?? DEFAULT_CACHE_BYTES);
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (error) {
    throw ioError(path, 'open', error);
  }
  try {
    let fileSize: number;
    try {
      fileSize = (await fh.stat()).size;
    } catch (error) {
      throw ioError(path, 'stat', error);
    }
    return new PageStore(path, fh, fileSize, cacheMaxBytes);
  } catch (error) {
    await fh.close().catch(() => {});
    throw error;
  }
}

/**
 * Positional, cached access to the tree pages of one open bbolt file.
 *
 * Reads are synchronous (fs.readSync at an offset). An asynchronous read costs a round trip through
 * libuv's thread pool for every page — several times the cost of copying 4 KiB out of the OS page cache —
 * and a lookup needs one or two page reads. bbolt itself maps the file and takes page faults on the
 * calling thread, which block just the same; for a read-only file that is almost always in the OS page
 * cache, blocking the event loop for a few microseconds per page is the cheaper trade.
 *
 * Pages live in a slab of fixed-size slots allocated once and replaced by the CLOCK algorithm, each slot
 * with one TreePage object for good: a page read allocates nothing, so nothing is left for the garbage
 * collector, and the memory held is the slab whatever the workload. (Objects made per read and kept in
 * the cache would survive young-generation collections, which makes V8 grow the young generation and
 * promote them into old-generation garbage: far more resident memory than the pages themselves.)
 *
 * Because a slot is reused, a TreePage is only the page it was while its `gen` is unchanged; holders note
 * the generation and call `refresh` (cursors do so before every step). Pages used since the last
 * `beginOp()` are never given away, so one synchronous operation can rely on every page it touched, and
 * a pinned page (a view being looked at by a callback) stays until unpinned.
 */
export class PageStore {
  readonly pageSize: number;
  readonly pageCount: number;
  readonly meta: Meta;
  readonly metaPage: 0 | 1;
  readonly cacheMaxBytes: number;

  private readonly fd: number;
  private closed = false;
  private bytesRead = 0;
  private reads = 0;
  private hits = 0;
  private misses = 0;

  /** Slots [0, smallSlots) hold one page; [smallSlots, slotCount) hold up to largeSlotBytes. */
  private readonly smallSlots: number;
  private readonly slotCount: number;
  private readonly largeSlotBytes: number;
  private slab: Buffer;
  /** Per slot: its TreePage object (made on first use), and the pgid it holds or -1. */
  private readonly slotPages: (TreePage | undefined)[];
  private readonly slotIds: Float64Array;
  /** CLOCK reference bits. */
  private readonly referenced: Uint8Array;
  /** The operation that last used each slot (see beginOp). */
  private readonly usedInOp: Uint32Array;
  /** Per slot: how many pins hold it (see pin). */
  private readonly pins: Uint32Array;
  private readonly freeSlots: number[] = [];
  private readonly freeLarge: number[] = [];
  private usedSlots = 0;
  private usedBytes = 0;
  /** Small slots [neverUsed, smallSlots) have not been filled yet. */
  private neverUsed = 0;
  private hand = 0;
  private largeHand = 0;
  private op = 1;
  /**
   * pgid → slot: open addressing with linear probing over slot numbers (-1 empty), at most half full.
   * A Map here rehashes its tables as pages come and go, which is garbage of its own.
   */
  private readonly table: Int32Array;
  private readonly tableMask: number;
  private readonly ctx: PageContext;

  constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    readonly fileSize: number,
    cacheMaxBytes: number,
  ) {
    this.fd = fh.fd;
    this.cacheMaxBytes = cacheMaxBytes;
    if (fileSize === 0) throw notBolt(path, 'the file is empty');

    const head = this.readNew(0, Math.min(META_PAGE_BYTES, fileSize));
    if (head.length < META_PAGE_BYTES) {
      if (head.length >= 20 && head.readUInt32LE(16) === MAGIC) {
        throw truncated(path, `only ${fileSize} bytes, not even one meta page`);
      }
      throw notBolt(path, `only ${fileSize} bytes and no bbolt magic number`);
    }
    const meta0 = decodeMeta(head);

    let pageSize = metaUsable(meta0) ? meta0.pageSize : 0;
    let meta1: Meta | undefined;
    if (pageSize === 0) {
      // Meta page 0 is damaged (or torn by a crash): find the page size from a usable meta page 1.
      for (const candidate of PROBE_PAGE_SIZES) {
        if (candidate + META_PAGE_BYTES > fileSize) continue;
        const m = decodeMeta(this.readNew(candidate, META_PAGE_BYTES));
        if (metaUsable(m) && m.pageSize === candidate) {
          pageSize = candidate;
          meta1 = m;
          break;
        }
      }
    }
    if (pageSize === 0) {
      if (meta0.magic !== MAGIC) throw notBolt(path, 'no bbolt magic number in the first page');
      if (meta0.version !== VERSION) {
        throw notBolt(
          path,
          `bbolt data format version ${meta0.version}, only version ${VERSION} is supported`,
        );
      }
      throw corrupt(path, 'neither meta page is valid (checksum or page size mismatch)');
    }
    if (fileSize < 2 * pageSize) throw truncated(path, `${fileSize} bytes cannot hold both meta pages`);
    meta1 ??= decodeMeta(this.readNew(pageSize, META_PAGE_BYTES));

    const usable0 = metaUsable(meta0) && meta0.pageSize === pageSize;
    const usable1 = metaUsable(meta1) && meta1.pageSize === pageSize;
    // bbolt uses the meta page with the higher txid, and falls back to the other when it is invalid.
    if (usable0 && usable1) this.metaPage = meta1.txid > meta0.txid ? 1 : 0;
    else this.metaPage = usable1 ? 1 : 0;
    const meta = this.metaPage === 1 ? meta1 : meta0;

    const maxPages = Math.floor(fileSize / pageSize);
    if (meta.pgid > BigInt(maxPages)) {
      throw truncated(
        path,
        `its meta page says it holds ${meta.pgid} pages of ${pageSize} bytes, but the file has only ${fileSize} bytes`,
      );
    }
    const pageCount = Number(meta.pgid);
    if (meta.root < 2n || meta.root >= meta.pgid) {
      throw corrupt(
        path,
        `the meta page's root bucket page ${meta.root} is outside pages 2..${pageCount - 1}`,
      );
    }
    this.pageSize = pageSize;
    this.pageCount = pageCount;
    this.meta = meta;

    let largeBytes = Math.floor(cacheMaxBytes * OVERFLOW_SHARE);
    let largeSlotBytes = Math.floor(largeBytes / LARGE_SLOTS / pageSize) * pageSize;
    if (largeSlotBytes < 2 * pageSize) {
      largeSlotBytes = 0;
      largeBytes = 0;
    }
    const largeSlots = largeSlotBytes === 0 ? 0 : LARGE_SLOTS;
    // Never more slots than the file has pages: a small database does not reserve the whole budget.
    const smallSlots = Math.min(Math.floor((cacheMaxBytes - largeBytes) / pageSize), pageCount);
    const slotCount = smallSlots + largeSlots;
    this.smallSlots = smallSlots;
    this.slotCount = slotCount;
    this.largeSlotBytes = largeSlotBytes;
    // allocUnsafeSlow: the slab is touched (and becomes resident) only as slots are first filled.
    this.slab = Buffer.allocUnsafeSlow(smallSlots * pageSize + largeSlots * largeSlotBytes);
    this.slotPages = new Array<TreePage | undefined>(slotCount).fill(undefined);
    this.slotIds = new Float64Array(slotCount).fill(-1);
    this.referenced = new Uint8Array(slotCount);
    this.usedInOp = new Uint32Array(slotCount);
    this.pins = new Uint32Array(slotCount);
    for (let slot = smallSlots; slot < slotCount; slot++) this.freeLarge.push(slot);
    let tableSize = 8;
    while (tableSize < 2 * slotCount) tableSize *= 2;
    this.table = new Int32Array(tableSize).fill(-1);
    this.tableMask = tableSize - 1;
    this.ctx = { path, pageCount, where: () => '' };
  }

  /**
   * Starts a new operation: pages used from here on are not evicted until the next call. Every public
   * entry point calls it; code holding a TreePage across a call must check its generation.
   */
  beginOp(): void {
    if (this.closed) throw this.closedError();
    // Wraps after 2^32 operations; a stale equality then at worst protects a slot for one operation.
    this.op = (this.op + 1) >>> 0;
  }

  /**
   * Keeps page (an inline page: its anchor) in its slot until unpin, across operations: for a view
   * handed to a callback, which may read the database before it is done with the view.
   */
  pin(page: TreePage): void {
    const slot = (page.anchor ?? page).slot;
    if (slot >= 0) this.pins[slot]!++;
  }

  unpin(page: TreePage): void {
    const slot = (page.anchor ?? page).slot;
    if (slot >= 0 && this.pins[slot]! > 0) this.pins[slot]!--;
  }

  checkOpen(): void {
    if (this.closed) throw this.closedError();
  }

  /**
   * A validated branch or leaf page. `where` names the referrer, and is only called to build an error
   * message.
   */
  page(pgid: number, where: () => string): TreePage {
    if (this.closed) throw this.closedError();
    if (!(Number.isInteger(pgid) && pgid >= 2 && pgid < this.pageCount)) {
      throw corrupt(
        this.path,
        `${where()} refers to page ${pgid}, outside the file's pages 2..${this.pageCount - 1}`,
      );
    }
    const slot = this.lookup(pgid);
    if (slot >= 0) {
      this.hits++;
      this.referenced[slot] = 1;
      this.usedInOp[slot] = this.op;
      return this.slotPages[slot]!;
    }
    this.misses++;
    return this.load(pgid);
  }

  /**
   * The page itself when current (see `current`; then marked as used by this operation), else page
   * `id` read again — for an inline page, its image inside the re-read anchor, validated again.
   */
  refresh(page: TreePage, gen: number, id: number, where: () => string): TreePage {
    const anchor = page.anchor;
    if (anchor === undefined ? page.gen === gen : anchor.gen === page.anchorGen) {
      const slot = (anchor ?? page).slot;
      if (slot >= 0) {
        this.referenced[slot] = 1;
        this.usedInOp[slot] = this.op;
      }
      return page;
    }
    if (anchor === undefined) return this.page(id, where);
    const fresh = this.page(page.anchorId, where);
    return this.inlinePage(fresh, fresh.base + (page.base - anchor.base), page.length, where);
  }

  /** The validated page image of an inline bucket stored at `buf[base, base + length)` of leaf `parent`. */
  inlinePage(parent: TreePage, base: number, length: number, where: () => string): TreePage {
    const anchor = parent.anchor ?? parent;
    const anchorId = parent.anchor === undefined ? parent.id : parent.anchorId;
    this.ctx.where = where;
    const shape = validateTreePage(parent.buf, base, length, this.ctx);
    const page = new TreePage(
      0,
      parent.buf,
      base,
      length,
      shape >= 0,
      shapeCount(shape),
      anchor,
      anchor.gen,
      anchorId,
      anchor.slot,
    );
    page.prefix = validatedPrefix;
    return page;
  }

  private load(pgid: number): TreePage {
    const where = () => `page ${pgid}`;
    const pageSize = this.pageSize;
    const position = pgid * pageSize;
    const slot = this.victim();
    if (slot < 0) {
      // Every slot is in use by the current operation (a tiny cache or a deep walk): read uncached.
      const own = this.readNew(position, pageSize);
      if (own.length < pageSize) throw truncated(this.path, `${where()} ends past the end of the file`);
      return this.finish(pgid, own, 0, -1, where);
    }
    this.evict(slot);
    let filled = false;
    try {
      if (this.readInto(this.slab, slot * pageSize, pageSize, position) < pageSize) {
        throw truncated(this.path, `${where()} ends past the end of the file`);
      }
      const page = this.finish(pgid, this.slab, slot * pageSize, slot, where);
      filled = page.slot === slot;
      return page;
    } finally {
      if (!filled) this.freeSlots.push(slot);
    }
  }

  /**
   * Checks the header of the page just read into buf[base…] (slot `slot`, or -1) and validates it. A
   * page with overflow pages is read whole, in one call, into a large slot when it fits one (the small
   * slot is then left free) or else into a buffer of its own.
   */
  private finish(pgid: number, buf: Buffer, base: number, slot: number, where: () => string): TreePage {
    const pageSize = this.pageSize;
    const lo = buf.readUInt32LE(base);
    const hi = buf.readUInt32LE(base + 4);
    if (hi !== 0 || lo !== pgid) {
      throw corrupt(this.path, `${where()} has id ${buf.readBigUInt64LE(base)} in its header`);
    }
    const flags = buf.readUInt16LE(base + 8);
    if (flags !== FLAG_BRANCH && flags !== FLAG_LEAF) {
      throw corrupt(
        this.path,
        `${where()} has page flags 0x${flags.toString(16)} where a branch or leaf page was expected`,
      );
    }
    const overflow = buf.readUInt32LE(base + 12);
    if (pgid + overflow >= this.pageCount) {
      throw corrupt(
        this.path,
        `${where()} claims ${overflow} overflow pages, past the last page ${this.pageCount - 1}`,
      );
    }
    this.ctx.where = where;
    if (overflow === 0) return this.place(pgid, buf, base, pageSize, slot);
    const total = (overflow + 1) * pageSize;
    const large = total <= this.largeSlotBytes ? this.largeVictim() : -1;
    let whole = buf;
    let wholeBase = 0;
    if (large >= 0) {
      this.evict(large);
      whole = this.slab;
      wholeBase = this.slotBase(large);
    } else {
      whole = Buffer.allocUnsafeSlow(total);
    }
    let filled = false;
    try {
      buf.copy(whole, wholeBase, base, base + pageSize);
      const rest = total - pageSize;
      if (this.readInto(whole, wholeBase + pageSize, rest, (pgid + 1) * pageSize) < rest) {
        throw truncated(this.path, `${where()} ends past the end of the file`);
      }
      const page = this.place(pgid, whole, wholeBase, total, large);
      filled = true;
      return page;
    } finally {
      if (large >= 0 && !filled) this.freeLarge.push(large);
    }
  }

  /** Validates the page at buf[base, base + length) and puts it in `slot` (or returns it uncached). */
  private place(pgid: number, buf: Buffer, base: number, length: number, slot: number): TreePage {
    const shape = validateTreePage(buf, base, length, this.ctx);
    if (slot < 0) {
      const own = new TreePage(pgid, buf, base, length, shape >= 0, shapeCount(shape), undefined, 0, 0, -1);
      own.prefix = validatedPrefix;
      return own;
    }
    let page = this.slotPages[slot];
    if (page === undefined) {
      page = new TreePage(pgid, buf, base, length, shape >= 0, shapeCount(shape), undefined, 0, 0, slot);
      this.slotPages[slot] = page;
    } else {
      page.id = pgid;
      page.length = length;
      page.isLeaf = shape >= 0;
      page.count = shapeCount(shape);
    }
    page.prefix = validatedPrefix;
    this.slotIds[slot] = pgid;
    this.insert(pgid, slot);
    this.referenced[slot] = 1;
    this.usedInOp[slot] = this.op;
    this.usedSlots++;
    this.usedBytes += length;
    return page;
  }

  private slotBase(slot: number): number {
    const small = this.smallSlots;
    return slot < small ? slot * this.pageSize : small * this.pageSize + (slot - small) * this.largeSlotBytes;
  }

  /** A large slot to fill, or -1 when each is in use by the current operation. */
  private largeVictim(): number {
    const free = this.freeLarge.pop();
    if (free !== undefined) return free;
    const first = this.smallSlots;
    const n = this.slotCount - first;
    for (let scanned = 0; scanned < 2 * n; scanned++) {
      const slot = first + this.largeHand;
      this.largeHand = this.largeHand + 1 === n ? 0 : this.largeHand + 1;
      if (this.usedInOp[slot] === this.op || this.pins[slot] !== 0) continue;
      if (this.referenced[slot] === 1) {
        this.referenced[slot] = 0;
        continue;
      }
      return slot;
    }
    return -1;
  }

  /** A slot to fill, or -1 when every slot is in use by the current operation. */
  private victim(): number {
    const free = this.freeSlots.pop();
    if (free !== undefined) return free;
    if (this.neverUsed < this.smallSlots) return this.neverUsed++;
    const n = this.smallSlots;
    // Two sweeps: the first may only clear reference bits.
    for (let scanned = 0; scanned < 2 * n; scanned++) {
      const slot = this.hand;
      this.hand = slot + 1 === n ? 0 : slot + 1;
      if (this.usedInOp[slot] === this.op || this.pins[slot] !== 0) continue;
      if (this.referenced[slot] === 1) {
        this.referenced[slot] = 0;
        continue;
      }
      return slot;
    }
    return -1;
  }

  /** Empties slot: its page object's generation moves on, so holders see that it is gone. */
  private evict(slot: number): void {
    const id = this.slotIds[slot]!;
    if (id < 0) return;
    this.remove(id);
    this.slotIds[slot] = -1;
    const page = this.slotPages[slot]!;
    page.gen++;
    this.usedSlots--;
    this.usedBytes -= page.length;
  }

  private hash(pgid: number): number {
    // pgids are below 2^53; mixing the low 32 bits is enough to spread neighbours.
    return Math.imul(pgid | 0, 0x9e3779b1) >>> 0;
  }

  private lookup(pgid: number): number {
    const table = this.table;
    const mask = this.tableMask;
    for (let i = this.hash(pgid) & mask; ; i = (i + 1) & mask) {
      const slot = table[i]!;
      if (slot < 0) return -1;
      if (this.slotIds[slot] === pgid) return slot;
    }
  }

  private insert(pgid: number, slot: number): void {
    const table = this.table;
    const mask = this.tableMask;
    let i = this.hash(pgid) & mask;
    while (table[i]! >= 0) i = (i + 1) & mask;
    table[i] = slot;
  }

  /** Removes pgid, shifting later entries of its probe run back (no tombstones). */
  private remove(pgid: number): void {
    const table = this.table;
    const mask = this.tableMask;
    let i = this.hash(pgid) & mask;
    while (this.slotIds[table[i]!] !== pgid) i = (i + 1) & mask;
    let hole = i;
    for (let j = (hole + 1) & mask; table[j]! >= 0; j = (j + 1) & mask) {
      const home = this.hash(this.slotIds[table[j]!]!) & mask;
      // The entry at j may move into the hole if its home is not in the cyclic range (hole, j].
      if ((j > hole && (home <= hole || home > j)) || (j < hole && home <= hole && home > j)) {
        table[hole] = table[j]!;
        hole = j;
      }
    }
    table[hole] = -1;
  }
  /** Reads up to length bytes at position into buf[offset…]; fewer only at the end of the file. */
  private readInto(buf: Buffer, offset: number, length: number, position: number): number {
    let done = 0;
    while (done < length) {
      let n: number;
      try {
        n = readSync(this.fd, buf, offset + done, length - done, position + done);
      } catch (error) {
        throw ioError(this.path, 'read', error);
      }
      this.reads++;
      this.bytesRead += n;
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  /** A new buffer with up to length bytes at position; shorter only at the end of the file. */
  private readNew(position: number, length: number): Buffer {
    // Unpooled: such a buffer may be kept, and a small pooled Buffer would pin a shared 8 KiB slab.
    const buf = Buffer.allocUnsafeSlow(length);
    const n = this.readInto(buf, 0, length, position);
    return n === length ? buf : buf.subarray(0, n);
  }

  private closedError(): BoltError {
    return new BoltError('BOLT_CLOSED', this.path, `${this.path} was used after the database was closed`);
  }

  stats(): PageStoreStats {
    return {
      path: this.path,
      fileSize: this.fileSize,
      pageSize: this.pageSize,
      pageCount: this.pageCount,
      txid: this.meta.txid,
      metaPage: this.metaPage,
      bytesRead: this.bytesRead,
      reads: this.reads,
      cacheHits: this.hits,
      cacheMisses: this.misses,
      cacheBytes: this.usedBytes,
      cacheMaxBytes: this.cacheMaxBytes,
      cachedPages: this.usedSlots,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const page of this.slotPages) if (page !== undefined) page.gen++;
    this.slotPages.fill(undefined);
    this.slotIds.fill(-1);
    this.table.fill(-1);
    this.usedSlots = 0;
    this.usedBytes = 0;
    this.slab = Buffer.alloc(0);
    await this.fh.close();
  }
}
