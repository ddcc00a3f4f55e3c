export { type ScanJobConfig, TRIVY_CONFIG_NAME } from './config.js';
export {
  credentialsForImage,
  normalizeRegistry,
  type PullSecretNamesInput,
  parseDockerConfigSecret,
  pullSecretNames,
  type RegistryCredential,
  RegistryCredentialsError,
  registryOfImage,
  type SecretRef,
  serviceAccountOf,
} from './credentials.js';
export { decodeScanOutput, ScanOutputError } from './decode.js';
export { isValidLabelValue, shortHash } from './hash.js';
export {
  ANNOTATION_CONTAINER_IMAGES,
  ANNOTATION_RESOURCE_NAME,
  ANNOTATION_SECRET_TTL,
  ANNOTATION_SKIP_DIRS,
  ANNOTATION_SKIP_FILES,
  buildScanJob,
  CACHE_DIR,
  DB_INIT_CONTAINER,
  JOB_NAME_PREFIX,
  LABEL_MANAGED_BY,
  LABEL_RESOURCE_KIND,
  LABEL_RESOURCE_NAME,
  LABEL_RESOURCE_NAME_HASH,
  LABEL_RESOURCE_NAMESPACE,
  LABEL_RESOURCE_SPEC_HASH,
  LABEL_SCANNER,
  MANAGED_BY,
  mirroredImage,
  ownerReferenceToJob,
  regcredSecretName,
  resourceLabels,
  SCAN_UID,
  SCANNER_NAME,
  type ScanJobInput,
  type ScanJobObjects,
  type ScanJobOwner,
  type ScanJobTarget,
  scanJobName,
} from './job.js';
export {
  type ContainerOutcome,
  containerOutcomes,
  failureReason,
  humanDuration,
  type JobOutcome,
  jobOutcome,
} from './outcome.js';
export type * from './types.js';
