import { type FileHandle, open } from 'node:fs/promises';
import { BoltError, corrupt, ioError, notBolt, truncated } from './errors.js';
import { decodeMeta, FLAG_BRANCH, FLAG_LEAF, MAGIC, META_PAGE_BYTES, type Meta, VERSION } from './format.js';
import { parseTreePage, type TreePage } from './page.js';
import { createByteLru } from './page-cache.js';

export const DEFAULT_CACHE_BYTES = 32 * 1024 * 1024;

/** Page sizes probed when meta page 0 is unusable and the page size must be found from meta page 1. */
const PROBE_PAGE_SIZES = [4096, 16384, 65536, 8192, 32768, 2048, 1024, 512];
const MIN_PAGE_SIZE = 256;
const MAX_PAGE_SIZE = 64 * 1024 * 1024;

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

/** Positional, cached access to the tree pages of one open bbolt file. */
export interface PageStore {
  readonly path: string;
  readonly pageSize: number;
  readonly pageCount: number;
  readonly meta: Meta;
  /**
   * A validated branch or leaf page; synchronous when cached. `where` names the referrer, and is only
   * called to build an error message.
   */
  page(pgid: number, where: () => string): TreePage | Promise<TreePage>;
  /**
   * The parsed page image of the inline bucket stored in element `index` of leaf `parent`, cached like
   * pages (keyed by parent and index) so that hot small buckets are not re-parsed on every lookup.
   */
  inlinePage(parent: TreePage, index: number, image: Buffer, where: () => string): TreePage;
  stats(): PageStoreStats;
  close(): Promise<void>;
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
  const cacheMaxBytes = options.cacheBytes ?? DEFAULT_CACHE_BYTES;
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (error) {
    throw ioError(path, 'open', error);
  }
  try {
    return await initStore(path, fh, cacheMaxBytes);
  } catch (error) {
    await fh.close().catch(() => {});
    throw error;
  }
}

async function initStore(path: string, fh: FileHandle, cacheMaxBytes: number): Promise<PageStore> {
  let bytesRead = 0;
  let reads = 0;

  /** Reads up to length bytes at position; shorter only at end of file. */
  async function readAt(position: number, length: number, into?: Buffer, offset = 0): Promise<Buffer> {
    // Unpooled: a page lives in the cache, and a small pooled Buffer would pin a shared 8 KiB slab.
    const buf = into ?? Buffer.allocUnsafeSlow(length);
    let done = 0;
    while (done < length) {
      let n: number;
      try {
        ({ bytesRead: n } = await fh.read(buf, offset + done, length - done, position + done));
      } catch (error) {
        throw ioError(path, 'read', error);
      }
      reads++;
      bytesRead += n;
      if (n === 0) break;
      done += n;
    }
    return done === length ? buf : buf.subarray(0, offset + done);
  }

  let fileSize: number;
  try {
    fileSize = (await fh.stat()).size;
  } catch (error) {
    throw ioError(path, 'stat', error);
  }
  if (fileSize === 0) throw notBolt(path, 'the file is empty');

  const head = await readAt(0, Math.min(META_PAGE_BYTES, fileSize));
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
      const m = decodeMeta(await readAt(candidate, META_PAGE_BYTES));
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
      throw notBolt(path, `bbolt data format version ${meta0.version}, only version ${VERSION} is supported`);
    }
    throw corrupt(path, 'neither meta page is valid (checksum or page size mismatch)');
  }
  if (fileSize < 2 * pageSize) throw truncated(path, `${fileSize} bytes cannot hold both meta pages`);
  if (meta1 === undefined) {
    const raw1 = await readAt(pageSize, META_PAGE_BYTES);
    meta1 = decodeMeta(raw1);
  }

  const usable0 = metaUsable(meta0) && meta0.pageSize === pageSize;
  const usable1 = metaUsable(meta1) && meta1.pageSize === pageSize;
  // bbolt uses the meta page with the higher txid, and falls back to the other when it is invalid.
  let metaPage: 0 | 1;
  if (usable0 && usable1) metaPage = meta1.txid > meta0.txid ? 1 : 0;
  else metaPage = usable1 ? 1 : 0;
  const meta = metaPage === 1 ? meta1 : meta0;

  const maxPages = Math.floor(fileSize / pageSize);
  if (meta.pgid > BigInt(maxPages)) {
    throw truncated(
      path,
      `its meta page says it holds ${meta.pgid} pages of ${pageSize} bytes, but the file has only ${fileSize} bytes`,
    );
  }
  const pageCount = Number(meta.pgid);
  if (meta.root < 2n || meta.root >= meta.pgid) {
    throw corrupt(path, `the meta page's root bucket page ${meta.root} is outside pages 2..${pageCount - 1}`);
  }

  const cache = createByteLru<TreePage>(cacheMaxBytes);
  const inflight = new Map<number, Promise<TreePage>>();
  let closed = false;
  let hits = 0;
  let misses = 0;

  async function load(pgid: number): Promise<TreePage> {
    const where = `page ${pgid}`;
    const first = await readAt(pgid * pageSize, pageSize);
    if (first.length < pageSize) throw truncated(path, `${where} ends past the end of the file`);
    const id = first.readBigUInt64LE(0);
    if (id !== BigInt(pgid)) throw corrupt(path, `${where} has id ${id} in its header`);
    const flags = first.readUInt16LE(8);
    if (flags !== FLAG_BRANCH && flags !== FLAG_LEAF) {
      throw corrupt(
        path,
        `${where} has page flags 0x${flags.toString(16)} where a branch or leaf page was expected`,
      );
    }
    const overflow = first.readUInt32LE(12);
    if (pgid + overflow >= pageCount) {
      throw corrupt(path, `${where} claims ${overflow} overflow pages, past the last page ${pageCount - 1}`);
    }
    let buf = first;
    if (overflow > 0) {
      const total = (overflow + 1) * pageSize;
      buf = Buffer.allocUnsafeSlow(total);
      first.copy(buf, 0);
      const whole = await readAt((pgid + 1) * pageSize, total - pageSize, buf, pageSize);
      if (whole.length < total) throw truncated(path, `${where} ends past the end of the file`);
    }
    return parseTreePage(buf, pgid, { path, pageCount, where: () => where });
  }

  function closedError(): BoltError {
    return new BoltError('BOLT_CLOSED', path, `${path} was used after the database was closed`);
  }

  return {
    path,
    pageSize,
    pageCount,
    meta,
    page(pgid, where) {
      if (closed) throw closedError();
      if (!(Number.isInteger(pgid) && pgid >= 2 && pgid < pageCount)) {
        throw corrupt(
          path,
          `${where()} refers to page ${pgid}, outside the file's pages 2..${pageCount - 1}`,
        );
      }
      const cached = cache.get(pgid);
      if (cached !== undefined) {
        hits++;
        return cached;
      }
      const pending = inflight.get(pgid);
      if (pending !== undefined) return pending;
      misses++;
      const promise = load(pgid).then(
        (page) => {
          inflight.delete(pgid);
          if (!closed) cache.set(pgid, page, page.bytes);
          return page;
        },
        (error: unknown) => {
          inflight.delete(pgid);
          throw error;
        },
      );
      inflight.set(pgid, promise);
      return promise;
    },
    inlinePage(parent, index, image, where) {
      if (closed) throw closedError();
      // Parent ids are >= 2 (inline pages of inline pages have id 0 and are not cached): negative keys
      // never collide with page ids.
      const key = parent.id >= 2 ? -(parent.id * 65536 + index) : undefined;
      if (key !== undefined) {
        const cached = cache.get(key);
        if (cached !== undefined) {
          hits++;
          return cached;
        }
      }
      // An unpooled copy, so a cached inline page pins neither its (possibly evicted) parent page nor a
      // shared pool slab.
      const own = Buffer.allocUnsafeSlow(image.length);
      image.copy(own);
      const page = parseTreePage(own, 0, { path, pageCount, where });
      if (key !== undefined) cache.set(key, page, page.bytes);
      return page;
    },
    stats() {
      return {
        path,
        fileSize,
        pageSize,
        pageCount,
        txid: meta.txid,
        metaPage,
        bytesRead,
        reads,
        cacheHits: hits,
        cacheMisses: misses,
        cacheBytes: cache.bytes,
        cacheMaxBytes,
        cachedPages: cache.size,
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([...inflight.values()]);
      cache.clear();
      await fh.close();
    },
  };
}
