// Read access to the files of an image input, whether they sit in a directory (an OCI layout, an unpacked
// `docker save`) or inside a tar file (plain or gzip'd). Paths are archive-relative with "/" separators;
// none may leave the root, and symlinks inside a tar (docker save links duplicate layers) are resolved
// inside the archive only.
import { createReadStream } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { join, posix, sep } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ImageError } from './errors.js';
import { readBody } from './http-transport.js';
import {
  indexTarFile,
  normalizeTarPath,
  readTar,
  TarError,
  type TarHeader,
  type TarIndexEntry,
} from './tar.js';

export interface FileStore {
  /** The directory or archive path, for messages. */
  readonly label: string;
  has(path: string): Promise<boolean>;
  size(path: string): Promise<number>;
  /** A whole (small) file; larger than maxBytes is an IMAGE_ARCHIVE error. */
  read(path: string, maxBytes: number): Promise<Buffer>;
  /** A file's bytes as stored. */
  open(path: string): Promise<Readable>;
}

function archiveError(label: string, message: string, cause?: unknown): ImageError {
  return new ImageError('IMAGE_ARCHIVE', `${label}: ${message}`, cause === undefined ? {} : { cause });
}

function checkRelative(label: string, path: string): string {
  const normalized = normalizeTarPath(path);
  if (normalized === '' || normalized === '..' || normalized.startsWith('../') || posix.isAbsolute(path)) {
    throw archiveError(label, `the path ${JSON.stringify(path)} leaves the image root`);
  }
  return normalized;
}

export async function createDirectoryStore(root: string): Promise<FileStore> {
  const base = await realpath(root);
  const label = root;
  const resolve = async (path: string): Promise<string> => {
    const file = join(base, ...checkRelative(label, path).split('/'));
    // A symlink inside the layout may point anywhere; only targets under the root are followed.
    let real: string;
    try {
      real = await realpath(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw archiveError(label, `${path} is missing`, error);
      throw archiveError(label, `cannot read ${path}: ${(error as Error).message}`, error);
    }
    if (real !== base && !real.startsWith(base + sep)) {
      throw archiveError(label, `${path} is a link to ${real}, outside the image directory`);
    }
    return real;
  };
  return {
    label,
    async has(path) {
      try {
        return (await stat(await resolve(path))).isFile();
      } catch {
        return false;
      }
    },
    async size(path) {
      return (await stat(await resolve(path))).size;
    },
    async read(path, maxBytes) {
      const file = await resolve(path);
      const handle = await open(file, 'r');
      try {
        const { size } = await handle.stat();
        if (size > maxBytes)
          throw archiveError(label, `${path} has ${size} bytes, more than the ${maxBytes} expected`);
        const buffer = Buffer.alloc(size);
        const { bytesRead } = await handle.read(buffer, 0, size, 0);
        return buffer.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    },
    async open(path) {
      return createReadStream(await resolve(path));
    },
  };
}

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const MAX_LINK_HOPS = 8;

/** A tar file (uncompressed: positional reads; gzip'd: one pass to index, one decompression per open). */
export async function createTarStore(file: string): Promise<FileStore> {
  const label = file;
  const head = Buffer.alloc(2);
  const handle = await open(file, 'r').catch((error: unknown) => {
    throw archiveError(label, `cannot open: ${(error as Error).message}`, error);
  });
  try {
    await handle.read(head, 0, 2, 0);
  } finally {
    await handle.close();
  }
  const gzipped = head.equals(GZIP_MAGIC);
  let entries: Map<string, TarIndexEntry>;
  try {
    entries = gzipped
      ? await indexStream(() => createReadStream(file).pipe(createGunzip()))
      : await indexTarFile(file);
  } catch (error) {
    if (error instanceof TarError || (error as NodeJS.ErrnoException).code?.startsWith('Z_')) {
      throw archiveError(label, `not a readable tar archive: ${(error as Error).message}`, error);
    }
    throw error;
  }

  const lookup = (path: string): TarIndexEntry => {
    let name = checkRelative(label, path);
    for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
      const entry = entries.get(name);
      if (entry === undefined) throw archiveError(label, `${path} is missing from the archive`);
      if (entry.header.type === 'file') return entry;
      if (entry.header.type === 'symlink' || entry.header.type === 'hardlink') {
        // Hard links name their target from the archive root, symlinks relative to their own directory.
        const target =
          entry.header.type === 'hardlink'
            ? entry.header.linkname
            : posix.join(posix.dirname(name), entry.header.linkname);
        name = checkRelative(label, target);
        continue;
      }
      throw archiveError(label, `${path} is not a regular file`);
    }
    throw archiveError(label, `${path}: more than ${MAX_LINK_HOPS} links in a row`);
  };

  const openEntry = async (entry: TarIndexEntry): Promise<Readable> => {
    const { offset, header } = entry;
    if (!gzipped) {
      if (header.size === 0) return new PassThrough().end();
      return createReadStream(file, { start: offset, end: offset + header.size - 1 });
    }
    // gzip has no random access: decompress again from the start and pass on just this entry's bytes.
    const out = new PassThrough();
    const source = createReadStream(file).pipe(createGunzip());
    void (async () => {
      let position = 0;
      let left = header.size;
      try {
        for await (const chunk of source as AsyncIterable<Buffer>) {
          const start = Math.max(0, offset - position);
          position += chunk.length;
          if (start >= chunk.length) continue;
          const part = chunk.subarray(start, Math.min(chunk.length, start + left));
          left -= part.length;
          if (!out.write(part)) {
            await new Promise((resolve) => {
              out.once('drain', resolve);
              out.once('close', resolve);
            });
          }
          if (left === 0 || out.destroyed) break;
        }
        if (out.destroyed) return;
        if (left > 0) throw new TarError(`${header.name} is truncated`);
        out.end();
      } catch (error) {
        out.destroy(archiveError(label, `cannot read ${header.name}: ${(error as Error).message}`, error));
      } finally {
        source.destroy();
      }
    })();
    return out;
  };

  return {
    label,
    async has(path) {
      try {
        lookup(path);
        return true;
      } catch {
        return false;
      }
    },
    async size(path) {
      return lookup(path).header.size;
    },
    async read(path, maxBytes) {
      const entry = lookup(path);
      if (entry.header.size > maxBytes) {
        throw archiveError(
          label,
          `${path} has ${entry.header.size} bytes, more than the ${maxBytes} expected`,
        );
      }
      return readBody(await openEntry(entry), maxBytes, () => archiveError(label, `${path} is too large`));
    },
    async open(path) {
      return openEntry(lookup(path));
    },
  };
}

async function indexStream(open: () => AsyncIterable<Buffer>): Promise<Map<string, TarIndexEntry>> {
  const entries = new Map<string, TarIndexEntry>();
  for await (const entry of readTar(open())) {
    const header: TarHeader = entry.header;
    entries.set(normalizeTarPath(header.name), { header, offset: entry.offset });
  }
  return entries;
}
