export * from './bolt/index.js';
export { extractDbArchive } from './db-archive.js';
export {
  DB_FILE,
  type DbPaths,
  dbPaths,
  defaultCacheDir,
  type LocalDb,
  METADATA_FILE,
  readLocalDb,
} from './db-cache.js';
export {
  createDbDownloader,
  DB_CONFIG_MEDIA_TYPE,
  DB_LAYER_MEDIA_TYPE,
  type DbDownloader,
  type DbDownloaderOptions,
  type DbDownloadResult,
  DEFAULT_DB_REPOSITORIES,
  parseDbRepository,
  shouldTryOtherRepository,
} from './db-download.js';
export { type EnsureDbOptions, type EnsureDbResult, ensureDb } from './db-ensure.js';
export {
  type DbMetadata,
  formatGoTime,
  GO_ZERO_TIME_MS,
  isZeroTime,
  parseGoTime,
  parseMetadata,
  readMetadata,
  SCHEMA_VERSION,
} from './db-metadata.js';
export { type DbState, decideUpdate, type UpdateDecision } from './db-update.js';
export { DbError, type DbErrorCode } from './distribution-errors.js';
export { VulnDbError, type VulnDbErrorCode } from './errors.js';
export { applyFixtures, buildDbFromFixtures } from './fixture-loader.js';
export {
  decodeAdvisories,
  decodeAdvisory,
  decodeDataSource,
  decodeVulnerability,
  GoDecodeError,
} from './go-decode.js';
export { type GoValue, goJsonMarshal, goSprint } from './go-json.js';
export { parseGoYaml } from './go-yaml.js';
export {
  type AdvisoryRecord,
  type BucketCounts,
  createTrivyDb,
  DATA_SOURCE_BUCKET,
  DEFAULT_DECODED_CACHE_BYTES,
  openTrivyDb,
  type StoredValue,
  type TrivyDb,
  type TrivyDbInfo,
  type TrivyDbOptions,
  VULNERABILITY_BUCKET,
  type VulnerabilityRecord,
} from './trivy-db.js';
export * from './trivy-types.js';
