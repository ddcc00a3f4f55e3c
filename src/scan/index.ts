// The scan pipeline shared by standalone scans and (later) the scan server and its clients:
// inspectImage (the analysing half) and scanBlobs / scanCachedBlobs (the detecting half).
export {
  ARTIFACT_SCHEMA_VERSION,
  type ArtifactCache,
  type ArtifactInfo,
  type Cache,
  createMemoryCache,
  type LocalArtifactCache,
  type MissingBlobs,
} from './artifact-cache.js';
export { analyzerVersions, calcKey, VIGIL_BLOB_FORMAT } from './cache-key.js';
export { messageOf, ScanError, type ScanErrorCode } from './errors.js';
export {
  createFsCache,
  DEFAULT_CACHE_MAX_BYTES,
  type FsCache,
  type FsCacheOptions,
  type FsCacheStats,
} from './fs-cache.js';
export { formatGoDuration, parseGoDuration } from './go-duration.js';
export { packageUid, scanTargetOf } from './identifiers.js';
export { type MatchedReference, matchReference } from './image-metadata.js';
export {
  createdByOf,
  DEFAULT_LAYER_PARALLELISM,
  type ImageMetadata,
  type InspectedImage,
  type InspectOptions,
  inspectImage,
  type LayerProgress,
} from './inspect-image.js';
export { createProgress, type ProgressOptions } from './progress.js';
export { packageUrl } from './purl.js';
export { type ScanBlobsOptions, type ScanResponse, scanBlobs, scanCachedBlobs } from './scan-blobs.js';
export { openScanDb, type ScanDbOptions } from './scan-db.js';
export {
  createImageScanner,
  type ImageScanner,
  type ImageScannerOptions,
  type ScanOutcome,
  type ScanRequest,
} from './scanner.js';
