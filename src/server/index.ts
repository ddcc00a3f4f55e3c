// The scan server (`vigil server`): Trivy's Twirp services over an on-disk blob cache and a hot-swapped DB.
export { createTokenCheck, DEFAULT_TOKEN_HEADER, type TokenCheck } from './auth.js';
export {
  ARTIFACT_SCHEMA_VERSION,
  BLOB_SCHEMA_VERSION,
  type BlobStore,
  type BlobStoreStats,
  createLruIndex,
  type MissingBlobsResult,
} from './blob-store.js';
export {
  type CheckOutcome,
  createDbManager,
  DB_RETRY_INTERVAL_MS,
  DB_UPDATE_INTERVAL_MS,
  type DbLease,
  type DbManager,
  type DbManagerOptions,
  type DbStatus,
} from './db-manager.js';
export { messageOf, ServerError, type ServerErrorCode } from './errors.js';
export { DEFAULT_CACHE_MAX_BYTES, type FsBlobStoreOptions, openFsBlobStore } from './fs-blob-store.js';
export {
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_SHUTDOWN_GRACE_MS,
  type ScanServer,
  type ScanServerOptions,
  startScanServer,
  versionInfo,
} from './http-server.js';
export {
  createJsonLogger,
  type JsonLoggerOptions,
  type LogLevel,
  type ServerLogger,
  silentServerLogger,
} from './logger.js';
export { createMemoryBlobStore } from './memory-blob-store.js';
export { createServerMetrics, type ServerMetrics, type ServerMetricsOptions } from './metrics.js';
export { createRedisBlobStore, REDIS_KEY_PREFIX, type RedisBlobStoreOptions } from './redis-blob-store.js';
export { createRedisClient, type RedisClient, type RedisOptions, redisTarget } from './redis-client.js';
export {
  createScanStep,
  detectOptionsOf,
  filterBlobPackages,
  type ScanBlobsFunction,
  type ScanStepOptions,
} from './scan-step.js';
export { createCacheService, createScannerService, type ScanStep, type ScanStepRequest } from './services.js';
