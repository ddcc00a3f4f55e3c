// A tar reader for what the image code unpacks itself: docker-save archives, OCI layouts packed as tar, and
// the trivy-db tarball. POSIX ustar, GNU (long names, base-256 sizes) and pax (path, linkpath, size) headers.
// Two ways in: readTar() streams entries from any byte source (gzip'd or not), and indexTarFile() walks the
// headers of an uncompressed file with positional reads, so a 2 GB `docker save` is indexed without reading
// its layers.
import { open } from 'node:fs/promises';
import { posix } from 'node:path';

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

export interface TarHeader {
  /** As stored, pax/GNU long names applied. */
  name: string;
  type: TarEntryType;
  size: number;
  mode: number;
  linkname: string;
}

export class TarError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TarError';
  }
}

const BLOCK = 512;

type RawHeader = TarHeader & { typeflag: string };

/** Parses one 512-byte header block; undefined for an all-zero block (end of archive). */
export function parseTarHeader(block: Buffer, at: number): RawHeader | undefined {
  if (block.length !== BLOCK) throw new TarError(`truncated tar header at byte ${at}`);
  if (block.every((b) => b === 0)) return undefined;
  const stored = parseOctal(block.subarray(148, 156));
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : (block[i] as number);
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  if (stored !== unsigned && stored !== signed) {
    throw new TarError(`bad tar header checksum at byte ${at}: the archive is corrupt or not a tar file`);
  }
  const typeflag = String.fromCharCode(block[156] ?? 0);
  const magic = block.subarray(257, 263).toString('latin1');
  let name = cString(block.subarray(0, 100));
  // The prefix field exists in POSIX ustar only; GNU tar keeps times there.
  if (magic === 'ustar\0') {
    const prefix = cString(block.subarray(345, 500));
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  return {
    name,
    typeflag,
    type: entryType(typeflag),
    size: parseSize(block.subarray(124, 136), at),
    mode: parseOctal(block.subarray(100, 108)),
    linkname: cString(block.subarray(157, 257)),
  };
}

function entryType(flag: string): TarEntryType {
  switch (flag) {
    case '0':
    case '\0':
    case '7':
      return 'file';
    case '1':
      return 'hardlink';
    case '2':
      return 'symlink';
    case '5':
      return 'directory';
    default:
      return 'other';
  }
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end === -1 ? bytes.length : end).toString('utf8');
}

function parseOctal(bytes: Buffer): number {
  const text = cString(bytes).trim();
  return text === '' ? 0 : Number.parseInt(text, 8);
}

function parseSize(bytes: Buffer, at: number): number {
  if (((bytes[0] ?? 0) & 0x80) !== 0) {
    // GNU base-256: big-endian, the top bit of the first byte is the marker.
    let value = (bytes[0] ?? 0) & 0x7f;
    for (let i = 1; i < bytes.length; i++) value = value * 256 + (bytes[i] ?? 0);
    if (!Number.isSafeInteger(value)) throw new TarError(`tar entry size at byte ${at} is too large`);
    return value;
  }
  const text = cString(bytes).trim();
  if (text !== '' && !/^[0-7]+$/.test(text))
    throw new TarError(`bad tar entry size at byte ${at}: the archive is corrupt`);
  return text === '' ? 0 : Number.parseInt(text, 8);
}

/** pax extended header records: "<length> <key>=<value>\n". */
export function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    if (space === -1) break;
    const length = Number.parseInt(data.subarray(i, space).toString('latin1'), 10);
    if (!Number.isSafeInteger(length) || length <= 0 || i + length > data.length) break;
    const record = data.subarray(space + 1, i + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    i += length;
  }
  return out;
}

/** Metadata entries (pax, GNU long names) larger than this are not metadata. */
const MAX_META_BYTES = 1024 * 1024;

/** Folds pax/GNU metadata entries into the header that follows them. */
class HeaderAssembler {
  private pax: Record<string, string> = {};
  private longName: string | undefined;
  private longLink: string | undefined;

  /** Returns true when the header is metadata whose data (size bytes) must be passed to absorb(). */
  isMeta(header: RawHeader): boolean {
    return (
      header.typeflag === 'x' || header.typeflag === 'L' || header.typeflag === 'K' || header.typeflag === 'g'
    );
  }

  absorb(header: RawHeader, data: Buffer): void {
    if (header.typeflag === 'x') this.pax = { ...this.pax, ...parsePax(data) };
    else if (header.typeflag === 'L') this.longName = cString(data);
    else if (header.typeflag === 'K') this.longLink = cString(data);
  }

  finish(header: RawHeader): TarHeader {
    const name = this.pax.path ?? this.longName ?? header.name;
    const linkname = this.pax.linkpath ?? this.longLink ?? header.linkname;
    let size = header.size;
    if (this.pax.size !== undefined) {
      size = Number(this.pax.size);
      if (!Number.isSafeInteger(size) || size < 0)
        throw new TarError(`bad pax size ${this.pax.size} for ${name}`);
    }
    this.pax = {};
    this.longName = undefined;
    this.longLink = undefined;
    return { name, type: header.type, size, mode: header.mode, linkname };
  }
}

function padded(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

/** Pulls exact byte counts out of a chunked async source. */
class ChunkReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private done = false;
  /** Bytes handed out or skipped so far. */
  position = 0;
  private readonly iterator: AsyncIterator<Buffer | Uint8Array | string>;

  constructor(source: AsyncIterable<Buffer | Uint8Array | string>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  private async pull(): Promise<boolean> {
    if (this.done) return false;
    const next = await this.iterator.next();
    if (next.done) {
      this.done = true;
      return false;
    }
    const value = next.value;
    const chunk =
      typeof value === 'string' ? Buffer.from(value) : Buffer.isBuffer(value) ? value : Buffer.from(value);
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    return true;
  }

  /** Exactly n bytes; undefined if the source ended before any of them; throws if it ended midway. */
  async read(n: number): Promise<Buffer | undefined> {
    while (this.buffered < n) {
      if (!(await this.pull())) {
        if (this.buffered === 0) return undefined;
        throw new TarError(
          `the tar stream ends in the middle of a record (at byte ${this.position + this.buffered})`,
        );
      }
    }
    const all =
      this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.buffered);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    this.position += n;
    return out;
  }

  /** n bytes as they come, without gathering them. */
  async *take(n: number, what: string): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.buffered === 0 && !(await this.pull())) {
        throw new TarError(`the tar stream ends in the middle of ${what} (${left} of ${n} bytes missing)`);
      }
      const head = this.chunks[0];
      if (head === undefined) continue;
      const part = head.length <= left ? head : head.subarray(0, left);
      if (part === head) this.chunks.shift();
      else this.chunks[0] = head.subarray(left);
      this.buffered -= part.length;
      this.position += part.length;
      left -= part.length;
      yield part;
    }
  }

  async skip(n: number, what: string): Promise<void> {
    for await (const _ of this.take(n, what)) {
      // discarded
    }
  }
}

export interface StreamedTarEntry {
  header: TarHeader;
  /** Offset of the entry's data from the start of the (uncompressed) tar stream. */
  offset: number;
  /** The entry's data; read it before asking for the next entry, or it is skipped. */
  body(): AsyncGenerator<Buffer>;
}

/**
 * Entries of a tar stream in order. Data not read by the consumer is skipped. The stream must end with the
 * end-of-archive blocks or at a block boundary after a complete entry; anything cut shorter is a TarError.
 */
export async function* readTar(
  source: AsyncIterable<Buffer | Uint8Array | string>,
): AsyncGenerator<StreamedTarEntry> {
  const reader = new ChunkReader(source);
  const assembler = new HeaderAssembler();
  let sawEntry = false;
  for (;;) {
    const at = reader.position;
    const block = await reader.read(BLOCK);
    if (block === undefined) {
      if (!sawEntry) throw new TarError('the tar stream is empty');
      return; // no end-of-archive marker: tolerated, as GNU tar does
    }
    const raw = parseTarHeader(block, at);
    if (raw === undefined) return;
    sawEntry = true;
    if (assembler.isMeta(raw)) {
      if (raw.size > MAX_META_BYTES)
        throw new TarError(`tar metadata entry of ${raw.size} bytes at byte ${at}`);
      const data =
        raw.size === 0 ? Buffer.alloc(0) : ((await reader.read(padded(raw.size))) ?? Buffer.alloc(0));
      assembler.absorb(raw, data.subarray(0, raw.size));
      continue;
    }
    const header = assembler.finish(raw);
    const dataSize = header.type === 'file' || header.type === 'other' ? header.size : 0;
    const offset = reader.position;
    let consumed = 0;
    let reading = false;
    const body = async function* (): AsyncGenerator<Buffer> {
      if (reading) throw new TarError(`the data of ${header.name} was already read`);
      reading = true;
      for await (const chunk of reader.take(dataSize - consumed, header.name)) {
        consumed += chunk.length;
        yield chunk;
      }
    };
    yield { header, offset, body };
    await reader.skip(dataSize - consumed, header.name);
    await reader.skip(padded(dataSize) - dataSize, `the padding of ${header.name}`);
  }
}

export interface TarIndexEntry {
  header: TarHeader;
  /** Offset of the data in the uncompressed tar. */
  offset: number;
}

/** Walks the headers of an uncompressed tar file with positional reads; entries by normalised name. */
export async function indexTarFile(path: string): Promise<Map<string, TarIndexEntry>> {
  const handle = await open(path, 'r');
  try {
    const { size: fileSize } = await handle.stat();
    const entries = new Map<string, TarIndexEntry>();
    const assembler = new HeaderAssembler();
    const block = Buffer.alloc(BLOCK);
    let at = 0;
    while (at + BLOCK <= fileSize) {
      const { bytesRead } = await handle.read(block, 0, BLOCK, at);
      const raw = parseTarHeader(block.subarray(0, bytesRead), at);
      if (raw === undefined) break;
      const dataAt = at + BLOCK;
      if (assembler.isMeta(raw)) {
        if (raw.size > MAX_META_BYTES)
          throw new TarError(`tar metadata entry of ${raw.size} bytes at byte ${at}`);
        const data = Buffer.alloc(raw.size);
        await handle.read(data, 0, raw.size, dataAt);
        assembler.absorb(raw, data);
      } else {
        const header = assembler.finish(raw);
        const dataSize = header.type === 'file' || header.type === 'other' ? header.size : 0;
        if (dataAt + dataSize > fileSize) {
          throw new TarError(
            `${path}: entry ${header.name} runs past the end of the file: the archive is truncated`,
          );
        }
        entries.set(normalizeTarPath(header.name), { header, offset: dataAt });
      }
      at =
        dataAt +
        padded(raw.type === 'directory' || raw.type === 'symlink' || raw.type === 'hardlink' ? 0 : raw.size);
    }
    if (entries.size === 0) throw new TarError(`${path} is an empty tar archive`);
    return entries;
  } finally {
    await handle.close();
  }
}

/**
 * "./a//b/" → "a/b". Names that climb out of the archive root ("../x", "/../x") keep a leading "../" so
 * callers can refuse them.
 */
export function normalizeTarPath(name: string): string {
  const normalized = posix.normalize(`/${name}`).replace(/^\/+/, '');
  const relative = posix.normalize(name.replace(/^\/+/, ''));
  if (relative === '..' || relative.startsWith('../')) return relative;
  return normalized.replace(/\/+$/, '');
}
