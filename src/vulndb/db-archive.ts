// Unpacks db.tar.gz into a directory while it streams from the registry: only trivy.db and metadata.json
// are written (whatever else the tarball holds is skipped), nothing may name a path outside the target
// (absolute paths, "..", links are refused), the output is bounded (a decompression bomb stops at the
// limit), and the stream is read to its very end so that a digest mismatch reported there is not missed.
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { ImageError, normalizeTarPath, readTar, TarError } from '../image/index.js';
import { DB_FILE, METADATA_FILE } from './db-cache.js';
import { DbError } from './distribution-errors.js';

export interface ExtractOptions {
  /** Bytes written in all before the archive counts as a bomb (default 16 GiB; trivy.db is about 1 GB). */
  maxBytes?: number;
  /** Names the archive in errors. */
  what: string;
}

export const DEFAULT_MAX_DB_BYTES = 16 * 1024 ** 3;
const WANTED = new Set([DB_FILE, METADATA_FILE]);

/** Writes trivy.db and metadata.json from the gzip'd tar `source` into `dir` (which must exist and be empty). */
export async function extractDbArchive(
  source: Readable,
  dir: string,
  options: ExtractOptions,
): Promise<void> {
  const max = options.maxBytes ?? DEFAULT_MAX_DB_BYTES;
  const fail = (message: string, cause?: unknown) =>
    new DbError('DB_ARCHIVE', `${options.what}: ${message}`, cause === undefined ? undefined : { cause });
  const gunzip = createGunzip();
  source.on('error', (error) => gunzip.destroy(error));
  source.pipe(gunzip);
  // One iterator shared by the tar reader and the final drain below.
  const iterator = gunzip[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const shared = { [Symbol.asyncIterator]: () => iterator };
  const written = new Set<string>();
  let total = 0;
  try {
    for await (const entry of readTar(shared)) {
      const { header } = entry;
      const name = normalizeTarPath(header.name);
      if (
        header.name.startsWith('/') ||
        name === '..' ||
        name.startsWith('../') ||
        header.name.includes('\0')
      ) {
        throw fail(
          `the entry ${JSON.stringify(header.name)} points outside the DB directory; refusing the archive`,
        );
      }
      if (header.type === 'symlink' || header.type === 'hardlink') {
        throw fail(`the entry ${JSON.stringify(header.name)} is a link; a DB archive holds plain files only`);
      }
      if (header.type !== 'file' || !WANTED.has(name)) continue;
      if (total + header.size > max) {
        throw fail(
          `${name} would take the unpacked size past ${max} bytes; refusing (a decompression bomb?)`,
        );
      }
      total += header.size;
      await pipeline(entry.body(), createWriteStream(join(dir, name), { mode: 0o644 }));
      written.add(name);
    }
    // The rest (tar padding) must be read too: the digest is only checked when the stream ends.
    let trailing = 0;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      trailing += next.value.length;
      if (trailing > 1024 * 1024) throw fail('more than 1 MiB of data after the end of the tar archive');
    }
  } catch (error) {
    if (error instanceof DbError || error instanceof ImageError) throw error;
    if (error instanceof TarError) throw fail(`not a valid tar archive: ${error.message}`, error);
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      throw fail(
        `not a valid gzip stream (${(error as Error).message}); the download is damaged or truncated`,
        error,
      );
    }
    throw error;
  } finally {
    source.destroy();
    gunzip.destroy();
  }
  for (const name of WANTED) {
    if (!written.has(name)) throw fail(`${name} is missing from the archive`);
  }
}
