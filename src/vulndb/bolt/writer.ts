import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { BoltError, badInput, ioError } from './errors.js';
import {
  BUCKET_HEADER_SIZE,
  ELEMENT_SIZE,
  encodeMetaPage,
  FLAG_BRANCH,
  FLAG_FREELIST,
  FLAG_LEAF,
  LEAF_FLAG_BUCKET,
  MAX_ELEMENTS_PER_PAGE,
  MAX_KEY_SIZE,
  MAX_VALUE_SIZE,
  PAGE_HEADER_SIZE,
} from './format.js';

/** One entry handed to the writer: a value, or a nested bucket. */
export type BoltWriteEntry =
  | { key: Uint8Array; value: Uint8Array; bucket?: undefined }
  | { key: Uint8Array; bucket: BoltBucketSource; value?: undefined };

/**
 * A bucket to write. `entries()` must yield keys in strictly ascending byte order; it is consumed once
 * and may be a generator, so a large database can be written without holding it in memory. Yielded
 * arrays must not be modified afterwards.
 */
export interface BoltBucketSource {
  entries(): Iterable<BoltWriteEntry> | AsyncIterable<BoltWriteEntry>;
  sequence?: bigint;
}

export interface BoltWriteOptions {
  /** Page size recorded in the meta pages (default 4096, bbolt's usual). */
  pageSize?: number;
  /** Store small leaf-only buckets inline in their parent, as bbolt does (default true). */
  inline?: boolean;
  /** Transaction id of the newer meta page (default 1; the other meta page gets txid − 1). */
  txid?: bigint;
}

export interface BoltWriteSummary {
  pageSize: number;
  pageCount: number;
  fileSize: number;
  buckets: number;
  values: number;
}

const FIRST_DATA_PAGE = 3; // 0 and 1 are the meta pages, 2 the (empty) freelist
const FLUSH_BYTES = 8 * 1024 * 1024;

interface LeafElement {
  key: Uint8Array;
  value: Uint8Array;
  flags: number;
}

interface BranchElement {
  key: Buffer;
  pgid: number;
}

/**
 * Writes a complete bbolt file (both meta pages, an empty freelist, the B+trees) from a tree of buckets.
 * Pages are packed full and written sequentially; the file is built under a temporary name in the same
 * directory and renamed into place, so `path` never holds a half-written database.
 */
export async function writeBolt(
  path: string,
  root: BoltBucketSource,
  options: BoltWriteOptions = {},
): Promise<BoltWriteSummary> {
  const pageSize = options.pageSize ?? 4096;
  if (
    !Number.isInteger(pageSize) ||
    pageSize < 512 ||
    pageSize > 65536 ||
    (pageSize & (pageSize - 1)) !== 0
  ) {
    throw badInput(path, `page size ${pageSize} must be a power of two between 512 and 65536`);
  }
  const txid = options.txid ?? 1n;
  if (txid < 1n) throw badInput(path, 'txid must be at least 1');
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  let fh: FileHandle;
  try {
    fh = await open(tmp, 'wx', 0o644);
  } catch (error) {
    throw ioError(tmp, 'create', error);
  }
  try {
    const writer = new TreeWriter(path, fh, pageSize, options.inline ?? true);
    const rootPgid = await writer.writeRoot(root);
    await writer.finish(rootPgid, txid);
    await fh.sync();
    await fh.close();
    await rename(tmp, path);
    return writer.summary();
  } catch (error) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    if (error instanceof BoltError) throw error;
    throw ioError(path, 'write', error);
  }
}

class TreeWriter {
  private nextPgid = FIRST_DATA_PAGE;
  /** Pages are encoded straight into this buffer and written out when it is full. */
  private readonly chunk = Buffer.allocUnsafe(FLUSH_BYTES);
  private chunkUsed = 0;
  private chunkStart = FIRST_DATA_PAGE;
  private buckets = 0;
  private values = 0;

  constructor(
    private readonly path: string,
    private readonly fh: FileHandle,
    private readonly pageSize: number,
    private readonly inline: boolean,
  ) {}

  summary(): BoltWriteSummary {
    return {
      pageSize: this.pageSize,
      pageCount: this.nextPgid,
      fileSize: this.nextPgid * this.pageSize,
      buckets: this.buckets,
      values: this.values,
    };
  }

  async writeRoot(root: BoltBucketSource): Promise<number> {
    const result = await this.writeBucket(root, [], true);
    return result.root;
  }

  /** Writes meta pages 0 and 1 and the freelist page 2 once every tree page is out. */
  async finish(rootPgid: number, txid: bigint): Promise<void> {
    await this.flush();
    const head = Buffer.alloc(FIRST_DATA_PAGE * this.pageSize);
    const meta = { pageSize: this.pageSize, root: rootPgid, freelist: 2n, pgid: this.nextPgid };
    encodeMetaPage(head.subarray(0, this.pageSize), 0, { ...meta, txid: txid - 1n });
    encodeMetaPage(head.subarray(this.pageSize, 2 * this.pageSize), 1, { ...meta, txid });
    const freelist = head.subarray(2 * this.pageSize);
    freelist.writeBigUInt64LE(2n, 0);
    freelist.writeUInt16LE(FLAG_FREELIST, 8);
    await this.fh.write(head, 0, head.length, 0);
  }

  /**
   * Allocates the next pgid(s) for a page of `size` bytes (overflow pages included), lets `fill` encode
   * it in place (header flags, count and elements; id and overflow are set here) and returns the pgid.
   */
  private async writePage(size: number, fill: (image: Buffer) => void): Promise<number> {
    const pages = Math.max(1, Math.ceil(size / this.pageSize));
    const bytes = pages * this.pageSize;
    let image: Buffer;
    if (bytes > FLUSH_BYTES) {
      await this.flush();
      image = Buffer.alloc(bytes); // a value larger than the chunk: written on its own
    } else {
      if (this.chunkUsed + bytes > FLUSH_BYTES) await this.flush();
      image = this.chunk.subarray(this.chunkUsed, this.chunkUsed + bytes);
      image.fill(0);
      this.chunkUsed += bytes;
    }
    const pgid = this.nextPgid;
    image.writeBigUInt64LE(BigInt(pgid), 0);
    image.writeUInt32LE(pages - 1, 12); // overflow
    fill(image);
    this.nextPgid += pages;
    if (bytes > FLUSH_BYTES) {
      await this.writeAt(image, pgid);
      this.chunkStart = this.nextPgid;
    }
    return pgid;
  }

  private async flush(): Promise<void> {
    if (this.chunkUsed > 0) await this.writeAt(this.chunk.subarray(0, this.chunkUsed), this.chunkStart);
    this.chunkStart = this.nextPgid;
    this.chunkUsed = 0;
  }

  private async writeAt(data: Buffer, pgid: number): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.fh.write(
        data,
        done,
        data.length - done,
        pgid * this.pageSize + done,
      );
      done += bytesWritten;
    }
  }

  /**
   * Writes one bucket's tree, children first (their pages are allocated before the parent's leaf is
   * flushed, which is fine: page ids only have to be unique). Returns the root pgid, or 0 and the page
   * image for an inline bucket.
   */
  private async writeBucket(
    source: BoltBucketSource,
    names: readonly Uint8Array[],
    isRoot: boolean,
  ): Promise<{ root: number; image?: Buffer }> {
    const where = names.length === 0 ? 'the root bucket' : `bucket ${names.map(showKey).join(' / ')}`;
    let leaf: LeafElement[] = [];
    let leafSize = PAGE_HEADER_SIZE;
    let leafHasBucket = false;
    const leaves: BranchElement[] = [];
    let previous: Uint8Array | undefined;

    for await (const entry of source.entries()) {
      const { key } = entry;
      if (key.length === 0 || key.length > MAX_KEY_SIZE) {
        throw badInput(this.path, `${where}: key length ${key.length} is outside 1..${MAX_KEY_SIZE}`);
      }
      if (previous !== undefined && Buffer.compare(previous, key) >= 0) {
        throw badInput(this.path, `${where}: key ${showKey(key)} is not greater than the key before it`);
      }
      previous = key;
      let element: LeafElement;
      if (entry.bucket !== undefined) {
        const child = await this.writeBucket(entry.bucket, [...names, key], false);
        const header = Buffer.alloc(BUCKET_HEADER_SIZE + (child.image?.length ?? 0));
        header.writeBigUInt64LE(BigInt(child.root), 0);
        header.writeBigUInt64LE(entry.bucket.sequence ?? 0n, 8);
        child.image?.copy(header, BUCKET_HEADER_SIZE);
        element = { key, value: header, flags: LEAF_FLAG_BUCKET };
        this.buckets++;
      } else {
        if (isRoot)
          throw badInput(this.path, `the root bucket can only hold buckets, not key ${showKey(key)}`);
        if (entry.value.length > MAX_VALUE_SIZE) {
          throw badInput(this.path, `${where}: value of key ${showKey(key)} is larger than bbolt allows`);
        }
        element = { key, value: entry.value, flags: 0 };
        this.values++;
      }
      const size = ELEMENT_SIZE + key.length + element.value.length;
      if (leaf.length > 0 && (leafSize + size > this.pageSize || leaf.length === MAX_ELEMENTS_PER_PAGE)) {
        leaves.push({
          key: ownCopy(leaf[0]!.key),
          pgid: await this.writeLeaf(leaf, leafSize),
        });
        leaf = [];
        leafSize = PAGE_HEADER_SIZE;
        leafHasBucket = false;
      }
      leaf.push(element);
      leafSize += size;
      leafHasBucket ||= element.flags !== 0;
    }

    if (leaves.length === 0) {
      // bbolt keeps a bucket inline when it is one leaf without sub-buckets and at most a quarter page.
      if (!isRoot && this.inline && !leafHasBucket && leafSize <= this.pageSize / 4) {
        const image = Buffer.alloc(leafSize);
        this.fillLeaf(image, leaf);
        return { root: 0, image };
      }
      return { root: await this.writeLeaf(leaf, leafSize) };
    }
    if (leaf.length > 0) {
      leaves.push({
        key: ownCopy(leaf[0]!.key),
        pgid: await this.writeLeaf(leaf, leafSize),
      });
    }
    return { root: await this.writeBranches(leaves) };
  }

  private async writeBranches(children: BranchElement[]): Promise<number> {
    let level = children;
    while (level.length > 1) {
      const parents: BranchElement[] = [];
      let page: BranchElement[] = [];
      let size = PAGE_HEADER_SIZE;
      for (const child of level) {
        const elementSize = ELEMENT_SIZE + child.key.length;
        if (
          page.length > 0 &&
          (size + elementSize > this.pageSize || page.length === MAX_ELEMENTS_PER_PAGE)
        ) {
          parents.push({ key: page[0]!.key, pgid: await this.writeBranch(page, size) });
          page = [];
          size = PAGE_HEADER_SIZE;
        }
        page.push(child);
        size += elementSize;
      }
      parents.push({ key: page[0]!.key, pgid: await this.writeBranch(page, size) });
      level = parents;
    }
    return level[0]!.pgid;
  }

  private writeLeaf(elements: LeafElement[], size: number): Promise<number> {
    return this.writePage(size, (image) => this.fillLeaf(image, elements));
  }

  /** Header (minus id and overflow), elements, then each key followed by its value. */
  private fillLeaf(image: Buffer, elements: LeafElement[]): void {
    image.writeUInt16LE(FLAG_LEAF, 8);
    image.writeUInt16LE(elements.length, 10);
    let data = PAGE_HEADER_SIZE + elements.length * ELEMENT_SIZE;
    elements.forEach((element, i) => {
      const at = PAGE_HEADER_SIZE + i * ELEMENT_SIZE;
      image.writeUInt32LE(element.flags, at);
      image.writeUInt32LE(data - at, at + 4); // positions are relative to the element
      image.writeUInt32LE(element.key.length, at + 8);
      image.writeUInt32LE(element.value.length, at + 12);
      image.set(element.key, data);
      image.set(element.value, data + element.key.length);
      data += element.key.length + element.value.length;
    });
  }

  private writeBranch(elements: BranchElement[], size: number): Promise<number> {
    return this.writePage(size, (image) => this.fillBranch(image, elements));
  }

  private fillBranch(image: Buffer, elements: BranchElement[]): void {
    image.writeUInt16LE(FLAG_BRANCH, 8);
    image.writeUInt16LE(elements.length, 10);
    let data = PAGE_HEADER_SIZE + elements.length * ELEMENT_SIZE;
    elements.forEach((element, i) => {
      const at = PAGE_HEADER_SIZE + i * ELEMENT_SIZE;
      image.writeUInt32LE(data - at, at);
      image.writeUInt32LE(element.key.length, at + 4);
      image.writeBigUInt64LE(BigInt(element.pgid), at + 8);
      image.set(element.key, data);
      data += element.key.length;
    });
  }
}

/**
 * An unpooled copy of a branch key: these live until their bucket is finished, and a pooled copy would
 * keep a whole shared 8 KiB slab (full of already written values) alive with it.
 */
function ownCopy(key: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafeSlow(key.length);
  copy.set(key);
  return copy;
}

function showKey(key: Uint8Array): string {
  const buf = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  const text = buf.toString('latin1');
  return /^[\x20-\x7e]*$/.test(text) ? JSON.stringify(text) : `0x${buf.toString('hex')}`;
}
