export {
  imageIDsFromPods,
  type ScanTarget,
  type ScanTargetOptions,
  type ScanTargets,
  scanTargets,
} from './containers.js';
export { canonicalJson, computeHash, fnv32a, safeEncodeString, specHash } from './hash.js';
export { digestFromImageID, imageKey, sameImageName } from './image-key.js';
export {
  DEPLOYMENT_TYPE,
  isWorkloadKind,
  parseWorkloadKey,
  parseWorkloadKind,
  WORKLOAD_KINDS,
  WORKLOAD_TYPES,
  type WorkloadKeyParts,
  type WorkloadKind,
  workloadKey,
} from './kinds.js';
export {
  controllerOf,
  DEPLOYMENT_CONFIG_ANNOTATION,
  DEPLOYMENT_REVISION_ANNOTATION,
  MANAGED_BY_LABEL,
  MANAGED_BY_TRIVY_OPERATOR,
  ownerForPod,
  type ResolveOptions,
  type ResolveResult,
  resolveScanOwner,
  scannedThroughController,
  type WorkloadLookup,
  type WorkloadRef,
  workloadRef,
} from './owner.js';
export { podTemplateOf } from './pod-template.js';
export { labelsMatchSelector, podSelectorOf, podsMatchingSelector, podsOfWorkload } from './selector.js';
export { type SkipOptions, skipReason } from './skip.js';
export type {
  Container,
  ContainerStatus,
  LabelSelector,
  LabelSelectorRequirement,
  Pod,
  PodSpec,
  PodStatus,
  PodTemplate,
} from './types.js';
