/**
 * The layer analysis cache on disk, under `<cache-dir>/fanal/vigil/` (beside Trivy's own fanal.db, which it
 * never touches): one JSON file per blob or artifact key, written to a temporary name and renamed, so
 * readers see whole entries or none. Each entry carries its key and a sha256 of its value: a file that does
 * not parse, names another key, fails the checksum or has the wrong schema version is treated as missing,
 * deleted, and written anew by the next scan. The total size is bounded: after a write, least recently used
 * entries (reads refresh the mtime) are removed until the cache is under 90 % of its bound, never one this
 * process has used, so a scan cannot evict its own layers between analysis and detection.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BLOB_SCHEMA_VERSION, type BlobInfo } from '../analyze/index.js';
import type { Logger } from '../image/index.js';
import { silentLogger } from '../image/index.js';
import { ARTIFACT_SCHEMA_VERSION, type ArtifactInfo, type Cache } from './artifact-cache.js';

export const DEFAULT_CACHE_MAX_BYTES = 1024 ** 3;
const ENTRY_FORMAT = 1;

export interface FsCacheOptions {
  /** `<cache-dir>/fanal`. */
  dir: string;
  /** Bound on the files' total size (default 1 GiB). */
  maxBytes?: number;
  logger?: Logger;
  now?: () => number;
}

export interface FsCacheStats {
  hits: number;
  misses: number;
  /** Entries found unreadable or inconsistent (and deleted). */
  corrupt: number;
  writes: number;
  evicted: number;
}

export interface FsCache extends Cache {
  readonly dir: string;
  stats(): FsCacheStats;
}

interface Envelope {
  format: number;
  key: string;
  sha256: string;
  value: unknown;
}

type Kind = 'blob' | 'artifact';

export function createFsCache(options: FsCacheOptions): FsCache {
  const root = join(options.dir, 'vigil');
  const maxBytes = options.maxBytes ?? DEFAULT_CACHE_MAX_BYTES;
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const counters: FsCacheStats = { hits: 0, misses: 0, corrupt: 0, writes: 0, evicted: 0 };
  /** Files this process read or wrote: never evicted by it. */
  const pinned = new Set<string>();
  let ready: Promise<void> | undefined;

  const dirOf = (kind: Kind) => join(root, kind);
  const fileOf = (kind: Kind, key: string) => join(dirOf(kind), `${fileName(key)}.json`);
  const ensureDirs = () => {
    ready ??= Promise.all([
      mkdir(dirOf('blob'), { recursive: true }),
      mkdir(dirOf('artifact'), { recursive: true }),
    ]).then(() => undefined);
    return ready;
  };

  async function read(kind: Kind, key: string): Promise<unknown> {
    const file = fileOf(kind, key);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        logger.warn('cannot read a layer cache entry; analysing again', { file, error: String(error) });
      }
      counters.misses++;
      return undefined;
    }
    const value = validEntry(text, key, kind);
    if (value === undefined) {
      counters.corrupt++;
      counters.misses++;
      logger.warn('ignoring a corrupt layer cache entry; it will be written again', { file });
      await unlink(file).catch(() => {});
      return undefined;
    }
    counters.hits++;
    pinned.add(file);
    const t = new Date(now());
    await utimes(file, t, t).catch(() => {});
    return value;
  }

  async function write(kind: Kind, key: string, value: unknown): Promise<void> {
    const file = fileOf(kind, key);
    const json = JSON.stringify(value);
    const envelope: Envelope = { format: ENTRY_FORMAT, key, sha256: sha256Hex(json), value };
    const temp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await ensureDirs();
      await writeFile(temp, JSON.stringify(envelope));
      await rename(temp, file);
    } catch (error) {
      await unlink(temp).catch(() => {});
      // A full or read-only disk must not fail the scan: the layer is simply analysed again next time.
      logger.warn('cannot write a layer cache entry', { file, error: String(error) });
      return;
    }
    counters.writes++;
    pinned.add(file);
    await enforceBound();
  }

  async function enforceBound(): Promise<void> {
    const entries: Array<{ file: string; size: number; mtime: number }> = [];
    for (const kind of ['blob', 'artifact'] as const) {
      const names = await readdir(dirOf(kind)).catch(() => [] as string[]);
      for (const name of names) {
        const file = join(dirOf(kind), name);
        const info = await stat(file).catch(() => undefined);
        if (info?.isFile()) entries.push({ file, size: info.size, mtime: info.mtimeMs });
      }
    }
    let total = entries.reduce((sum, e) => sum + e.size, 0);
    if (total <= maxBytes) return;
    const target = Math.floor(maxBytes * 0.9);
    entries.sort((a, b) => a.mtime - b.mtime);
    for (const entry of entries) {
      if (total <= target) break;
      if (pinned.has(entry.file)) continue;
      await unlink(entry.file).then(
        () => {
          counters.evicted++;
          total -= entry.size;
        },
        () => {},
      );
    }
    logger.debug('layer cache bounded', { bytes: total, maxBytes, evicted: counters.evicted });
  }

  return {
    dir: options.dir,
    stats: () => ({ ...counters }),
    async missingBlobs(artifactId, blobIds) {
      const missingBlobIds: string[] = [];
      for (const id of blobIds) if ((await read('blob', id)) === undefined) missingBlobIds.push(id);
      return { missingArtifact: (await read('artifact', artifactId)) === undefined, missingBlobIds };
    },
    putArtifact: (artifactId, info) => write('artifact', artifactId, info),
    putBlob: (blobId, blob) => write('blob', blobId, blob),
    async getArtifact(artifactId) {
      return (await read('artifact', artifactId)) as ArtifactInfo | undefined;
    },
    async getBlob(blobId) {
      return (await read('blob', blobId)) as BlobInfo | undefined;
    },
  };
}

/** "sha256:<hex>" → "sha256-<hex>"; anything else is hashed so no key can name a path. */
function fileName(key: string): string {
  return /^sha256:[a-f0-9]{64}$/.test(key) ? key.replace(':', '-') : `h-${sha256Hex(key)}`;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function validEntry(text: string, key: string, kind: Kind): unknown {
  let envelope: Partial<Envelope>;
  try {
    envelope = JSON.parse(text) as Partial<Envelope>;
  } catch {
    return undefined;
  }
  if (typeof envelope !== 'object' || envelope === null) return undefined;
  if (envelope.format !== ENTRY_FORMAT || envelope.key !== key) return undefined;
  const value = envelope.value as { SchemaVersion?: unknown } | undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  if (envelope.sha256 !== sha256Hex(JSON.stringify(value))) return undefined;
  const schema = kind === 'blob' ? BLOB_SCHEMA_VERSION : ARTIFACT_SCHEMA_VERSION;
  return value.SchemaVersion === schema ? value : undefined;
}
