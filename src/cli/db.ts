import { once } from 'node:events';
import { stat } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { ImageError, type Logger } from '../image/index.js';
import {
  BoltError,
  type Bucket,
  createDbDownloader,
  DbError,
  type DbMetadata,
  DEFAULT_DB_REPOSITORIES,
  defaultCacheDir,
  ensureDb,
  formatGoTime,
  type LocalDb,
  openBolt,
  openTrivyDb,
  readLocalDb,
  type TrivyDb,
  VulnDbError,
} from '../vulndb/index.js';
import { resolveDbRepositories } from './db-repositories.js';
import { UsageError } from './errors.js';

interface DownloadOptions {
  dbRepository: string[];
  cacheDir: string;
  username?: string;
  password?: string;
  registryToken?: string;
  insecure?: boolean;
  force?: boolean;
  quiet?: boolean;
}

/**
 * `vigil db`: download trivy-db the way Trivy does, and look inside it. Flags have Trivy's names and
 * TRIVY_* environment defaults (TRIVY_CACHE_DIR, TRIVY_DB_REPOSITORY, TRIVY_USERNAME, TRIVY_PASSWORD,
 * TRIVY_REGISTRY_TOKEN, TRIVY_INSECURE), so a Trivy setup works unchanged.
 */
export function registerDbCommand(program: Command): void {
  const env = process.env;
  const cacheDirOption = () =>
    new Option('--cache-dir <dir>', 'cache directory; the DB is <dir>/db/trivy.db').default(
      env.TRIVY_CACHE_DIR || defaultCacheDir(env),
    );
  const db = program.command('db').description('download, inspect and query the vulnerability DB (trivy-db)');

  db.command('download')
    .description("download or update the vulnerability DB when Trivy's rules say it is due")
    .addOption(
      new Option(
        '--db-repository <ref>',
        'OCI repository to download trivy-db from; repeat for fallbacks, tried in order',
      )
        .argParser((value: string, previous: string[]) => [...previous, value])
        .default([], `$TRIVY_DB_REPOSITORY (comma-separated), else ${DEFAULT_DB_REPOSITORIES.join(', ')}`),
    )
    .addOption(cacheDirOption())
    .option('--username <username>', 'registry username (default $TRIVY_USERNAME)')
    .option('--password <password>', 'registry password (default $TRIVY_PASSWORD)')
    .option('--registry-token <token>', 'bearer token for the registry (default $TRIVY_REGISTRY_TOKEN)')
    .option('--insecure', 'skip TLS verification and allow plain HTTP (default $TRIVY_INSECURE)')
    .option('--force', 'download even when the local DB is up to date')
    .option('-q, --quiet', 'print nothing but errors')
    .action(async (options: DownloadOptions) => {
      const repositories = resolveDbRepositories(
        options.dbRepository,
        env.TRIVY_DB_REPOSITORY ? env.TRIVY_DB_REPOSITORY.split(',').map((r) => r.trim()) : undefined,
      );
      const logger = stderrLogger(options.quiet ?? false);
      await userFacing(async () => {
        const downloader = createDbDownloader({
          cacheDir: options.cacheDir,
          repositories,
          logger,
          registry: {
            env,
            username: options.username,
            password: options.password,
            registryToken: options.registryToken,
            insecure: options.insecure ?? env.TRIVY_INSECURE === 'true',
            logger,
          },
        });
        const result = await ensureDb({
          cacheDir: options.cacheDir,
          downloader,
          force: options.force ?? false,
          logger,
        });
        if (result.downloaded === undefined) {
          logger.info(
            `the vulnerability DB is up to date (${result.reason}); use --force to download anyway`,
          );
        }
      });
    });

  db.command('info')
    .description('show the DB metadata, file size and top-level buckets with their key counts')
    .addOption(cacheDirOption())
    .addOption(
      new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'),
    )
    .action(async (options: { cacheDir: string; format: 'table' | 'json' }) => {
      await userFacing(async () => {
        const local = await requireDb(options.cacheDir);
        const size = (await stat(local.paths.db)).size;
        await withTrivyDb(local, async (trivyDb) => {
          const buckets = [];
          for (const name of await trivyDb.rootBuckets()) {
            const counts = await trivyDb.countBucket(name);
            buckets.push({ name, buckets: counts?.buckets ?? 0, keys: counts?.values ?? 0 });
          }
          const meta = local.metadata;
          const info = {
            cacheDir: options.cacheDir,
            path: local.paths.db,
            fileSize: size,
            schemaVersion: meta?.version ?? null,
            updatedAt: meta ? timeText(meta, 'UpdatedAt', meta.updatedAt) : null,
            nextUpdate: meta ? timeText(meta, 'NextUpdate', meta.nextUpdate) : null,
            downloadedAt: meta ? timeText(meta, 'DownloadedAt', meta.downloadedAt) : null,
            ...(local.metadataProblem === undefined ? {} : { metadataProblem: local.metadataProblem }),
            buckets,
          };
          if (options.format === 'json') {
            process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
            return;
          }
          const unknown = `unknown (${local.metadataProblem ?? ''})`;
          const width = Math.max(6, ...buckets.map((b) => b.name.length));
          const lines = [
            `Cache directory: ${info.cacheDir}`,
            `DB file:         ${info.path} (${formatBytes(size)})`,
            `Schema version:  ${info.schemaVersion ?? unknown}`,
            `UpdatedAt:       ${info.updatedAt ?? unknown}`,
            `NextUpdate:      ${info.nextUpdate ?? unknown}`,
            `DownloadedAt:    ${info.downloadedAt ?? unknown}`,
            '',
            `${'BUCKET'.padEnd(width)}  ${'BUCKETS'.padStart(8)}  ${'KEYS'.padStart(9)}`,
            ...buckets.map(
              (b) =>
                `${b.name.padEnd(width)}  ${String(b.buckets).padStart(8)}  ${String(b.keys).padStart(9)}`,
            ),
          ];
          process.stdout.write(`${lines.join('\n')}\n`);
        });
      });
    });

  db.command('get')
    .description(
      'print the advisories stored for a package in a bucket, as a JSON object by vulnerability ID',
    )
    .argument(
      '<bucket>',
      'a top-level bucket, e.g. "debian 12" or "npm::GitHub Security Advisory npm" ("npm::" for all)',
    )
    .argument('<package>', 'the package name as stored, e.g. openssl')
    .addOption(cacheDirOption())
    .action(async (bucket: string, pkg: string, options: { cacheDir: string }) => {
      await userFacing(async () => {
        const local = await requireDb(options.cacheDir);
        await withTrivyDb(local, async (trivyDb) => {
          const roots = await trivyDb.rootBuckets(bucket);
          if (!(bucket.includes('::') ? roots.length > 0 : roots.includes(bucket))) {
            throw new UsageError(
              `there is no bucket ${JSON.stringify(bucket)} in ${local.paths.db}; vigil db info lists the buckets`,
              { exitCode: 1 },
            );
          }
          const advisories = await trivyDb.forEachAdvisory([bucket], pkg);
          // Built by hand: JSON.stringify of an object would move numeric-looking IDs to the front.
          const entries = [...advisories].map(
            ([id, value]) =>
              `  ${JSON.stringify(id)}: ${JSON.stringify(storedJson(value.content), null, 2).replace(/\n/g, '\n  ')}`,
          );
          process.stdout.write(entries.length === 0 ? '{}\n' : `{\n${entries.join(',\n')}\n}\n`);
        });
      });
    });

  db.command('dump')
    .description('print every key as one JSON line: {"path":[bucket,…],"key":…,"value":…} (value as stored)')
    .addOption(cacheDirOption())
    .action(async (options: { cacheDir: string }) => {
      await userFacing(async () => {
        const local = await requireDb(options.cacheDir);
        const bolt = await openBolt(local.paths.db);
        const out = createLineWriter(process.stdout);
        try {
          const walk = async (bucket: Bucket, path: string[]): Promise<void> => {
            for await (const entry of bucket.entries()) {
              if (out.closed) return;
              const key = entry.key.toString('utf8');
              if (entry.bucket !== undefined) await walk(entry.bucket, [...path, key]);
              else await out.write(`${JSON.stringify({ path, key, value: entry.value.toString('utf8') })}\n`);
            }
          };
          await walk(bolt.root, []);
          await out.end();
        } finally {
          await bolt.close();
        }
      });
    });
}

async function requireDb(cacheDir: string): Promise<LocalDb> {
  const local = await readLocalDb(cacheDir);
  if (!local.dbFileExists) {
    throw new UsageError(`there is no vulnerability DB at ${local.paths.db}; run vigil db download first`, {
      exitCode: 1,
    });
  }
  return local;
}

async function withTrivyDb(local: LocalDb, use: (db: TrivyDb) => Promise<void>): Promise<void> {
  const trivyDb = await openTrivyDb(local.paths.db);
  try {
    await use(trivyDb);
  } finally {
    await trivyDb.close();
  }
}

/** Failures of the layers below become one-line messages with exit code 1. */
async function userFacing(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (
      error instanceof DbError ||
      error instanceof ImageError ||
      error instanceof BoltError ||
      error instanceof VulnDbError
    ) {
      throw new UsageError(error.message, { exitCode: 1, cause: error });
    }
    throw error;
  }
}

/** The time as metadata.json has it (nanoseconds kept), or Go's rendering when the field was absent. */
function timeText(meta: DbMetadata, field: string, ms: number): string {
  const raw = meta.raw[field];
  return typeof raw === 'string' ? raw : formatGoTime(ms);
}

/** A stored value as JSON when it is JSON, else the string (bolt-fixtures stores scalars raw). */
function storedJson(content: Buffer): unknown {
  const text = content.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}, ${bytes} bytes`;
}

/** Batches lines into stdout with backpressure; a closed pipe (`| head`) ends the output quietly. */
function createLineWriter(stream: NodeJS.WriteStream) {
  let buffer = '';
  let closed = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') closed = true;
  });
  const flush = async () => {
    if (buffer === '' || closed) return;
    const chunk = buffer;
    buffer = '';
    if (!stream.write(chunk)) await Promise.race([once(stream, 'drain'), once(stream, 'close')]);
  };
  return {
    get closed() {
      return closed;
    },
    async write(line: string) {
      buffer += line;
      if (buffer.length >= 64 * 1024) await flush();
    },
    end: flush,
  };
}

function stderrLogger(quiet: boolean): Logger {
  const line = (level: string, message: string, fields?: Record<string, unknown>) => {
    const extra = Object.entries(fields ?? {})
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    process.stderr.write(`${new Date().toISOString()} ${level} ${message}${extra ? `  ${extra}` : ''}\n`);
  };
  return {
    debug: () => {},
    info: (message, fields) => {
      if (!quiet) line('INFO', message, fields);
    },
    warn: (message, fields) => {
      if (!quiet) line('WARN', message, fields);
    },
  };
}
