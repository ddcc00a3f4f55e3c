export * from './bolt/index.js';
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
