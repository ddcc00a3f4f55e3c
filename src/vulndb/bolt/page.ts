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
 * strictly ascending. Validation happens once, when the page is read, so that lookups can trust
 * offsets and binary search cannot be misled by a damaged page.
 */
export interface TreePage {
  /** pgid, or 0 for the page image inside an inline bucket. */
  readonly id: number;
  readonly isLeaf: boolean;
  readonly count: number;
  readonly buf: Buffer;
  // Plain arrays rather than typed arrays: each typed array would be one more off-heap allocation per
  // cached page, and churning those fragments the process heap (RSS) far beyond the cache budget.
  /** Per element: key offset, key length, value offset, value length (leaf) — all relative to buf. */
  readonly offsets: readonly number[];
  /** Leaf: element flags. Branch: unused (empty). */
  readonly flags: readonly number[];
  /** Branch: child pgids. Leaf: unused (empty). */
  readonly children: readonly number[];
  /** Approximate memory held, for the page cache's byte budget. */
  readonly bytes: number;
}

export interface PageContext {
  path: string;
  /** Pages [0, pageCount) exist; branch children must point inside [2, pageCount). */
  pageCount: number;
  /** How to name this page in an error message (built only when there is an error). */
  where: () => string;
}

/** Parses and validates a tree page image (the whole page, overflow included). */
export function parseTreePage(buf: Buffer, id: number, ctx: PageContext): TreePage {
  if (buf.length < PAGE_HEADER_SIZE) {
    throw corrupt(ctx.path, `${ctx.where()} is ${buf.length} bytes, shorter than a page header`);
  }
  const pageFlags = buf.readUInt16LE(8);
  const count = buf.readUInt16LE(10);
  if (pageFlags !== FLAG_BRANCH && pageFlags !== FLAG_LEAF) {
    throw corrupt(
      ctx.path,
      `${ctx.where()} has page flags 0x${pageFlags.toString(16)} where a branch or leaf page was expected`,
    );
  }
  const isLeaf = pageFlags === FLAG_LEAF;
  if (!isLeaf && count === 0) throw corrupt(ctx.path, `${ctx.where()} is a branch page with no elements`);
  if (PAGE_HEADER_SIZE + count * ELEMENT_SIZE > buf.length) {
    throw corrupt(ctx.path, `${ctx.where()} claims ${count} elements, more than fit in ${buf.length} bytes`);
  }
  const offsets = new Array<number>(count * 4);
  const flags = isLeaf ? new Array<number>(count) : [];
  const children = isLeaf ? [] : new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const elem = PAGE_HEADER_SIZE + i * ELEMENT_SIZE;
    let keyPos: number;
    let keyLen: number;
    let valLen = 0;
    if (isLeaf) {
      const elemFlags = buf.readUInt32LE(elem);
      keyPos = elem + buf.readUInt32LE(elem + 4);
      keyLen = buf.readUInt32LE(elem + 8);
      valLen = buf.readUInt32LE(elem + 12);
      if ((elemFlags & ~LEAF_FLAG_BUCKET) !== 0) {
        throw corrupt(ctx.path, `${ctx.where()} element ${i} has unknown flags 0x${elemFlags.toString(16)}`);
      }
      if ((elemFlags & LEAF_FLAG_BUCKET) !== 0 && valLen < BUCKET_HEADER_SIZE) {
        throw corrupt(
          ctx.path,
          `${ctx.where()} element ${i} is a bucket whose header is only ${valLen} bytes`,
        );
      }
      flags[i] = elemFlags;
    } else {
      keyPos = elem + buf.readUInt32LE(elem);
      keyLen = buf.readUInt32LE(elem + 4);
      const child = buf.readBigUInt64LE(elem + 8);
      if (child < 2n || child >= BigInt(ctx.pageCount)) {
        throw corrupt(
          ctx.path,
          `${ctx.where()} element ${i} points to page ${child}, outside the file's pages 2..${ctx.pageCount - 1}`,
        );
      }
      children[i] = Number(child);
    }
    if (keyPos + keyLen + valLen > buf.length) {
      throw corrupt(ctx.path, `${ctx.where()} element ${i} extends past the end of the page`);
    }
    offsets[i * 4] = keyPos;
    offsets[i * 4 + 1] = keyLen;
    offsets[i * 4 + 2] = keyPos + keyLen;
    offsets[i * 4 + 3] = valLen;
    if (i > 0) {
      const prev = (i - 1) * 4;
      const order = buf.compare(
        buf,
        offsets[prev]!,
        offsets[prev]! + offsets[prev + 1]!,
        keyPos,
        keyPos + keyLen,
      );
      if (order <= 0)
        throw corrupt(ctx.path, `${ctx.where()} keys are not in ascending order at element ${i}`);
    }
  }
  return {
    id,
    isLeaf,
    count,
    buf,
    offsets,
    flags,
    children,
    bytes: buf.length + 8 * (offsets.length + flags.length + children.length) + 200,
  };
}

export function keyAt(page: TreePage, i: number): Buffer {
  const pos = page.offsets[i * 4]!;
  return page.buf.subarray(pos, pos + page.offsets[i * 4 + 1]!);
}

export function valueAt(page: TreePage, i: number): Buffer {
  const pos = page.offsets[i * 4 + 2]!;
  return page.buf.subarray(pos, pos + page.offsets[i * 4 + 3]!);
}

export function isBucketAt(page: TreePage, i: number): boolean {
  return ((page.flags[i] ?? 0) & LEAF_FLAG_BUCKET) !== 0;
}

/**
 * Sign of (key at i) − target, in bbolt's byte order. A plain loop: keys are short, and Buffer.compare
 * with offsets costs more in argument checks than the comparison itself.
 */
export function compareAt(page: TreePage, i: number, target: Uint8Array): number {
  const buf = page.buf;
  const pos = page.offsets[i * 4]!;
  const len = page.offsets[i * 4 + 1]!;
  const n = Math.min(len, target.length);
  for (let j = 0; j < n; j++) {
    const d = buf[pos + j]! - target[j]!;
    if (d !== 0) return d;
  }
  return len - target.length;
}

/** A copy of the key at i (not a view: the page belongs to the cache). */
export function copyKeyAt(page: TreePage, i: number): Buffer {
  return copyRange(page.buf, page.offsets[i * 4]!, page.offsets[i * 4 + 1]!);
}

/** A copy of the value at i. */
export function copyValueAt(page: TreePage, i: number): Buffer {
  return copyRange(page.buf, page.offsets[i * 4 + 2]!, page.offsets[i * 4 + 3]!);
}

function copyRange(buf: Buffer, pos: number, len: number): Buffer {
  const out = Buffer.allocUnsafe(len);
  buf.copy(out, 0, pos, pos + len);
  return out;
}

/** First element index whose key is >= target (count when none is). */
export function lowerBound(page: TreePage, target: Uint8Array): number {
  let lo = 0;
  let hi = page.count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareAt(page, mid, target) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The branch element to follow for target: the last whose key is <= target, or the first. */
export function branchIndex(page: TreePage, target: Uint8Array): number {
  const i = lowerBound(page, target);
  if (i < page.count && compareAt(page, i, target) === 0) return i;
  return i === 0 ? 0 : i - 1;
}
