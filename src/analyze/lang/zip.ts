/**
 * A reader for zip archives held in memory (APPNOTE.TXT): the end-of-central-directory record (zip64 when its
 * fields overflow), the central directory, and stored or deflated entries read through their local headers.
 * Every offset is checked and inflation is bounded by the caller's byte budget, so hostile archives (bombs,
 * overlapping or out-of-range entries) end in an error instead of exhausting memory.
 */
import { inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

export class ZipError extends Error {
  constructor(message: string) {
    super(`zip: ${message}`);
    this.name = 'ZipError';
  }
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX_ENTRIES = 200_000;

function findEocd(data: Buffer): number {
  const lowest = Math.max(0, data.length - 22 - 0xffff);
  for (let at = data.length - 22; at >= lowest; at--) {
    if (data.readUInt32LE(at) === EOCD) return at;
  }
  throw new ZipError('no end-of-central-directory record');
}

function u64(data: Buffer, at: number): number {
  const value = data.readBigUInt64LE(at);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError('a zip64 field is too large');
  return Number(value);
}

export function readZipEntries(data: Buffer): ZipEntry[] {
  if (data.length < 22) throw new ZipError('file is too short');
  const eocd = findEocd(data);
  let count = data.readUInt16LE(eocd + 10);
  let cdSize = data.readUInt32LE(eocd + 12);
  let cdOffset = data.readUInt32LE(eocd + 16);
  if ((count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) && eocd >= 20) {
    const locator = eocd - 20;
    if (data.readUInt32LE(locator) === ZIP64_LOCATOR) {
      const record = u64(data, locator + 8);
      if (record + 56 > data.length || data.readUInt32LE(record) !== ZIP64_EOCD) {
        throw new ZipError('bad zip64 end-of-central-directory record');
      }
      count = u64(data, record + 32);
      cdSize = u64(data, record + 40);
      cdOffset = u64(data, record + 48);
    }
  }
  if (count > MAX_ENTRIES) throw new ZipError(`${count} entries is over the limit`);
  if (cdOffset + cdSize > data.length) throw new ZipError('central directory is outside the file');
  const entries: ZipEntry[] = [];
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > data.length || data.readUInt32LE(at) !== CENTRAL)
      throw new ZipError(`bad central entry ${i}`);
    const method = data.readUInt16LE(at + 10);
    let compressedSize = data.readUInt32LE(at + 20);
    let uncompressedSize = data.readUInt32LE(at + 24);
    const nameLength = data.readUInt16LE(at + 28);
    const extraLength = data.readUInt16LE(at + 30);
    const commentLength = data.readUInt16LE(at + 32);
    let localHeaderOffset = data.readUInt32LE(at + 42);
    const end = at + 46 + nameLength + extraLength + commentLength;
    if (end > data.length) throw new ZipError(`central entry ${i} runs past the directory`);
    const name = data.toString('utf8', at + 46, at + 46 + nameLength);
    // Zip64 extended information: only the fields whose 32-bit value overflowed are present, in this order.
    let extra = at + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const id = data.readUInt16LE(extra);
      const size = data.readUInt16LE(extra + 2);
      if (id === 0x0001) {
        let field = extra + 4;
        const take = () => {
          if (field + 8 > extra + 4 + size) throw new ZipError(`short zip64 field in ${name}`);
          const value = u64(data, field);
          field += 8;
          return value;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take();
      }
      extra += 4 + size;
    }
    entries.push({ name, method, compressedSize, uncompressedSize, localHeaderOffset });
    at = end;
  }
  return entries;
}

/** The entry's bytes, inflating at most `maxBytes`. */
export function readZipEntry(data: Buffer, entry: ZipEntry, maxBytes: number): Buffer {
  const at = entry.localHeaderOffset;
  if (at + 30 > data.length || data.readUInt32LE(at) !== LOCAL)
    throw new ZipError(`bad local header for ${entry.name}`);
  const start = at + 30 + data.readUInt16LE(at + 26) + data.readUInt16LE(at + 28);
  const end = start + entry.compressedSize;
  if (end > data.length) throw new ZipError(`${entry.name} runs past the end of the archive`);
  if (entry.uncompressedSize > maxBytes) throw new ZipError(`${entry.name} is larger than ${maxBytes} bytes`);
  const raw = data.subarray(start, end);
  if (entry.method === 0) return raw;
  if (entry.method !== 8)
    throw new ZipError(`${entry.name} uses unsupported compression method ${entry.method}`);
  try {
    return inflateRawSync(raw, { maxOutputLength: Math.max(1, maxBytes) });
  } catch (error) {
    throw new ZipError(`cannot inflate ${entry.name}: ${(error as Error).message}`);
  }
}
