/**
 * The vulnerability DB of a long-running server: loaded at start (downloaded first unless --skip-db-update),
 * checked every hour with Trivy's NeedsUpdate rules (trivy-internals §1.3) and swapped without stopping scans.
 *
 * Trivy blocks new requests and drains the running ones before it closes and replaces its DB. Here a scan
 * leases the DB generation current when it starts and releases it when done; an update downloads beside the
 * old file, renames the new one into place (src/vulndb: readers of the old file keep their inode), opens it,
 * makes it current, and closes the old generation once its last lease is released. A failed download or a new
 * file that does not open leaves the current generation serving. Without any DB the server is not ready, and
 * tries again every minute; the reason is logged each time.
 */
import {
  type DbDownloader,
  DbError,
  type DbMetadata,
  decideUpdate,
  openTrivyDb,
  readLocalDb,
  type TrivyDb,
} from '../vulndb/index.js';
import { messageOf } from './errors.js';
import { type ServerLogger, silentServerLogger } from './logger.js';

export const DB_UPDATE_INTERVAL_MS = 3_600_000;
export const DB_RETRY_INTERVAL_MS = 60_000;

export interface DbLease {
  readonly db: TrivyDb;
  readonly metadata: DbMetadata | undefined;
  /** Idempotent; the generation closes after its last lease once it is no longer current. */
  release(): void;
}

export interface DbStatus {
  ready: boolean;
  path?: string;
  metadata?: DbMetadata;
  /** When the current generation was opened (ms). */
  loadedAt?: number;
  /** Generations opened so far. */
  generation: number;
  /** Leases held on any generation. */
  leases: number;
  lastError?: string;
  lastCheckAt?: number;
}

export type CheckOutcome = 'loaded' | 'updated' | 'unchanged' | 'failed';

export interface DbManagerOptions {
  cacheDir: string;
  skipUpdate: boolean;
  /** How to fetch a DB (unused with skipUpdate). */
  downloader?: DbDownloader;
  open?: (path: string) => Promise<TrivyDb>;
  now?: () => number;
  logger?: ServerLogger;
  updateIntervalMs?: number;
  retryIntervalMs?: number;
  /** Told after every check (metrics). */
  onCheck?: (outcome: CheckOutcome, status: DbStatus) => void;
}

export interface DbManager {
  /** Runs the first check and schedules the next ones; resolves when the first check is over. */
  start(): Promise<void>;
  /** The current generation, leased; undefined while no DB is loaded. */
  acquire(): DbLease | undefined;
  status(): DbStatus;
  /** One check now (serialised with the scheduled ones). */
  check(): Promise<CheckOutcome>;
  /** Stops checking, aborts a download, closes every generation once its leases are released. */
  close(): Promise<void>;
}

interface Generation {
  db: TrivyDb;
  metadata: DbMetadata | undefined;
  loadedAt: number;
  leases: number;
  retired: boolean;
  closed?: Promise<void>;
}

export function createDbManager(options: DbManagerOptions): DbManager {
  const logger = options.logger ?? silentServerLogger;
  const now = options.now ?? Date.now;
  const open = options.open ?? ((path: string) => openTrivyDb(path));
  const updateInterval = options.updateIntervalMs ?? DB_UPDATE_INTERVAL_MS;
  // Without a DB, check at least as often as updates are checked (a short interval in tests).
  const retryInterval = options.retryIntervalMs ?? Math.min(DB_RETRY_INTERVAL_MS, updateInterval);
  const abort = new AbortController();
  const generations = new Set<Generation>();
  let current: Generation | undefined;
  let generationCount = 0;
  let lastError: string | undefined;
  let lastCheckAt: number | undefined;
  let running: Promise<CheckOutcome> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  function closeGeneration(gen: Generation): Promise<void> {
    gen.closed ??= gen.db.close().catch((error: unknown) => {
      logger.warn('closing a retired vulnerability DB failed', { error: messageOf(error) });
    });
    generations.delete(gen);
    return gen.closed;
  }

  function makeCurrent(gen: Generation): void {
    const old = current;
    current = gen;
    generations.add(gen);
    generationCount++;
    if (old !== undefined) {
      old.retired = true;
      if (old.leases === 0) void closeGeneration(old);
    }
  }

  function fail(message: string, error?: unknown): CheckOutcome {
    lastError = error === undefined ? message : `${message}: ${messageOf(error)}`;
    if (current) logger.error(`${lastError}; still serving the DB loaded before`, dbFields(current.metadata));
    else logger.error(`${lastError}; the server is not ready until a vulnerability DB is loaded`);
    return 'failed';
  }

  async function openCurrent(reason: string): Promise<boolean> {
    const local = await readLocalDb(options.cacheDir);
    let db: TrivyDb;
    try {
      db = await open(local.paths.db);
    } catch (error) {
      fail(`the vulnerability DB ${local.paths.db} cannot be opened`, error);
      return false;
    }
    const first = current === undefined;
    makeCurrent({ db, metadata: local.metadata, loadedAt: now(), leases: 0, retired: false });
    lastError = undefined;
    logger.info(first ? 'vulnerability DB loaded' : 'vulnerability DB swapped', {
      reason,
      path: local.paths.db,
      ...dbFields(local.metadata),
    });
    return true;
  }

  function sameMetadata(a: DbMetadata | undefined, b: DbMetadata | undefined): boolean {
    return JSON.stringify(a?.raw) === JSON.stringify(b?.raw);
  }

  async function download(reason: string): Promise<boolean> {
    if (options.downloader === undefined) {
      fail('the vulnerability DB needs a download but the server has no downloader');
      return false;
    }
    logger.info('downloading the vulnerability DB', { reason });
    try {
      await options.downloader.download({ signal: abort.signal });
    } catch (error) {
      if (abort.signal.aborted) return false;
      fail('the vulnerability DB download failed', error);
      return false;
    }
    return openCurrent(`downloaded: ${reason}`);
  }

  async function runCheck(): Promise<CheckOutcome> {
    lastCheckAt = now();
    const hadDb = current !== undefined;
    const local = await readLocalDb(options.cacheDir);
    let decision: { update: boolean; reason: string };
    try {
      decision = decideUpdate(local, { skipUpdate: options.skipUpdate, now: now() });
    } catch (error) {
      if (error instanceof DbError)
        return fail(`cannot use the vulnerability DB in ${local.paths.dir}`, error);
      throw error;
    }
    if (decision.update) {
      if (await download(decision.reason)) return hadDb ? 'updated' : 'loaded';
      // A stale DB answers scans better than none while the registry cannot be reached.
      if (
        current === undefined &&
        local.dbFileExists &&
        local.metadata !== undefined &&
        !abort.signal.aborted
      ) {
        if (
          await openCurrent('the download failed; serving the DB already on disk until an update succeeds')
        ) {
          logger.warn('serving the DB already on disk until an update succeeds', dbFields(local.metadata));
          return 'loaded';
        }
      }
      return 'failed';
    }
    if (current === undefined) {
      if (await openCurrent(decision.reason)) return 'loaded';
      // A DB that does not open is replaced, unless the operator said not to download.
      if (options.skipUpdate) return 'failed';
      return (await download('the local DB cannot be read')) ? 'loaded' : 'failed';
    }
    // Someone else (vigil db download, an init container) replaced the files: serve what is there now.
    if (local.dbFileExists && !sameMetadata(local.metadata, current.metadata)) {
      return (await openCurrent('the DB files changed on disk')) ? 'updated' : 'failed';
    }
    logger.debug('no vulnerability DB update needed', { reason: decision.reason });
    return 'unchanged';
  }

  function schedule(): void {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => void check(), current ? updateInterval : retryInterval);
    timer.unref();
  }

  function check(): Promise<CheckOutcome> {
    running ??= runCheck()
      .catch((error: unknown) => fail('the vulnerability DB check failed', error))
      .then((outcome) => {
        options.onCheck?.(outcome, status());
        return outcome;
      })
      .finally(() => {
        running = undefined;
        schedule();
      });
    return running;
  }

  function status(): DbStatus {
    let leases = 0;
    for (const gen of generations) leases += gen.leases;
    return {
      ready: current !== undefined,
      generation: generationCount,
      leases,
      ...(current ? { path: current.db.path, metadata: current.metadata, loadedAt: current.loadedAt } : {}),
      ...(lastError === undefined ? {} : { lastError }),
      ...(lastCheckAt === undefined ? {} : { lastCheckAt }),
    };
  }

  return {
    async start() {
      await check();
    },
    acquire() {
      const gen = current;
      if (gen === undefined || closed) return undefined;
      gen.leases++;
      let released = false;
      return {
        db: gen.db,
        metadata: gen.metadata,
        release() {
          if (released) return;
          released = true;
          gen.leases--;
          if (gen.retired && gen.leases === 0) void closeGeneration(gen);
        },
      };
    },
    status,
    check,
    async close() {
      closed = true;
      clearTimeout(timer);
      abort.abort(new Error('the server is shutting down'));
      await running?.catch(() => {});
      if (current) current.retired = true;
      current = undefined;
      await Promise.all([...generations].filter((g) => g.leases === 0).map(closeGeneration));
    },
  };
}

function dbFields(metadata: DbMetadata | undefined): Record<string, unknown> {
  if (metadata === undefined) return {};
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    updatedAt: iso(metadata.updatedAt),
    nextUpdate: iso(metadata.nextUpdate),
    downloadedAt: iso(metadata.downloadedAt),
  };
}
