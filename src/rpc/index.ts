// Trivy's Twirp protocol: the generated messages and service descriptors, typed server dispatch and client,
// and the conversions between Vigil's analysis/detection model and the wire messages.

export {
  CONTENT_TYPES,
  decodeMessage,
  type Encoding,
  encodeMessage,
  encodingOf,
  toGoJson,
  toMessage,
} from './codec.js';
export {
  ARTIFACT_SCHEMA_VERSION,
  fromRpcArtifactInfo,
  fromRpcBlobInfo,
  toRpcArtifactInfo,
  toRpcBlobInfo,
  toRpcPutArtifactRequest,
  toRpcPutBlobRequest,
  type WireArtifactInfo,
  type WireBlobInfo,
  type WireLicenseFile,
} from './convert-blob.js';
export {
  formatTimestamp,
  fromRpcLayer,
  fromRpcOS,
  fromRpcPackage,
  type PackageLike,
  timestampOf,
  toRpcLayer,
  toRpcOS,
  toRpcPackage,
  type WirePackage,
} from './convert-common.js';
export {
  type ClientScanResponse,
  fromRpcResult,
  fromRpcScanOptions,
  fromRpcScanResponse,
  fromRpcVulnerability,
  RELATIONSHIPS,
  type RelationshipName,
  type ScanRequestInput,
  toRpcResult,
  toRpcScanRequest,
  toRpcScanResponse,
  toRpcVulnerability,
  type WireScanOptions,
  type WireScanResponse,
} from './convert-scan.js';
export * as cachePb from './gen/rpc/cache/service_pb.js';
export { Cache } from './gen/rpc/cache/service_pb.js';
export * as commonPb from './gen/rpc/common/service_pb.js';
export * as scannerPb from './gen/rpc/scanner/service_pb.js';
export { Scanner } from './gen/rpc/scanner/service_pb.js';
export { acceptsGzip, type BodyLimits, readRequestBody } from './http-body.js';
export {
  createRemoteCache,
  createRemoteScanner,
  type RemoteCache,
  type RemoteOptions,
  type RemoteScanner,
} from './remote.js';
export {
  type CallOptions,
  createTwirpClient,
  type RetryPolicy,
  type ServiceClient,
  TRIVY_RETRY,
  TWIRP_VERSION,
  type TwirpClientOptions,
} from './twirp-client.js';
export {
  httpStatusOf,
  isTwirpCode,
  TWIRP_CODES,
  type TwirpCode,
  TwirpError,
  twirpErrorFromResponse,
} from './twirp-error.js';
export {
  type CallContext,
  type CallInfo,
  createTwirpHandler,
  DEFAULT_GZIP_MIN_BYTES,
  DEFAULT_PATH_PREFIX,
  registerService,
  type ServiceImpl,
  type ServiceRegistration,
  type TwirpHandler,
  type TwirpHandlerOptions,
} from './twirp-server.js';
