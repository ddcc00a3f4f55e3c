// The bbolt on-disk format (data format version 2), as described in
// shared/reference/trivy-internals.md §3. Integers are little-endian: bbolt writes native order and every
// platform Trivy's DB is built on is little-endian.

export const MAGIC = 0xed0cdaed;
export const VERSION = 2;

export const PAGE_HEADER_SIZE = 16;
export const ELEMENT_SIZE = 16; // branch and leaf elements are both 16 bytes
export const BUCKET_HEADER_SIZE = 16; // root pgid u64 + sequence u64

export const FLAG_BRANCH = 0x01;
export const FLAG_LEAF = 0x02;
export const FLAG_META = 0x04;
export const FLAG_FREELIST = 0x10;

/** Leaf element flag: the value is a nested bucket. */
export const LEAF_FLAG_BUCKET = 0x01;

export const MAX_KEY_SIZE = 32768;
export const MAX_VALUE_SIZE = 2 ** 31 - 2;
export const MAX_ELEMENTS_PER_PAGE = 0xffff;

export const PGID_NO_FREELIST = 0xffffffffffffffffn;

// Meta fields, as offsets inside the meta page.
const META_MAGIC = 16;
const META_VERSION = 20;
const META_PAGE_SIZE = 24;
const META_FLAGS = 28;
const META_ROOT = 32;
const META_SEQUENCE = 40;
const META_FREELIST = 48;
const META_PGID = 56;
const META_TXID = 64;
const META_CHECKSUM = 72;
/** Bytes of page 0 or 1 that hold the page header and the meta. */
export const META_PAGE_BYTES = 80;

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;

/** FNV-1a, 64 bit: bbolt's meta checksum. */
export function fnv1a64(data: Uint8Array): bigint {
  let hash = FNV_OFFSET;
  for (const byte of data) {
    hash ^= BigInt(byte);
    hash = (hash * FNV_PRIME) & MASK64;
  }
  return hash;
}

export interface Meta {
  magic: number;
  version: number;
  pageSize: number;
  flags: number;
  root: bigint;
  sequence: bigint;
  freelist: bigint;
  /** High-water mark: pages [0, pgid) are in use. */
  pgid: bigint;
  txid: bigint;
  checksum: bigint;
  /** Whether the stored checksum matches the meta bytes. */
  checksumOk: boolean;
}

/** Decodes the meta of page 0 or 1 from the first META_PAGE_BYTES of the page. */
export function decodeMeta(page: Buffer): Meta {
  return {
    magic: page.readUInt32LE(META_MAGIC),
    version: page.readUInt32LE(META_VERSION),
    pageSize: page.readUInt32LE(META_PAGE_SIZE),
    flags: page.readUInt32LE(META_FLAGS),
    root: page.readBigUInt64LE(META_ROOT),
    sequence: page.readBigUInt64LE(META_SEQUENCE),
    freelist: page.readBigUInt64LE(META_FREELIST),
    pgid: page.readBigUInt64LE(META_PGID),
    txid: page.readBigUInt64LE(META_TXID),
    checksum: page.readBigUInt64LE(META_CHECKSUM),
    checksumOk: fnv1a64(page.subarray(META_MAGIC, META_CHECKSUM)) === page.readBigUInt64LE(META_CHECKSUM),
  };
}

export interface MetaFields {
  pageSize: number;
  root: number;
  freelist: bigint;
  pgid: number;
  txid: bigint;
}

/** Writes a complete meta page (header, meta and checksum) for page `id` (0 or 1) into `page`. */
export function encodeMetaPage(page: Buffer, id: 0 | 1, meta: MetaFields): void {
  page.fill(0, 0, META_PAGE_BYTES);
  page.writeBigUInt64LE(BigInt(id), 0);
  page.writeUInt16LE(FLAG_META, 8);
  page.writeUInt32LE(MAGIC, META_MAGIC);
  page.writeUInt32LE(VERSION, META_VERSION);
  page.writeUInt32LE(meta.pageSize, META_PAGE_SIZE);
  page.writeUInt32LE(0, META_FLAGS);
  page.writeBigUInt64LE(BigInt(meta.root), META_ROOT);
  page.writeBigUInt64LE(0n, META_SEQUENCE);
  page.writeBigUInt64LE(meta.freelist, META_FREELIST);
  page.writeBigUInt64LE(BigInt(meta.pgid), META_PGID);
  page.writeBigUInt64LE(meta.txid, META_TXID);
  page.writeBigUInt64LE(fnv1a64(page.subarray(META_MAGIC, META_CHECKSUM)), META_CHECKSUM);
}

/** Compares keys the way bbolt orders them: unsigned bytes, a prefix sorts first. */
export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}
