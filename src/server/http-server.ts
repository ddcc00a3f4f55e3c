/**
 * The scan server's HTTP front: Twirp under the path prefix (token-checked, size-limited, gzip), and the
 * plain endpoints Trivy serves (GET /healthz → "ok", GET /version → VersionInfo JSON) plus Vigil's
 * GET /readyz (503 until a DB is loaded) and GET /metrics. Graceful close: stop accepting, let calls in flight
 * finish (30 s by default, as Trivy's server), then cut what is left.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Cache, createTwirpHandler, registerService, Scanner, type TwirpHandler } from '../rpc/index.js';
import { formatGoTime } from '../vulndb/index.js';
import { createTokenCheck, DEFAULT_TOKEN_HEADER } from './auth.js';
import type { BlobStore } from './blob-store.js';
import type { DbManager } from './db-manager.js';
import { messageOf, ServerError } from './errors.js';
import type { ServerLogger } from './logger.js';
import type { ServerMetrics } from './metrics.js';
import { createCacheService, createScannerService, type ScanStep } from './services.js';

export const DEFAULT_MAX_REQUEST_BYTES = 64 * 1024 * 1024;
export const DEFAULT_SHUTDOWN_GRACE_MS = 30_000;

export interface ScanServerOptions {
  host: string;
  port: number;
  store: BlobStore;
  db: DbManager;
  scan: ScanStep;
  metrics: ServerMetrics;
  logger: ServerLogger;
  /** Vigil's version, reported by GET /version. */
  version: string;
  token?: string;
  tokenHeader?: string;
  pathPrefix?: string;
  /** Largest request body, compressed or not (default 64 MiB); larger ones get 413. */
  maxRequestBytes?: number;
  shutdownGraceMs?: number;
}

export interface ScanServer {
  /** http://host:port as bound (the real port when 0 was asked for). */
  readonly url: string;
  readonly address: AddressInfo;
  /** Stops accepting, waits for calls in flight up to the grace period, then closes every connection. */
  close(): Promise<void>;
}

export async function startScanServer(options: ScanServerOptions): Promise<ScanServer> {
  const { logger, metrics, db } = options;
  const tokenHeader = options.tokenHeader ?? DEFAULT_TOKEN_HEADER;
  const tokenCheck = createTokenCheck(options.token, tokenHeader);
  if (!tokenCheck.enabled) {
    logger.warn(
      'no token is set: the scan server answers anyone who can reach it (set --token or TRIVY_TOKEN)',
    );
  }
  const twirp: TwirpHandler = createTwirpHandler({
    services: [
      registerService(Cache, createCacheService(options.store, logger)),
      registerService(
        Scanner,
        createScannerService({
          store: options.store,
          db,
          scan: options.scan,
          logger,
          onScan: (code, seconds) => metrics.scanDone(code, seconds),
        }),
      ),
    ],
    ...(options.pathPrefix ? { pathPrefix: options.pathPrefix } : {}),
    limits: { maxBytes: options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES },
    before: ({ headers }) => tokenCheck.verify(headers),
    onCallEnd(info) {
      metrics.rpcDone(info.procedure, info.code, info.durationMs / 1000);
      const fields = { procedure: info.procedure, code: info.code, durationMs: Math.round(info.durationMs) };
      if (info.error === undefined) logger.debug('rpc', fields);
      else if (info.error.httpStatus >= 500 && info.error.code !== 'unavailable') {
        logger.error('rpc failed', { ...fields, error: info.error.message });
      } else logger.info('rpc refused', { ...fields, error: info.error.message });
    },
  });

  let inFlight = 0;
  let idle: (() => void) | undefined;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (twirp.matches(pathname)) return twirp.handle(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(res, 405, 'method not allowed\n');
    switch (pathname) {
      case '/healthz':
        return text(res, 200, 'ok');
      case '/readyz': {
        const status = db.status();
        if (status.ready) return text(res, 200, 'ok');
        return text(res, 503, `not ready: ${status.lastError ?? 'the vulnerability DB is loading'}\n`);
      }
      case '/version':
        return json(res, 200, versionInfo(options.version, db));
      case '/metrics': {
        const { contentType, body } = await metrics.render();
        res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      default:
        return text(res, 404, '404 page not found\n');
    }
  }

  const server: Server = createServer((req, res) => {
    inFlight++;
    res.once('close', () => {
      inFlight--;
      if (inFlight === 0) idle?.();
    });
    route(req, res).catch((error: unknown) => {
      logger.error('request failed', { path: req.url, error: messageOf(error) });
      if (!res.headersSent) text(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  // Go's ReadHeaderTimeout in Trivy's server is 10 s.
  server.headersTimeout = 10_000;
  server.requestTimeout = 300_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => {
      reject(
        new ServerError(
          'SERVER_LISTEN',
          `cannot listen on ${options.host}:${options.port}: ${error.message}`,
          error,
        ),
      );
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  logger.info('scan server listening', {
    address: `${host}:${address.port}`,
    auth: tokenCheck.enabled ? `token in header ${tokenHeader}` : 'none',
    cache: options.store.backend,
  });

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    address,
    close() {
      closing ??= (async () => {
        const grace = options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        if (inFlight > 0) {
          logger.info('waiting for calls in flight', { inFlight, graceMs: grace });
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            new Promise<void>((resolve) => {
              idle = resolve;
            }),
            new Promise<void>((resolve) => {
              timer = setTimeout(resolve, grace);
            }),
          ]);
          clearTimeout(timer);
        }
        server.closeAllConnections();
        await stopped;
        logger.info('scan server stopped');
      })();
      return closing;
    },
  };
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = `${JSON.stringify(value)}\n`;
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Trivy's types.VersionInfo: Version, and the loaded DB's metadata in trivy-db's field order. */
export function versionInfo(version: string, db: DbManager): Record<string, unknown> {
  const metadata = db.status().metadata;
  return {
    Version: version,
    ...(metadata
      ? {
          VulnerabilityDB: {
            ...(metadata.version === 0 ? {} : { Version: metadata.version }),
            NextUpdate: formatGoTime(metadata.nextUpdate),
            UpdatedAt: formatGoTime(metadata.updatedAt),
            DownloadedAt: formatGoTime(metadata.downloadedAt),
          },
        }
      : {}),
  };
}
