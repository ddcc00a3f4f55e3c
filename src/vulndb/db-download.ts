// Downloads trivy-db as Trivy does (trivy-internals §1.1): the repositories are tried in order, the next one
// only after a temporary registry error (429, 5xx, TOOMANYREQUESTS/UNKNOWN/UNAVAILABLE codes) or
// BLOB_UNKNOWN; the artifact must have exactly one layer of the trivy-db media type; the blob streams
// through its digest check into gunzip and tar, into a fresh directory beside <cache>/db. Only when
// trivy.db opens as a bbolt file and metadata.json parses does anything in <cache>/db change, and then
// by rename, file by file: a reader holding the old trivy.db keeps reading it, a new reader sees a whole
// old or a whole new file, and a failed, aborted or killed download leaves the DB in use as it was.
import { mkdir, mkdtemp, open, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Clock,
  createRegistryClient,
  type Descriptor,
  formatReference,
  ImageError,
  type ImageReference,
  type Logger,
  parseReference,
  type RegistryClient,
  type RegistryClientOptions,
  silentLogger,
  systemClock,
} from '../image/index.js';
import { openBolt } from './bolt/index.js';
import { extractDbArchive } from './db-archive.js';
import { DB_FILE, dbPaths, METADATA_FILE } from './db-cache.js';
import { type DbMetadata, readMetadata, SCHEMA_VERSION, withDownloadedAt } from './db-metadata.js';
import { DbError } from './distribution-errors.js';

export const DEFAULT_DB_REPOSITORIES: readonly string[] = Object.freeze([
  'mirror.gcr.io/aquasec/trivy-db:2',
  'ghcr.io/aquasecurity/trivy-db:2',
]);
export const DB_LAYER_MEDIA_TYPE = 'application/vnd.aquasec.trivy.db.layer.v1.tar+gzip';
export const DB_CONFIG_MEDIA_TYPE = 'application/vnd.aquasec.trivy.config.v1+json';
const TITLE_ANNOTATION = 'org.opencontainers.image.title';
const TEMP_PREFIX = 'db.download-';

export interface DbDownloaderOptions {
  cacheDir: string;
  /** Tried in order; default mirror.gcr.io then ghcr.io. A reference without a tag gets ":2". */
  repositories?: readonly string[];
  /** A registry client to use; otherwise one is made from `registry` and closed after each download. */
  client?: RegistryClient;
  registry?: RegistryClientOptions;
  clock?: Clock;
  logger?: Logger;
  /** Largest unpacked size accepted (default 16 GiB). */
  maxBytes?: number;
}

export interface DbDownloadResult {
  repository: string;
  /** Digest of the artifact manifest and of the db.tar.gz blob. */
  manifestDigest: string;
  blobDigest: string;
  blobSize: number;
  metadata: DbMetadata;
  dbPath: string;
}

export interface DbDownloader {
  download(options?: { signal?: AbortSignal }): Promise<DbDownloadResult>;
}

/** Parses --db-repository values as Trivy does: the schema version is the default tag. */
export function parseDbRepository(text: string): ImageReference {
  return parseReference(text, { defaultTag: String(SCHEMA_VERSION) });
}

export function createDbDownloader(options: DbDownloaderOptions): DbDownloader {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const repositories = (options.repositories ?? DEFAULT_DB_REPOSITORIES).map(parseDbRepository);
  if (repositories.length === 0) throw new DbError('DB_DOWNLOAD', 'no DB repository to download from');
  const paths = dbPaths(options.cacheDir);

  async function fetchInto(client: RegistryClient, ref: ImageReference, dir: string, signal?: AbortSignal) {
    const name = formatReference(ref);
    const fetched = await client.getManifest(ref, { signal });
    if (fetched.parsed.kind !== 'manifest') {
      throw new DbError('DB_ARTIFACT', `${name} is an image index, not the trivy-db OCI artifact`);
    }
    const layer = checkArtifact(fetched.parsed.manifest.layers, name);
    logger.info('downloading the vulnerability DB', { repository: name, bytes: layer.size });
    const blob = await client.openBlob(ref, layer, { signal });
    await extractDbArchive(blob, dir, { what: `${name} (${layer.digest})`, maxBytes: options.maxBytes });
    return { manifestDigest: fetched.digest, layer };
  }

  return {
    async download(downloadOptions = {}) {
      const { signal } = downloadOptions;
      await mkdir(options.cacheDir, { recursive: true }).catch((error: unknown) => {
        throw new DbError(
          'DB_IO',
          `cannot create the cache directory ${options.cacheDir}: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      });
      await removeAbandonedDownloads(options.cacheDir, logger);
      // Beside <cache>/db, so the final renames stay on one file system.
      const temp = await mkdtemp(join(options.cacheDir, `${TEMP_PREFIX}${process.pid}-`));
      const client = options.client ?? createRegistryClient({ clock, logger, ...options.registry });
      try {
        const failures: unknown[] = [];
        for (const [i, ref] of repositories.entries()) {
          const name = formatReference(ref);
          try {
            const { manifestDigest, layer } = await fetchInto(client, ref, temp, signal);
            const metadata = await checkUnpacked(temp, name);
            // DownloadedAt is stamped before the swap, so the new pair is complete the moment it appears.
            await writeDurably(join(temp, METADATA_FILE), withDownloadedAt(metadata, clock.now()));
            await syncFile(join(temp, DB_FILE));
            await install(temp, paths);
            const installed = await readMetadata(paths.metadata);
            logger.info('vulnerability DB installed', { repository: name, path: paths.db });
            return {
              repository: name,
              manifestDigest,
              blobDigest: layer.digest,
              blobSize: layer.size,
              metadata: installed.ok ? installed.metadata : metadata,
              dbPath: paths.db,
            };
          } catch (error) {
            if (signal?.aborted) throw error;
            if (!shouldTryOtherRepository(error)) {
              throw new DbError(
                'DB_DOWNLOAD',
                `failed to download the vulnerability DB from ${name}: ${messageOf(error)}`,
                {
                  cause: error,
                },
              );
            }
            failures.push(error);
            logger.warn('failed to download the vulnerability DB', {
              repository: name,
              error: messageOf(error),
            });
            if (i < repositories.length - 1) {
              logger.info('trying the next DB repository', {
                repository: formatReference(repositories[i + 1]!),
              });
            }
            await clearDirectory(temp);
          }
        }
        throw new DbError(
          'DB_DOWNLOAD',
          `failed to download the vulnerability DB from any repository: ${failures
            .map((e, i) => `${formatReference(repositories[i]!)}: ${messageOf(e)}`)
            .join('; ')}`,
          { cause: failures.at(-1) },
        );
      } finally {
        if (options.client === undefined) await client.close();
        await rm(temp, { recursive: true, force: true });
      }
    },
  };
}

/** Trivy's shouldTryOtherRepo: temporary registry errors and BLOB_UNKNOWN; never denials or missing tags. */
export function shouldTryOtherRepository(error: unknown): boolean {
  if (!(error instanceof ImageError) || error.status === undefined) return false;
  return error.temporary || error.registryErrors.some((e) => e.code === 'BLOB_UNKNOWN');
}

function checkArtifact(layers: readonly Descriptor[], name: string): Descriptor {
  if (layers.length !== 1) {
    throw new DbError(
      'DB_ARTIFACT',
      `${name}: the DB artifact must have a single layer, it has ${layers.length}`,
    );
  }
  const layer = layers[0] as Descriptor;
  if (layer.mediaType !== DB_LAYER_MEDIA_TYPE) {
    throw new DbError(
      'DB_ARTIFACT',
      `${name}: the layer has media type ${layer.mediaType}, expected ${DB_LAYER_MEDIA_TYPE}; is this a trivy-db repository?`,
    );
  }
  const title = layer.annotations?.[TITLE_ANNOTATION];
  if (title === undefined)
    throw new DbError('DB_ARTIFACT', `${name}: the layer has no ${TITLE_ANNOTATION} annotation`);
  if (title === '' || title.startsWith('/') || title.split(/[\\/]/).includes('..')) {
    throw new DbError(
      'DB_ARTIFACT',
      `${name}: the layer title ${JSON.stringify(title)} is not a local relative path`,
    );
  }
  return layer;
}

/** The unpacked pair must be usable before it may replace anything. */
async function checkUnpacked(dir: string, name: string): Promise<DbMetadata> {
  const read = await readMetadata(join(dir, METADATA_FILE));
  if (!read.ok) throw new DbError('DB_ARCHIVE', `${name}: ${read.reason}`);
  if (read.metadata.version !== SCHEMA_VERSION) {
    throw new DbError(
      'DB_SCHEMA',
      `${name} holds a schema ${read.metadata.version} DB; vigil reads schema ${SCHEMA_VERSION} (use the ":${SCHEMA_VERSION}" tag)`,
    );
  }
  try {
    const db = await openBolt(join(dir, DB_FILE));
    await db.close();
  } catch (error) {
    throw new DbError(
      'DB_ARCHIVE',
      `${name}: the downloaded trivy.db is not a usable bbolt file: ${messageOf(error)}`,
      {
        cause: error,
      },
    );
  }
  return read.metadata;
}

/**
 * Moves trivy.db, then metadata.json, from temp into the DB directory by rename. Were the process to die
 * between the two, the new DB would sit beside the old metadata, whose NextUpdate is earlier: the next
 * check downloads again sooner, nothing reads a broken file.
 */
async function install(temp: string, paths: ReturnType<typeof dbPaths>): Promise<void> {
  try {
    await mkdir(paths.dir, { recursive: true });
    await rename(join(temp, DB_FILE), paths.db);
    await rename(join(temp, METADATA_FILE), paths.metadata);
    await syncDirectory(paths.dir);
  } catch (error) {
    throw new DbError('DB_IO', `cannot install the DB into ${paths.dir}: ${messageOf(error)}`, {
      cause: error,
    });
  }
}

async function writeDurably(path: string, text: string): Promise<void> {
  await writeFile(path, text);
  await syncFile(path);
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on directories; the renames are done either way.
  } finally {
    await handle.close();
  }
}

async function clearDirectory(dir: string): Promise<void> {
  for (const entry of await readdir(dir)) await rm(join(dir, entry), { recursive: true, force: true });
}

/** Temp directories of downloads whose process is gone (killed midway) are removed. */
async function removeAbandonedDownloads(cacheDir: string, logger: Logger): Promise<void> {
  for (const entry of await readdir(cacheDir).catch(() => [] as string[])) {
    const pid = Number(/^db\.download-(\d+)-/.exec(entry)?.[1]);
    if (!Number.isInteger(pid) || isAlive(pid)) continue;
    logger.debug('removing an abandoned DB download', { dir: entry });
    await rm(join(cacheDir, entry), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
