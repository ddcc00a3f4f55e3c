/**
 * Berkeley DB hash databases as rpm < 4.16 wrote `Packages` (Berkeley DB's db_page.h): page 0 is the hash
 * metadata page (magic 0x061561 at offset 12, page size at 20, last page number at 32, page type 8 at 25; a
 * big-endian file has the magic byte-swapped); hash pages (type 13, or 2 before DB 4.6) hold an index of
 * 16-bit item offsets after their 26-byte header, keys and values alternating. Header blobs are too large to
 * sit on the hash page, so their value item is an off-page reference (type 3: page number at +4, length at +8)
 * to a chain of overflow pages (type 7) linked by the next-page field, each holding data after its header; the
 * last holds as many bytes as its free-area offset says.
 *
 * Like go-rpmdb (and so Trivy), only off-page values are returned. Chains are followed at most once per page,
 * so a looping chain in a damaged file ends instead of spinning.
 */
const HASH_MAGIC = 0x061561;
const META_PAGE_TYPE = 8;
const HASH_PAGE_TYPE = 13;
const HASH_UNSORTED_PAGE_TYPE = 2;
const OVERFLOW_PAGE_TYPE = 7;
const OFF_PAGE_ITEM = 3;
const PAGE_HEADER = 26;
const VALID_PAGE_SIZES = new Set([512, 1024, 2048, 4096, 8192, 16384, 32768, 65536]);

export class BdbError extends Error {
  constructor(message: string) {
    super(`rpm bdb: ${message}`);
    this.name = 'BdbError';
  }
}

interface Reader {
  u16(at: number): number;
  u32(at: number): number;
}

function reader(content: Buffer, bigEndian: boolean): Reader {
  return bigEndian
    ? { u16: (at) => content.readUInt16BE(at), u32: (at) => content.readUInt32BE(at) }
    : { u16: (at) => content.readUInt16LE(at), u32: (at) => content.readUInt32LE(at) };
}

export function isBdbHashDatabase(content: Buffer): boolean {
  return (
    content.length >= 512 &&
    (content.readUInt32LE(12) === HASH_MAGIC || content.readUInt32BE(12) === HASH_MAGIC)
  );
}

export function readBdbHeaderBlobs(content: Buffer): Buffer[] {
  if (!isBdbHashDatabase(content)) throw new BdbError('not a Berkeley DB hash file');
  const r = reader(content, content.readUInt32LE(12) !== HASH_MAGIC);
  const pageSize = r.u32(20);
  if (!VALID_PAGE_SIZES.has(pageSize)) throw new BdbError(`unexpected page size ${pageSize}`);
  if (content[24] !== 0) throw new BdbError('encrypted databases are not supported');
  if (content[25] !== META_PAGE_TYPE) throw new BdbError(`page 0 has type ${content[25]}, not hash metadata`);
  const lastPage = r.u32(32);
  const pageCount = Math.floor(content.length / pageSize);
  if (lastPage >= pageCount) throw new BdbError(`last page ${lastPage} is past the end of the file`);

  const blobs: Buffer[] = [];
  for (let page = 0; page <= lastPage; page++) {
    const base = page * pageSize;
    const type = content[base + 25];
    if (type !== HASH_PAGE_TYPE && type !== HASH_UNSORTED_PAGE_TYPE) continue;
    const entries = r.u16(base + 20);
    if (entries % 2 !== 0) throw new BdbError(`hash page ${page} has an odd item count`);
    if (PAGE_HEADER + entries * 2 > pageSize) throw new BdbError(`hash page ${page} index overruns the page`);
    for (let i = 1; i < entries; i += 2) {
      const itemOffset = r.u16(base + PAGE_HEADER + i * 2);
      if (itemOffset + 12 > pageSize) throw new BdbError(`hash page ${page} item ${i} is outside the page`);
      const item = base + itemOffset;
      if (content[item] !== OFF_PAGE_ITEM) continue;
      blobs.push(readOverflowChain(content, r, pageSize, pageCount, r.u32(item + 4), r.u32(item + 8)));
    }
  }
  return blobs;
}

function readOverflowChain(
  content: Buffer,
  r: Reader,
  pageSize: number,
  pageCount: number,
  first: number,
  length: number,
): Buffer {
  const parts: Buffer[] = [];
  const visited = new Set<number>();
  let total = 0;
  for (let page = first; page !== 0; ) {
    if (page >= pageCount) throw new BdbError(`overflow page ${page} is past the end of the file`);
    if (visited.has(page)) throw new BdbError(`overflow chain loops at page ${page}`);
    visited.add(page);
    const base = page * pageSize;
    if (content[base + 25] !== OVERFLOW_PAGE_TYPE) throw new BdbError(`page ${page} is not an overflow page`);
    const next = r.u32(base + 16);
    const used = next === 0 ? r.u16(base + 22) : pageSize - PAGE_HEADER;
    if (PAGE_HEADER + used > pageSize)
      throw new BdbError(`overflow page ${page} claims more bytes than it has`);
    parts.push(content.subarray(base + PAGE_HEADER, base + PAGE_HEADER + used));
    total += used;
    if (total > length + pageSize) throw new BdbError('overflow chain is longer than its item says');
    page = next;
  }
  return Buffer.concat(parts);
}
