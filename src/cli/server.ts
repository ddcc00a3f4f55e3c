import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { scanBlobs } from '../scan/index.js';
import {
  type BlobStore,
  createDbManager,
  createJsonLogger,
  createMemoryBlobStore,
  createRedisBlobStore,
  createScanStep,
  createServerMetrics,
  DEFAULT_CACHE_MAX_BYTES,
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_TOKEN_HEADER,
  type LogLevel,
  openFsBlobStore,
  type ScanBlobsFunction,
  ServerError,
  startScanServer,
} from '../server/index.js';
import { createDbDownloader, DEFAULT_DB_REPOSITORIES, defaultCacheDir } from '../vulndb/index.js';
import { resolveDbRepositories } from './db-repositories.js';
import { UsageError } from './errors.js';
import { readPackageVersion } from './version.js';

interface ServerOptions {
  listen: string;
  cacheDir: string;
  cacheBackend: string;
  cacheMaxSize: string;
  cacheTtl?: string;
  skipDbUpdate: boolean;
  dbRepository: string[];
  token?: string;
  tokenHeader: string;
  pathPrefix?: string;
  maxRequestSize: string;
  dbUpdateInterval: string;
  username?: string;
  password?: string;
  registryToken?: string;
  insecure: boolean;
  debug: boolean;
  quiet: boolean;
}

/** Vigil's default port for the scan server (Trivy's own default is localhost:4954). */
export const DEFAULT_LISTEN = '0.0.0.0:4975';

/**
 * `vigil server`: Trivy's `trivy server`, answering Trivy's clients and Vigil's over Twirp. Flags have
 * Trivy's names and TRIVY_* environment defaults where they mean the same (TRIVY_LISTEN, TRIVY_TOKEN,
 * TRIVY_TOKEN_HEADER, TRIVY_CACHE_DIR, TRIVY_CACHE_BACKEND, TRIVY_SKIP_DB_UPDATE, TRIVY_DB_REPOSITORY,
 * TRIVY_PATH_PREFIX, TRIVY_DEBUG, TRIVY_QUIET); the cache bound, body limit and update interval are Vigil's.
 * Logs are JSON lines on stderr. Runs until SIGTERM or SIGINT, then drains calls in flight and exits 0.
 */
export function registerServerCommand(program: Command): void {
  const env = process.env;
  const str = (name: string) => env[name] || undefined;
  const bool = (name: string) => /^(1|t|true)$/i.test(env[name] ?? '');
  program
    .command('server')
    .description('serve vulnerability scans to Trivy and Vigil clients (Trivy client/server protocol)')
    .addOption(
      new Option('--listen <address>', 'host:port to listen on ($TRIVY_LISTEN)').default(
        str('TRIVY_LISTEN') ?? DEFAULT_LISTEN,
      ),
    )
    .addOption(
      new Option('--cache-dir <dir>', 'cache directory: DB in <dir>/db, blob cache in <dir>/fanal').default(
        str('TRIVY_CACHE_DIR') ?? defaultCacheDir(env),
      ),
    )
    .addOption(
      new Option(
        '--cache-backend <backend>',
        'blob cache: fs (on disk), memory, or redis://[user:password@]host:port[/db] shared by replicas ($TRIVY_CACHE_BACKEND)',
      ).default(str('TRIVY_CACHE_BACKEND') ?? 'fs'),
    )
    .addOption(
      new Option(
        '--cache-ttl <duration>',
        'redis entries expire this long after they were written ($TRIVY_CACHE_TTL)',
      ).default(str('TRIVY_CACHE_TTL')),
    )
    .addOption(
      new Option(
        '--cache-max-size <size>',
        'bound on the blob cache, e.g. 512MiB, 2GiB ($VIGIL_CACHE_MAX_SIZE)',
      ).default(str('VIGIL_CACHE_MAX_SIZE') ?? `${DEFAULT_CACHE_MAX_BYTES / 1024 ** 3}GiB`),
    )
    .addOption(
      new Option(
        '--skip-db-update',
        'never download the DB; serve the one in the cache ($TRIVY_SKIP_DB_UPDATE)',
      ).default(bool('TRIVY_SKIP_DB_UPDATE')),
    )
    .addOption(
      new Option('--db-repository <ref>', 'OCI repository of trivy-db; repeat for fallbacks, tried in order')
        .argParser((value: string, previous: string[]) => [...previous, value])
        .default([], `$TRIVY_DB_REPOSITORY (comma-separated), else ${DEFAULT_DB_REPOSITORIES.join(', ')}`),
    )
    .addOption(
      new Option('--token <token>', 'token clients must send ($TRIVY_TOKEN); none: open to all').default(
        str('TRIVY_TOKEN'),
      ),
    )
    .addOption(
      new Option('--token-header <name>', 'header carrying the token ($TRIVY_TOKEN_HEADER)').default(
        str('TRIVY_TOKEN_HEADER') ?? DEFAULT_TOKEN_HEADER,
      ),
    )
    .addOption(
      new Option('--path-prefix <prefix>', 'Twirp path prefix (default /twirp; $TRIVY_PATH_PREFIX)').default(
        str('TRIVY_PATH_PREFIX'),
      ),
    )
    .addOption(
      new Option('--max-request-size <size>', 'largest request body accepted; larger ones get 413').default(
        `${DEFAULT_MAX_REQUEST_BYTES / 1024 ** 2}MiB`,
      ),
    )
    .addOption(
      new Option(
        '--db-update-interval <duration>',
        'how often to check whether the DB is due (Go duration)',
      ).default('1h'),
    )
    .option('--username <username>', 'registry username for the DB (default $TRIVY_USERNAME)')
    .option('--password <password>', 'registry password for the DB (default $TRIVY_PASSWORD)')
    .option('--registry-token <token>', 'bearer token for the DB registry (default $TRIVY_REGISTRY_TOKEN)')
    .addOption(
      new Option('--insecure', 'allow plain HTTP and skip TLS checks for the DB registry').default(
        bool('TRIVY_INSECURE'),
      ),
    )
    .addOption(new Option('-d, --debug', 'debug logs ($TRIVY_DEBUG)').default(bool('TRIVY_DEBUG')))
    .addOption(
      new Option('-q, --quiet', 'warnings and errors only ($TRIVY_QUIET)').default(bool('TRIVY_QUIET')),
    )
    .action(async (options: ServerOptions) => {
      await runServer(options, env);
    });
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

export function parseSize(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = SIZE_UNITS[(m?.[2] ?? '').toLowerCase()];
  if (!m || unit === undefined)
    throw new UsageError(`${flag}: ${JSON.stringify(text)} is not a size (e.g. 64MiB, 2GiB, 1000000)`);
  const bytes = Math.floor(Number(m[1]) * unit);
  if (bytes <= 0) throw new UsageError(`${flag}: must be more than 0`);
  return bytes;
}

/** host:port as Go's net.Listen takes it: ":4975" is every interface, "[::1]:4975" an IPv6 address. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = Number(m?.[3]);
  if (!m || port > 65535)
    throw new UsageError(`--listen: ${JSON.stringify(text)} is not host:port (e.g. 0.0.0.0:4975)`);
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? '0.0.0.0' : host === 'localhost' ? '127.0.0.1' : host, port };
}

const DURATION_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Whole-unit Go durations ("1h", "30m", "1h30m", "90s"). */
export function parseInterval(flag: string, text: string): number {
  let total = 0;
  let rest = text.trim();
  if (rest === '') throw new UsageError(`${flag}: empty duration`);
  while (rest !== '') {
    const m = /^(\d+)(ms|s|m|h)/.exec(rest);
    if (!m) throw new UsageError(`${flag}: ${JSON.stringify(text)} is not a duration (e.g. 1h, 30m, 90s)`);
    total += Number(m[1]) * (DURATION_MS[m[2] ?? 's'] ?? 1000);
    rest = rest.slice(m[0].length);
  }
  if (total < 1000) throw new UsageError(`${flag}: must be at least 1s`);
  return total;
}

async function runServer(options: ServerOptions, env: NodeJS.ProcessEnv): Promise<void> {
  const listen = parseListen(options.listen);
  const maxBytes = parseSize('--cache-max-size', options.cacheMaxSize);
  const maxRequestBytes = parseSize('--max-request-size', options.maxRequestSize);
  const updateIntervalMs = parseInterval('--db-update-interval', options.dbUpdateInterval);
  if (!/^[A-Za-z0-9-]+$/.test(options.tokenHeader)) {
    throw new UsageError(`--token-header: ${JSON.stringify(options.tokenHeader)} is not an HTTP header name`);
  }
  const repositories = resolveDbRepositories(
    options.dbRepository,
    env.TRIVY_DB_REPOSITORY ? env.TRIVY_DB_REPOSITORY.split(',').map((r) => r.trim()) : undefined,
  );
  const redis = /^rediss?:\/\//.test(options.cacheBackend);
  if (!redis && options.cacheBackend !== 'fs' && options.cacheBackend !== 'memory') {
    throw new UsageError(
      `--cache-backend: ${JSON.stringify(options.cacheBackend)} is not fs, memory or a redis:// URL`,
    );
  }
  const ttlSeconds = options.cacheTtl ? parseInterval('--cache-ttl', options.cacheTtl) / 1000 : undefined;
  const level: LogLevel = options.debug ? 'debug' : options.quiet ? 'warn' : 'info';
  const logger = createJsonLogger({
    level,
    base: { component: 'vigil-server' },
    redact: [`headers["${options.tokenHeader.toLowerCase()}"]`],
  });

  let store: BlobStore;
  try {
    store = redis
      ? createRedisBlobStore({ url: options.cacheBackend, logger, ...(ttlSeconds ? { ttlSeconds } : {}) })
      : options.cacheBackend === 'memory'
        ? createMemoryBlobStore({ maxBytes })
        : await openFsBlobStore({ dir: join(options.cacheDir, 'fanal'), maxBytes, logger });
  } catch (error) {
    throw new UsageError(ServerError.is(error) ? error.message : String(error), {
      exitCode: 1,
      cause: error,
    });
  }
  const downloader = options.skipDbUpdate
    ? undefined
    : createDbDownloader({
        cacheDir: options.cacheDir,
        repositories,
        logger,
        registry: {
          env,
          username: options.username ?? (env.TRIVY_USERNAME || undefined),
          password: options.password ?? (env.TRIVY_PASSWORD || undefined),
          registryToken: options.registryToken ?? (env.TRIVY_REGISTRY_TOKEN || undefined),
          insecure: options.insecure,
          logger,
        },
      });
  let onDbCheck: (outcome: string) => void = () => {};
  const db = createDbManager({
    cacheDir: options.cacheDir,
    skipUpdate: options.skipDbUpdate,
    ...(downloader ? { downloader } : {}),
    logger,
    updateIntervalMs,
    onCheck: (outcome) => onDbCheck(outcome),
  });
  const metrics = createServerMetrics({ cacheStats: () => store.stats(), dbStatus: () => db.status() });
  onDbCheck = (outcome) => metrics.dbCheckDone(outcome);

  let server: Awaited<ReturnType<typeof startScanServer>>;
  try {
    server = await startScanServer({
      host: listen.host,
      port: listen.port,
      store,
      db,
      scan: createScanStep({ scanBlobs: scanBlobs as unknown as ScanBlobsFunction, logger }),
      metrics,
      logger,
      version: readPackageVersion(),
      ...(options.token ? { token: options.token } : {}),
      tokenHeader: options.tokenHeader,
      ...(options.pathPrefix ? { pathPrefix: options.pathPrefix } : {}),
      maxRequestBytes,
    });
  } catch (error) {
    await db.close();
    await store.close();
    throw new UsageError(ServerError.is(error) ? error.message : String(error), {
      exitCode: 1,
      cause: error,
    });
  }
  logger.info('loading the vulnerability DB', {
    cacheDir: options.cacheDir,
    skipUpdate: options.skipDbUpdate,
  });
  void db.start();

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn('second signal: exiting without waiting', { signal });
        process.exit(1);
      }
      stopping = true;
      logger.info('shutting down', { signal });
      void (async () => {
        await server.close();
        await db.close();
        await store.close();
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        resolve();
      })();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
