import { corrupt } from './errors.js';
import {
  BUCKET_HEADER_SIZE,
  ELEMENT_SIZE,
  FLAG_BRANCH,
  FLAG_LEAF,
  LEAF_FLAG_BUCKET,
  PAGE_HEADER_SIZE,
} from './format.js';

/**
 * A branch or leaf page whose every element has been bounds-checked and whose keys are known to be
 * strictly ascending. Validation happens once, when the page is read, so that lookups can trust the
 * element headers and binary search cannot be misled by a damaged page.
 *
 * The page image is `buf[base, base + length)`. Pages of the store's cache live in one shared slab, and
 * each cache slot has one TreePage object for its lifetime, refilled when the slot is given to another
 * page; `gen` counts those refills, so a holder that noted it can tell whether the page is still the
 * one it had (see PageStore). An inline bucket's page lives inside its parent leaf (`anchor`), valid
 * while the anchor's generation is `anchorGen`. No page needs a Buffer view or arrays of its own:
 * element headers are read from the image on each access.
 */
export class TreePage {
  /** Incremented each time the cache slot holding this object is refilled. */
  gen = 0;
  /** Bytes every key of the page starts with (see lowerBound). */
  prefix = 0;

  constructor(
    /** pgid, or 0 for the page image inside an inline bucket. */
    public id: number,
    readonly buf: Buffer,
    /** Fixed for a cache slot's object; an inline page's base moves with its anchor. */
    readonly base: number,
    public length: number,
    public isLeaf: boolean,
    public count: number,
    /** For an inline bucket's page: the stored page holding it. */
    readonly anchor: TreePage | undefined,
    /** The anchor's generation and pgid when this inline page was made. */
    readonly anchorGen: number,
    readonly anchorId: number,
    /** Cache slot of the image, or -1 when it owns its buffer (overflow pages, uncached reads). */
    readonly slot: number,
  ) {}

  /** Approximate memory held, for the overflow cache's byte budget. */
  get bytes(): number {
    return this.length + 200;
  }

  /**
   * Per element: key offset, key length, value offset, value length (leaf) — offsets relative to buf.
   * Computed on demand (tests and tools); the reader itself uses the accessors below.
   */
  get offsets(): readonly number[] {
    const out = new Array<number>(this.count * 4);
    for (let i = 0; i < this.count; i++) {
      out[i * 4] = keyPos(this, i);
      out[i * 4 + 1] = keyLen(this, i);
      out[i * 4 + 2] = keyPos(this, i) + keyLen(this, i);
      out[i * 4 + 3] = this.isLeaf ? valueLen(this, i) : 0;
    }
    return out;
  }

  /** Leaf: element flags. Branch: empty. */
  get flags(): readonly number[] {
    if (!this.isLeaf) return [];
    return Array.from({ length: this.count }, (_, i) => u32(this.buf, elem(this, i)));
  }

  /** Branch: child pgids. Leaf: empty. */
  get children(): readonly number[] {
    if (this.isLeaf) return [];
    return Array.from({ length: this.count }, (_, i) => childAt(this, i));
  }
}

export interface PageContext {
  path: string;
  /** Pages [0, pageCount) exist; branch children must point inside [2, pageCount). */
  pageCount: number;
  /** How to name this page in an error message (built only when there is an error). */
  where: () => string;
}

/** Little-endian u32 from plain byte reads: cheaper than readUInt32LE's checks, validated offsets only. */
function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000;
}

function elem(page: TreePage, i: number): number {
  return page.base + PAGE_HEADER_SIZE + i * ELEMENT_SIZE;
}

/**
 * Validates the page image `buf[base, base + length)`: the header flags, the element count, every
 * element's bounds, leaf element flags, bucket header sizes, branch child page ids and strict key order.
 * Returns the element count, negated for a branch page (what a TreePage needs besides the position).
 */
export function validateTreePage(buf: Buffer, base: number, length: number, ctx: PageContext): number {
  if (length < PAGE_HEADER_SIZE) {
    throw corrupt(ctx.path, `${ctx.where()} is ${length} bytes, shorter than a page header`);
  }
  const pageFlags = buf[base + 8]! | (buf[base + 9]! << 8);
  const count = buf[base + 10]! | (buf[base + 11]! << 8);
  if (pageFlags !== FLAG_BRANCH && pageFlags !== FLAG_LEAF) {
    throw corrupt(
      ctx.path,
      `${ctx.where()} has page flags 0x${pageFlags.toString(16)} where a branch or leaf page was expected`,
    );
  }
  const isLeaf = pageFlags === FLAG_LEAF;
  if (!isLeaf && count === 0) throw corrupt(ctx.path, `${ctx.where()} is a branch page with no elements`);
  if (PAGE_HEADER_SIZE + count * ELEMENT_SIZE > length) {
    throw corrupt(ctx.path, `${ctx.where()} claims ${count} elements, more than fit in ${length} bytes`);
  }
  const end = base + length;
  let prevPos = 0;
  let prevLen = 0;
  for (let i = 0; i < count; i++) {
    const e = base + PAGE_HEADER_SIZE + i * ELEMENT_SIZE;
    let keyPos: number;
    let keyLen: number;
    let valLen = 0;
    if (isLeaf) {
      const elemFlags = u32(buf, e);
      keyPos = e + u32(buf, e + 4);
      keyLen = u32(buf, e + 8);
      valLen = u32(buf, e + 12);
      if ((elemFlags & ~LEAF_FLAG_BUCKET) !== 0) {
        throw corrupt(ctx.path, `${ctx.where()} element ${i} has unknown flags 0x${elemFlags.toString(16)}`);
      }
      if ((elemFlags & LEAF_FLAG_BUCKET) !== 0 && valLen < BUCKET_HEADER_SIZE) {
        throw corrupt(
          ctx.path,
          `${ctx.where()} element ${i} is a bucket whose header is only ${valLen} bytes`,
        );
      }
    } else {
      keyPos = e + u32(buf, e);
      keyLen = u32(buf, e + 4);
      const high = u32(buf, e + 12);
      const child = u32(buf, e + 8) + high * 0x100000000;
      if (high >= 0x200000 || child < 2 || child >= ctx.pageCount) {
        const exact = buf.readBigUInt64LE(e + 8);
        throw corrupt(
          ctx.path,
          `${ctx.where()} element ${i} points to page ${exact}, outside the file's pages 2..${ctx.pageCount - 1}`,
        );
      }
    }
    // Sums of u32s stay far below 2^53: no overflow to worry about.
    if (keyPos + keyLen + valLen > end) {
      throw corrupt(ctx.path, `${ctx.where()} element ${i} extends past the end of the page`);
    }
    if (i > 0 && compareBytes(buf, prevPos, prevLen, buf, keyPos, keyLen) >= 0) {
      throw corrupt(ctx.path, `${ctx.where()} keys are not in ascending order at element ${i}`);
    }
    prevPos = keyPos;
    prevLen = keyLen;
  }
  validatedPrefix = 0;
  if (count >= 2) {
    // Keys are strictly ascending: every key starts with what the first and the last have in common.
    const e0 = base + PAGE_HEADER_SIZE;
    const eN = base + PAGE_HEADER_SIZE + (count - 1) * ELEMENT_SIZE;
    const p0 = isLeaf ? e0 + u32(buf, e0 + 4) : e0 + u32(buf, e0);
    const l0 = isLeaf ? u32(buf, e0 + 8) : u32(buf, e0 + 4);
    const pN = isLeaf ? eN + u32(buf, eN + 4) : eN + u32(buf, eN);
    const lN = isLeaf ? u32(buf, eN + 8) : u32(buf, eN + 4);
    const n = Math.min(l0, lN);
    let common = 0;
    while (common < n && buf[p0 + common] === buf[pN + common]) common++;
    validatedPrefix = common;
  }
  return isLeaf ? count : -count;
}

/** The common key prefix of the page validateTreePage last accepted (for TreePage.prefix). */
export let validatedPrefix = 0;

/** count and isLeaf from validateTreePage's result. */
export function shapeCount(shape: number): number {
  return shape < 0 ? -shape : shape;
}

/** Parses and validates a standalone tree page image (the whole page, overflow included). */
export function parseTreePage(buf: Buffer, id: number, ctx: PageContext): TreePage {
  const shape = validateTreePage(buf, 0, buf.length, ctx);
  // A branch page always has elements, so a zero count is a leaf's.
  const page = new TreePage(id, buf, 0, buf.length, shape >= 0, shapeCount(shape), undefined, 0, 0, -1);
  page.prefix = validatedPrefix;
  return page;
}

export function keyPos(page: TreePage, i: number): number {
  const e = elem(page, i);
  return e + u32(page.buf, page.isLeaf ? e + 4 : e);
}

export function keyLen(page: TreePage, i: number): number {
  const e = elem(page, i);
  return u32(page.buf, page.isLeaf ? e + 8 : e + 4);
}

/** Leaf only. */
export function valuePos(page: TreePage, i: number): number {
  const e = elem(page, i);
  return e + u32(page.buf, e + 4) + u32(page.buf, e + 8);
}

/** Leaf only. */
export function valueLen(page: TreePage, i: number): number {
  return u32(page.buf, elem(page, i) + 12);
}

/** Branch only: the child pgid (validated to lie inside the file at load). */
export function childAt(page: TreePage, i: number): number {
  const e = elem(page, i);
  return u32(page.buf, e + 8) + u32(page.buf, e + 12) * 0x100000000;
}

export function isBucketAt(page: TreePage, i: number): boolean {
  return page.isLeaf && (page.buf[elem(page, i)]! & LEAF_FLAG_BUCKET) !== 0;
}

/** A view of the key at i, valid only while the page is (see TreePage.gen). */
export function keyAt(page: TreePage, i: number): Buffer {
  const pos = keyPos(page, i);
  return page.buf.subarray(pos, pos + keyLen(page, i));
}

/** A view of the value at i, valid only while the page is. */
export function valueAt(page: TreePage, i: number): Buffer {
  const pos = valuePos(page, i);
  return page.buf.subarray(pos, pos + valueLen(page, i));
}

/** A copy of the key at i (not a view: the page belongs to the cache). */
export function copyKeyAt(page: TreePage, i: number): Buffer {
  return copyRange(page.buf, keyPos(page, i), keyLen(page, i));
}

/** A copy of the value at i. */
export function copyValueAt(page: TreePage, i: number): Buffer {
  return copyRange(page.buf, valuePos(page, i), valueLen(page, i));
}

function copyRange(buf: Buffer, pos: number, len: number): Buffer {
  const out = Buffer.allocUnsafe(len);
  buf.copy(out, 0, pos, pos + len);
  return out;
}

/**
 * Sign of a[aPos, aPos + aLen) − b[bPos, bPos + bLen) in bbolt's byte order (unsigned bytes, a prefix
 * first). A plain loop: keys are short, and Buffer.compare with offsets costs more in argument checks
 * than the comparison itself.
 */
export function compareBytes(
  a: Uint8Array,
  aPos: number,
  aLen: number,
  b: Uint8Array,
  bPos: number,
  bLen: number,
): number {
  const n = Math.min(aLen, bLen);
  for (let j = 0; j < n; j++) {
    const d = a[aPos + j]! - b[bPos + j]!;
    if (d !== 0) return d;
  }
  return aLen - bLen;
}

/** Sign of (key at i) − target[tPos, tPos + tLen). */
export function compareAt(
  page: TreePage,
  i: number,
  target: Uint8Array,
  tPos = 0,
  tLen = target.length - tPos,
): number {
  return compareBytes(page.buf, keyPos(page, i), keyLen(page, i), target, tPos, tLen);
}

/**
 * First element index whose key is >= target (count when none is). The bytes all keys share
 * (TreePage.prefix: "pkg-00", "CVE-20", …) are compared once, then only what follows them.
 */
export function lowerBound(
  page: TreePage,
  target: Uint8Array,
  tPos = 0,
  tLen = target.length - tPos,
): number {
  const skip = page.prefix;
  if (skip > 0) {
    const head = compareBytes(page.buf, keyPos(page, 0), skip, target, tPos, Math.min(skip, tLen));
    // Target below the shared prefix (or a prefix of it): below every key; above it: above every key.
    if (head > 0) return 0;
    if (head < 0) return page.count;
  }
  const buf = page.buf;
  let lo = 0;
  let hi = page.count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const d = compareBytes(
      buf,
      keyPos(page, mid) + skip,
      keyLen(page, mid) - skip,
      target,
      tPos + skip,
      tLen - skip,
    );
    if (d < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The branch element to follow for target: the last whose key is <= target, or the first. */
export function branchIndex(
  page: TreePage,
  target: Uint8Array,
  tPos = 0,
  tLen = target.length - tPos,
): number {
  const i = lowerBound(page, target, tPos, tLen);
  if (i < page.count && compareAt(page, i, target, tPos, tLen) === 0) return i;
  return i === 0 ? 0 : i - 1;
}
