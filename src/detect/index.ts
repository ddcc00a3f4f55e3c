// The detection boundary: OS and language drivers against trivy-db, status, severity selection.
export {
  createDetector,
  type Detector,
  type DetectorOptions,
  type ScanOptions,
  type ScanOutcome,
} from './detector.js';
export type { DriverContext, OsDriver } from './drivers/driver.js';
export { DetectError, type DetectErrorCode } from './errors.js';
export { type FillInfoOptions, fillInfo, primaryUrl } from './fill-info.js';
export {
  applicationTarget,
  detectApplication,
  detectApplications,
  fixedVersionOf,
  isVulnerable,
  type LanguageDriver,
  languageDriver,
  normalizePackageName,
} from './library.js';
export { comparePackages, createOsDrivers, detectOsPackages, type OsDetection } from './os-detector.js';
export { major, minor } from './os-version.js';
export * from './types.js';
export { formatSrcVersion, formatVersion } from './versions.js';
