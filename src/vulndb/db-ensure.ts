// The DB step before a scan (and of `vigil db download`): look at what is in the cache, decide with
// Trivy's rules, download when needed.
import type { Clock, Logger } from '../image/index.js';
import { silentLogger, systemClock } from '../image/index.js';
import { readLocalDb } from './db-cache.js';
import type { DbDownloader, DbDownloadResult } from './db-download.js';
import { decideUpdate } from './db-update.js';

export interface EnsureDbOptions {
  cacheDir: string;
  downloader: DbDownloader;
  /** --skip-db-update: use what is there (an error when nothing usable is). */
  skipUpdate?: boolean;
  /** Download whatever the metadata says. */
  force?: boolean;
  clock?: Clock;
  logger?: Logger;
  signal?: AbortSignal;
}

export interface EnsureDbResult {
  dbPath: string;
  downloaded: DbDownloadResult | undefined;
  /** Why it was (or was not) downloaded. */
  reason: string;
}

export async function ensureDb(options: EnsureDbOptions): Promise<EnsureDbResult> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const local = await readLocalDb(options.cacheDir);
  const decision = options.force
    ? { update: true, reason: 'a download was forced' }
    : decideUpdate(local, { skipUpdate: options.skipUpdate ?? false, now: clock.now() });
  if (!decision.update) {
    logger.debug('no DB update needed', { reason: decision.reason });
    return { dbPath: local.paths.db, downloaded: undefined, reason: decision.reason };
  }
  logger.info('the vulnerability DB needs an update', { reason: decision.reason });
  const downloaded = await options.downloader.download(options.signal ? { signal: options.signal } : {});
  return { dbPath: downloaded.dbPath, downloaded, reason: decision.reason };
}
