// Helpers for the scan server tests: the test DB placed in a cache directory as a download would leave it,
// an in-process server over it with a log that tests can read, and Vigil's own Twirp clients. Test support only.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cache, createTwirpClient, Scanner } from '../rpc/index.js';
import { scanBlobs } from '../scan/index.js';
import { scanFixture } from '../scan/testkit.js';
import { buildDbFromFixtures, type DbDownloader } from '../vulndb/index.js';
import { trivyDbFixturesDir } from '../vulndb/testkit.js';
import type { BlobStore } from './blob-store.js';
import { createDbManager, type DbManager } from './db-manager.js';
import { type ScanServer, startScanServer } from './http-server.js';
import type { ServerLogger } from './logger.js';
import { createMemoryBlobStore } from './memory-blob-store.js';
import { createServerMetrics } from './metrics.js';
import { createScanStep, type ScanBlobsFunction } from './scan-step.js';

/** The YAML fixtures of the test DB: Trivy's integration fixtures plus the scan tests' real advisories. */
export function testDbFixtures(): string[] {
  const dir = trivyDbFixturesDir();
  const shared = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(dir, f));
  return [...shared, scanFixture()];
}

export function metadataText(now: number, options: { updatedAgoMs?: number; version?: number } = {}): string {
  return JSON.stringify({
    Version: options.version ?? 2,
    NextUpdate: new Date(now + 24 * 3_600_000).toISOString(),
    UpdatedAt: new Date(now - (options.updatedAgoMs ?? 3_600_000)).toISOString(),
    DownloadedAt: new Date(now).toISOString(),
  });
}

/** `<cacheDir>/db/trivy.db` and metadata.json as `vigil db download` leaves them (DownloadedAt set). */
export async function placeTestDb(
  cacheDir: string,
  options: { now?: number; updatedAgoMs?: number } = {},
): Promise<void> {
  mkdirSync(join(cacheDir, 'db'), { recursive: true });
  await buildDbFromFixtures(testDbFixtures(), join(cacheDir, 'db', 'trivy.db'));
  writeFileSync(join(cacheDir, 'db', 'metadata.json'), metadataText(options.now ?? Date.now(), options));
}

export interface LogLine {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

export function recordingLogger(): ServerLogger & { lines: LogLine[]; text(): string } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      lines.push({ level, message, fields });
    };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    text: () => lines.map((l) => `${l.level} ${l.message} ${JSON.stringify(l.fields)}`).join('\n'),
  };
}

export interface TestServer {
  server: ScanServer;
  db: DbManager;
  store: BlobStore;
  logger: ReturnType<typeof recordingLogger>;
  cache: ReturnType<typeof createTwirpClient<typeof Cache>>;
  scanner: ReturnType<typeof createTwirpClient<typeof Scanner>>;
  close(): Promise<void>;
}

export async function startTestServer(options: {
  cacheDir: string;
  token?: string;
  tokenHeader?: string;
  skipUpdate?: boolean;
  downloader?: DbDownloader;
  store?: BlobStore;
  maxRequestBytes?: number;
  /** Do not run the DB's first check (the server stays not ready until the test checks). */
  noDbStart?: boolean;
}): Promise<TestServer> {
  const logger = recordingLogger();
  const store = options.store ?? createMemoryBlobStore();
  const db = createDbManager({
    cacheDir: options.cacheDir,
    skipUpdate: options.skipUpdate ?? true,
    ...(options.downloader ? { downloader: options.downloader } : {}),
    logger,
  });
  const metrics = createServerMetrics({
    cacheStats: () => store.stats(),
    dbStatus: () => db.status(),
    processMetrics: false,
  });
  const server = await startScanServer({
    host: '127.0.0.1',
    port: 0,
    store,
    db,
    scan: createScanStep({ scanBlobs: scanBlobs as unknown as ScanBlobsFunction, logger }),
    metrics,
    logger,
    version: '0.0.0-test',
    ...(options.token ? { token: options.token } : {}),
    ...(options.tokenHeader ? { tokenHeader: options.tokenHeader } : {}),
    ...(options.maxRequestBytes ? { maxRequestBytes: options.maxRequestBytes } : {}),
    shutdownGraceMs: 2000,
  });
  if (!options.noDbStart) await db.start();
  const headers = options.token ? { [options.tokenHeader ?? 'Trivy-Token']: options.token } : undefined;
  const clientOptions = { baseUrl: server.url, retry: false as const, ...(headers ? { headers } : {}) };
  return {
    server,
    db,
    store,
    logger,
    cache: createTwirpClient(Cache, clientOptions),
    scanner: createTwirpClient(Scanner, clientOptions),
    async close() {
      await server.close();
      await db.close();
      await store.close();
    },
  };
}
