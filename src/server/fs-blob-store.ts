/**
 * The server's cache on disk: `<cache-dir>/fanal/vigil-server/{blob,artifact}/<sha256 of key>.json`, one
 * JSON file per entry ({format, key, schemaVersion, message} with the message in protobuf's JSON form). Files
 * are written under a temporary name and renamed, so a reader sees a whole entry or none, even across a crash.
 * A file that does not parse or names another key is dropped and reported missing, so the client sends it
 * again. The total size is bounded: after a write, least recently used entries go first (reads and writes
 * refresh a file's mtime, so the order survives restarts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type DescMessage, fromJson, type JsonValue, type MessageShape, toJson } from '@bufbuild/protobuf';
import { cachePb } from '../rpc/index.js';
import {
  ARTIFACT_SCHEMA_VERSION,
  BLOB_SCHEMA_VERSION,
  type BlobStore,
  type BlobStoreStats,
  createLruIndex,
  type EntryKind,
  type MissingBlobsResult,
} from './blob-store.js';
import { messageOf, ServerError } from './errors.js';
import { type ServerLogger, silentServerLogger } from './logger.js';

export const DEFAULT_CACHE_MAX_BYTES = 1024 ** 3;
/** Decoded messages kept in memory, by their file size: the layers of images scanned again and again. */
export const DEFAULT_HOT_BYTES = 64 * 1024 ** 2;
const ENTRY_FORMAT = 1;
const KINDS: readonly EntryKind[] = ['blob', 'artifact'];
const TEMP_PREFIX = '.tmp-';

export interface FsBlobStoreOptions {
  /** `<cache-dir>/fanal`; entries go in its `vigil-server/` subdirectory. */
  dir: string;
  maxBytes?: number;
  /** Bound on decoded entries kept in memory (default 64 MiB of their file size; 0 turns it off). */
  hotBytes?: number;
  logger?: ServerLogger;
  /** Wall clock for mtimes (ms). */
  now?: () => number;
}

interface IndexEntry {
  kind: EntryKind;
  file: string;
  /** Known once the entry was read or written in this process. */
  schemaVersion?: number;
}

interface Envelope {
  format: number;
  key: string;
  schemaVersion: number;
  message: JsonValue;
}

const SCHEMAS = {
  blob: cachePb.BlobInfoSchema,
  artifact: cachePb.ArtifactInfoSchema,
} as const satisfies Record<EntryKind, DescMessage>;

function hashOf(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export async function openFsBlobStore(options: FsBlobStoreOptions): Promise<BlobStore> {
  const root = join(options.dir, 'vigil-server');
  const maxBytes = options.maxBytes ?? DEFAULT_CACHE_MAX_BYTES;
  const logger = options.logger ?? silentServerLogger;
  const now = options.now ?? Date.now;
  const index = createLruIndex<IndexEntry>();
  // Readers never change a message, so one decoded copy can serve every scan.
  const hot = createLruIndex<cachePb.BlobInfo | cachePb.ArtifactInfo>();
  const hotBytes = options.hotBytes ?? DEFAULT_HOT_BYTES;
  const remember = (ik: string, message: cachePb.BlobInfo | cachePb.ArtifactInfo, bytes: number) => {
    if (bytes > hotBytes) return;
    hot.set(ik, message, bytes);
    for (const victim of hot.overflow(hotBytes, ik)) hot.delete(victim);
  };
  const counters = { hits: 0, misses: 0, evictions: 0, corrupt: 0 };
  const dirOf = (kind: EntryKind) => join(root, kind);
  const indexKey = (kind: EntryKind, hash: string) => `${kind}/${hash}`;

  try {
    await loadIndex();
  } catch (error) {
    throw new ServerError(
      'SERVER_CACHE',
      `cannot open the cache directory ${root}: ${messageOf(error)}`,
      error,
    );
  }

  // The LRU order at start is the files' mtime order; leftovers of interrupted writes are removed.
  async function loadIndex(): Promise<void> {
    const found: { key: string; entry: IndexEntry; bytes: number; mtime: number }[] = [];
    for (const kind of KINDS) {
      await mkdir(dirOf(kind), { recursive: true });
      for (const name of await readdir(dirOf(kind))) {
        const file = join(dirOf(kind), name);
        if (name.startsWith(TEMP_PREFIX)) {
          await unlink(file).catch(() => {});
          continue;
        }
        if (!/^[0-9a-f]{64}\.json$/.test(name)) continue;
        const info = await stat(file).catch(() => undefined);
        if (info === undefined || !info.isFile()) continue;
        found.push({
          key: indexKey(kind, name.slice(0, 64)),
          entry: { kind, file },
          bytes: info.size,
          mtime: info.mtimeMs,
        });
      }
    }
    found.sort((a, b) => a.mtime - b.mtime);
    for (const f of found) index.set(f.key, f.entry, f.bytes);
    logger.debug('cache index loaded', { dir: root, entries: index.size, bytes: index.bytes });
  }

  async function read<K extends EntryKind>(
    kind: K,
    key: string,
  ): Promise<MessageShape<(typeof SCHEMAS)[K]> | undefined> {
    const ik = indexKey(kind, hashOf(key));
    const entry = index.touch(ik);
    if (entry === undefined) return undefined;
    const cached = hot.touch(ik);
    if (cached !== undefined) return cached as MessageShape<(typeof SCHEMAS)[K]>;
    let text: string;
    try {
      text = await readFile(entry.file, 'utf8');
    } catch (error) {
      index.delete(ik);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new ServerError(
        'SERVER_CACHE',
        `cannot read the cache entry ${entry.file}: ${messageOf(error)}`,
        error,
      );
    }
    let message: MessageShape<(typeof SCHEMAS)[K]>;
    try {
      const envelope = JSON.parse(text) as Envelope;
      if (envelope.format !== ENTRY_FORMAT || envelope.key !== key)
        throw new Error('the entry is for another key');
      message = fromJson(SCHEMAS[kind], envelope.message, { ignoreUnknownFields: true }) as MessageShape<
        (typeof SCHEMAS)[K]
      >;
    } catch (error) {
      counters.corrupt++;
      index.delete(ik);
      logger.warn('dropping an unreadable cache entry; the client will send it again', {
        file: entry.file,
        error: messageOf(error),
      });
      await unlink(entry.file).catch(() => {});
      return undefined;
    }
    entry.schemaVersion = message.schemaVersion;
    remember(ik, message, text.length);
    const t = new Date(now());
    utimes(entry.file, t, t).catch(() => {});
    return message;
  }

  async function write(
    kind: EntryKind,
    key: string,
    message: cachePb.BlobInfo | cachePb.ArtifactInfo,
  ): Promise<void> {
    const hash = hashOf(key);
    const file = join(dirOf(kind), `${hash}.json`);
    const envelope: Envelope = {
      format: ENTRY_FORMAT,
      key,
      schemaVersion: message.schemaVersion,
      message: toJson(SCHEMAS[kind], message as never),
    };
    const text = JSON.stringify(envelope);
    const temp = join(dirOf(kind), `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      await writeFile(temp, text, 'utf8');
      await rename(temp, file);
    } catch (error) {
      await unlink(temp).catch(() => {});
      throw new ServerError(
        'SERVER_CACHE',
        `cannot write the cache entry ${file}: ${messageOf(error)}`,
        error,
      );
    }
    const ik = indexKey(kind, hash);
    index.set(ik, { kind, file, schemaVersion: message.schemaVersion }, Buffer.byteLength(text));
    remember(ik, message, text.length);
    await evict(ik);
  }

  async function evict(keep: string): Promise<void> {
    const victims = index.overflow(maxBytes, keep);
    for (const victim of victims) {
      const entry = index.get(victim);
      if (entry === undefined) continue;
      index.delete(victim);
      hot.delete(victim);
      counters.evictions++;
      await unlink(entry.file).catch(() => {});
    }
    if (victims.length > 0) {
      logger.debug('cache entries evicted', { evicted: victims.length, bytes: index.bytes, maxBytes });
    }
  }

  async function present(kind: EntryKind, key: string, schema: number): Promise<boolean> {
    const entry = index.get(indexKey(kind, hashOf(key)));
    if (entry === undefined) return false;
    if (entry.schemaVersion === undefined) {
      const message = await read(kind, key);
      return message !== undefined && message.schemaVersion === schema;
    }
    index.touch(indexKey(kind, hashOf(key)));
    return entry.schemaVersion === schema;
  }

  return {
    backend: 'fs',
    async missingBlobs(artifactId, blobIds): Promise<MissingBlobsResult> {
      const missingBlobIds: string[] = [];
      for (const id of blobIds) {
        if (await present('blob', id, BLOB_SCHEMA_VERSION)) counters.hits++;
        else {
          counters.misses++;
          missingBlobIds.push(id);
        }
      }
      const missingArtifact = !(await present('artifact', artifactId, ARTIFACT_SCHEMA_VERSION));
      return { missingArtifact, missingBlobIds };
    },
    putArtifact: (id, info) => write('artifact', id, info),
    putBlob: (id, blob) => write('blob', id, blob),
    getArtifact: (id) => read('artifact', id),
    getBlob: (id) => read('blob', id),
    async deleteBlobs(ids) {
      for (const id of ids) {
        const ik = indexKey('blob', hashOf(id));
        const entry = index.get(ik);
        index.delete(ik);
        hot.delete(ik);
        await unlink(entry?.file ?? join(dirOf('blob'), `${hashOf(id)}.json`)).catch(
          (error: NodeJS.ErrnoException) => {
            if (error.code !== 'ENOENT') {
              throw new ServerError(
                'SERVER_CACHE',
                `cannot delete the cache entry for ${id}: ${error.message}`,
                error,
              );
            }
          },
        );
      }
    },
    stats(): BlobStoreStats {
      return { entries: index.size, bytes: index.bytes, maxBytes, ...counters };
    },
    async close() {},
  };
}
