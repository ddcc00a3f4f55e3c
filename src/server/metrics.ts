/**
 * The server's Prometheus metrics, on a registry of its own (never prom-client's global one): scans and their
 * latency, every RPC's outcome and latency, cache hits and misses as MissingBlobs finds them, the cache's
 * size, the DB's age and readiness, DB update outcomes, and the process's own metrics (RSS, CPU, event loop).
 * Gauges that mirror state (cache size, DB age) are computed when scraped.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { BlobStoreStats } from './blob-store.js';
import type { DbStatus } from './db-manager.js';

export interface ServerMetrics {
  readonly registry: Registry;
  rpcDone(procedure: string, code: string, seconds: number): void;
  scanDone(code: string, seconds: number): void;
  dbCheckDone(outcome: string): void;
  /** Content type and body for GET /metrics. */
  render(): Promise<{ contentType: string; body: string }>;
}

export interface ServerMetricsOptions {
  cacheStats: () => BlobStoreStats;
  dbStatus: () => DbStatus;
  now?: () => number;
  /** Process metrics (default true; tests that build many servers turn them off). */
  processMetrics?: boolean;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export function createServerMetrics(options: ServerMetricsOptions): ServerMetrics {
  const registry = new Registry();
  const now = options.now ?? Date.now;
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'vigil_server_' });

  const rpcRequests = new Counter({
    name: 'vigil_server_rpc_requests_total',
    help: 'Twirp calls answered, by procedure and Twirp code ("ok" for success).',
    labelNames: ['procedure', 'code'],
    registers: [registry],
  });
  const rpcDuration = new Histogram({
    name: 'vigil_server_rpc_duration_seconds',
    help: 'Time from receiving a Twirp call to writing its answer, by procedure.',
    labelNames: ['procedure'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const scans = new Counter({
    name: 'vigil_server_scans_total',
    help: 'Scan calls answered, by Twirp code ("ok" for success).',
    labelNames: ['code'],
    registers: [registry],
  });
  const scanDuration = new Histogram({
    name: 'vigil_server_scan_duration_seconds',
    help: 'Time to answer a Scan call (apply layers, detect, encode).',
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const dbChecks = new Counter({
    name: 'vigil_server_db_checks_total',
    help: 'Vulnerability DB checks, by outcome (loaded, updated, unchanged, failed).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  new Counter({
    name: 'vigil_server_cache_hits_total',
    help: 'Blobs MissingBlobs found in the cache.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(options.cacheStats().hits);
    },
  });
  new Counter({
    name: 'vigil_server_cache_misses_total',
    help: 'Blobs MissingBlobs reported missing.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(options.cacheStats().misses);
    },
  });
  new Counter({
    name: 'vigil_server_cache_evictions_total',
    help: 'Cache entries evicted to stay under the size bound.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(options.cacheStats().evictions);
    },
  });
  new Gauge({
    name: 'vigil_server_cache_bytes',
    help: 'Bytes held by the blob and artifact cache.',
    registers: [registry],
    collect() {
      this.set(options.cacheStats().bytes);
    },
  });
  new Gauge({
    name: 'vigil_server_cache_entries',
    help: 'Entries in the blob and artifact cache.',
    registers: [registry],
    collect() {
      this.set(options.cacheStats().entries);
    },
  });
  new Gauge({
    name: 'vigil_server_db_ready',
    help: '1 when a vulnerability DB is loaded and scans are answered, else 0.',
    registers: [registry],
    collect() {
      this.set(options.dbStatus().ready ? 1 : 0);
    },
  });
  new Gauge({
    name: 'vigil_server_db_age_seconds',
    help: "Seconds since the loaded vulnerability DB was built (its metadata's UpdatedAt); absent without a DB.",
    registers: [registry],
    collect() {
      this.reset();
      const metadata = options.dbStatus().metadata;
      if (metadata !== undefined) this.set(Math.max(0, (now() - metadata.updatedAt) / 1000));
    },
  });

  return {
    registry,
    rpcDone(procedure, code, seconds) {
      rpcRequests.inc({ procedure, code });
      rpcDuration.observe({ procedure }, seconds);
    },
    scanDone(code, seconds) {
      scans.inc({ code });
      scanDuration.observe(seconds);
    },
    dbCheckDone(outcome) {
      dbChecks.inc({ outcome });
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
