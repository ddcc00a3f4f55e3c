export {
  createScanCoordinator,
  JOB_IMAGE_KEYS_ANNOTATION,
  jobImageKeys,
  type ScanCoordinator,
  type ScanCoordinatorOptions,
} from './coordinator.js';
export {
  createEventRecorder,
  type EventRecorder,
  type EventRecorderOptions,
  type EventType,
} from './events.js';
export { createOperator, type Operator, type OperatorOptions, operatorSettings } from './operator.js';
export { createScanJobReconciler, jobOwner } from './reconcilers/scan-job.js';
export { createWorkloadReconciler, reportOwnerKey, retryDueAt, writeReport } from './reconcilers/workload.js';
