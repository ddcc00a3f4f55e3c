/**
 * RPM header blobs as rpm stores them in its databases (rpm's lib/header.c; go-rpmdb's entry.go reads the
 * same): `il` and `dl` (big-endian int32), `il` index entries of 16 bytes {tag, type, offset, count}, then `dl`
 * bytes of data. The first entry is normally a region tag (HEADERIMMUTABLE 63) whose trailer says how many
 * entries the immutable region holds; entries after it ("dribbles", added at install time) replace region
 * entries with the same tag. Every offset and length is checked against the blob before it is read.
 */
export const RPM_TYPE = {
  null: 0,
  char: 1,
  int8: 2,
  int16: 3,
  int32: 4,
  int64: 5,
  string: 6,
  bin: 7,
  stringArray: 8,
  i18nString: 9,
} as const;

export const RPM_TAG = {
  headerImage: 61,
  headerSignatures: 62,
  headerImmutable: 63,
  headerI18nTable: 100,
  sigMd5: 261,
  name: 1000,
  version: 1001,
  release: 1002,
  epoch: 1003,
  size: 1009,
  vendor: 1011,
  license: 1014,
  arch: 1022,
  sourceRpm: 1044,
  provideName: 1047,
  requireName: 1049,
  dirIndexes: 1116,
  baseNames: 1117,
  dirNames: 1118,
  modularityLabel: 5096,
} as const;

const MAX_HEADER_BYTES = 256 * 1024 * 1024;
const MAX_INDEX_ENTRIES = 0xffff;
const ENTRY_SIZE = 16;

export interface HeaderEntry {
  tag: number;
  type: number;
  count: number;
  /** The entry's bytes (for strings, including their NUL terminators). */
  data: Buffer;
}

export class RpmHeaderError extends Error {
  constructor(message: string) {
    super(`rpm header: ${message}`);
    this.name = 'RpmHeaderError';
  }
}

const FIXED_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1 };

function entryLength(data: Buffer, start: number, end: number, type: number, count: number): number {
  const fixed = FIXED_SIZE[type];
  if (fixed !== undefined) return fixed * count;
  if (type === RPM_TYPE.string || type === RPM_TYPE.stringArray || type === RPM_TYPE.i18nString) {
    const strings = type === RPM_TYPE.string ? 1 : count;
    let at = start;
    for (let i = 0; i < strings; i++) {
      const nul = data.indexOf(0, at);
      if (nul < 0 || nul >= end) return -1;
      at = nul + 1;
    }
    return at - start;
  }
  return -1;
}

/** The header's entries by tag, dribbles replacing region entries. */
export function parseHeaderBlob(blob: Buffer): Map<number, HeaderEntry> {
  if (blob.length < 8) throw new RpmHeaderError(`blob of ${blob.length} bytes is too short`);
  const il = blob.readInt32BE(0);
  const dl = blob.readInt32BE(4);
  if (il < 1 || il > MAX_INDEX_ENTRIES) throw new RpmHeaderError(`index count ${il} is out of range`);
  const dataStart = 8 + il * ENTRY_SIZE;
  const dataEnd = dataStart + dl;
  if (dl < 0 || dataEnd > MAX_HEADER_BYTES || dataEnd > blob.length) {
    throw new RpmHeaderError(`data length ${dl} does not fit the ${blob.length}-byte blob`);
  }
  const entries = new Map<number, HeaderEntry>();
  for (let i = 0; i < il; i++) {
    const at = 8 + i * ENTRY_SIZE;
    const tag = blob.readInt32BE(at);
    const type = blob.readUInt32BE(at + 4);
    const offset = blob.readInt32BE(at + 8);
    const count = blob.readUInt32BE(at + 12);
    if (tag === RPM_TAG.headerImage || tag === RPM_TAG.headerSignatures || tag === RPM_TAG.headerImmutable) {
      continue;
    }
    if (tag < RPM_TAG.headerI18nTable) throw new RpmHeaderError(`tag ${tag} is below the header tag range`);
    if (type < RPM_TYPE.char || type > RPM_TYPE.i18nString)
      throw new RpmHeaderError(`tag ${tag} has type ${type}`);
    if (offset < 0 || offset >= dl || count > dl)
      throw new RpmHeaderError(`tag ${tag} points outside the data`);
    const start = dataStart + offset;
    const length = entryLength(blob, start, dataEnd, type, count);
    if (length <= 0 || start + length > dataEnd) throw new RpmHeaderError(`tag ${tag} overruns the data`);
    entries.set(tag, { tag, type, count, data: blob.subarray(start, start + length) });
  }
  return entries;
}

function expectType(entry: HeaderEntry, ...types: number[]): void {
  if (!types.includes(entry.type))
    throw new RpmHeaderError(`tag ${entry.tag} has unexpected type ${entry.type}`);
}

export function headerString(entries: Map<number, HeaderEntry>, tag: number): string {
  const entry = entries.get(tag);
  if (!entry) return '';
  expectType(entry, RPM_TYPE.string, RPM_TYPE.i18nString);
  const nul = entry.data.indexOf(0);
  return entry.data.subarray(0, nul < 0 ? entry.data.length : nul).toString('utf8');
}

export function headerStrings(entries: Map<number, HeaderEntry>, tag: number): string[] {
  const entry = entries.get(tag);
  if (!entry) return [];
  expectType(entry, RPM_TYPE.stringArray);
  const text = entry.data.toString('utf8').replace(/\0+$/, '');
  return text.split('\0');
}

export function headerInt32s(entries: Map<number, HeaderEntry>, tag: number): number[] | undefined {
  const entry = entries.get(tag);
  if (!entry) return undefined;
  expectType(entry, RPM_TYPE.int32);
  const values: number[] = [];
  for (let i = 0; i + 4 <= entry.data.length; i += 4) values.push(entry.data.readInt32BE(i));
  return values;
}

export function headerBinary(entries: Map<number, HeaderEntry>, tag: number): Buffer | undefined {
  return entries.get(tag)?.data;
}
