/**
 * The DB step of a standalone scan: download or update trivy-db into `<cache-dir>/db` as Trivy's NeedsUpdate
 * rules say (unless --skip-db-update), then open it read-only. Failures say what to do.
 */
import { existsSync } from 'node:fs';
import {
  type Clock,
  ImageError,
  type Logger,
  type RegistryClientOptions,
  silentLogger,
  systemClock,
} from '../image/index.js';
import {
  BoltError,
  createDbDownloader,
  DbError,
  dbPaths,
  ensureDb,
  openTrivyDb,
  type TrivyDb,
  VulnDbError,
} from '../vulndb/index.js';
import { messageOf, ScanError } from './errors.js';

export interface ScanDbOptions {
  cacheDir: string;
  skipUpdate: boolean;
  repositories: readonly string[];
  registry: RegistryClientOptions;
  clock?: Clock;
  logger?: Logger;
  signal?: AbortSignal;
}

export async function openScanDb(options: ScanDbOptions): Promise<TrivyDb> {
  const logger = options.logger ?? silentLogger;
  const paths = dbPaths(options.cacheDir);
  try {
    const downloader = createDbDownloader({
      cacheDir: options.cacheDir,
      repositories: options.repositories,
      registry: options.registry,
      clock: options.clock ?? systemClock,
      logger,
    });
    await ensureDb({
      cacheDir: options.cacheDir,
      downloader,
      skipUpdate: options.skipUpdate,
      clock: options.clock ?? systemClock,
      logger,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    if (DbError.is(error, 'DB_SKIP_UPDATE') || DbError.is(error, 'DB_SCHEMA')) {
      throw new ScanError('SCAN_DB', error.message, error);
    }
    if (error instanceof DbError || error instanceof ImageError) {
      const fallback = existsSync(paths.db)
        ? `, or scan with --skip-db-update using the DB already in ${paths.dir}`
        : ` (or put a DB into ${paths.dir} with vigil db download and scan with --skip-db-update)`;
      throw new ScanError(
        'SCAN_DB',
        `cannot download the vulnerability DB (${options.repositories.join(', ')}): ${error.message}; name a reachable repository with --db-repository${fallback}`,
        error,
      );
    }
    throw error;
  }
  try {
    return await openTrivyDb(paths.db);
  } catch (error) {
    throw corruptDb(paths.db, error);
  }
}

/** The error for a DB file that cannot be read, with the way out. */
export function corruptDb(path: string, error: unknown): ScanError {
  return new ScanError(
    'SCAN_DB',
    `the vulnerability DB ${path} cannot be read (${messageOf(error)}); run vigil db download --force with the same --cache-dir (or delete that db directory) to fetch a fresh copy`,
    error,
  );
}

export function isDbReadError(error: unknown): boolean {
  return error instanceof BoltError || error instanceof VulnDbError;
}
