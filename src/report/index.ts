// The report boundary: Trivy's JSON report model and writer, the table for people, filtering and the exit code.
export { renderBoxTable } from './box-table.js';
export {
  buildReport,
  containerArtifactId,
  fillFingerprints,
  type ImageMetadata,
  type ReportInput,
  uuidV7,
  vulnerabilityFingerprint,
} from './build.js';
export { encodeReport, type JsonWriteOptions, writeJsonReport } from './encode.js';
export { type ExitOptions, exitCodeFor, hasFindings } from './exit-code.js';
export {
  ALL_SEVERITIES,
  compareVulnerabilities,
  type FilterOptions,
  filterReport,
  filterResult,
  filterVulnerabilities,
  ignoredStatuses,
} from './filter.js';
export { goTime } from './go-time.js';
export {
  createIgnoreMatcher,
  type IgnoreCandidate,
  type IgnoreEntry,
  IgnoreFileError,
  type IgnoreRules,
  loadIgnoreFile,
  parseIgnoreFile,
} from './ignore.js';
export type { ArtifactType, Metadata, Report, Result } from './model.js';
export { SCHEMA_VERSION } from './model.js';
export { renderTable, severityTotals, type TableOptions } from './table.js';
