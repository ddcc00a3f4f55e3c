export { type Clock, jitter, sleepOn, systemClock, type Timer } from './clock.js';
export {
  type Controller,
  type ControllerOptions,
  createController,
  type ReconcileResult,
  type Reconciler,
  TerminalError,
} from './controller.js';
export {
  type ControllerMetrics,
  type ControllerMetricsProvider,
  createControllerMetricsProvider,
  noControllerMetrics,
  type ReconcileOutcome,
} from './controller-metrics.js';
export { KubeApiError } from './errors.js';
export { createInformer, type EventHandler, type Informer, type InformerOptions } from './informer.js';
export { objectKey, splitKey } from './keys.js';
export {
  APPLY_PATCH,
  createKubeClient,
  JSON_PATCH,
  type KubeClient,
  type KubeClientOptions,
  type KubeList,
  type KubeObject,
  loadKubeConfig,
  MERGE_PATCH,
  type OwnerReference,
  type Query,
  type RequestOptions,
  STRATEGIC_MERGE_PATCH,
  type WatchEvent,
} from './kube-client.js';
export {
  createLeaderElector,
  type LeaderCallbacks,
  type LeaderElector,
  type LeaderElectorOptions,
  type Lease,
  type LeaseSpec,
  microTime,
} from './leader-election.js';
export { type ListWatchHandlers, type ListWatchOptions, listAndWatch } from './list-watch.js';
export { errorFields, type Logger, silentLogger } from './logger.js';
export {
  createExponentialRateLimiter,
  type ExponentialRateLimiterOptions,
  type RateLimiter,
} from './rate-limiter.js';
export { apiVersionOf, collectionPath, objectPath, type ResourceType } from './resource.js';
export { byControllerUid, byLabel, byOwnerUid, createStore, type IndexFunc, type Store } from './store.js';
export { createWorkQueue, type WorkQueue, type WorkQueueOptions } from './workqueue.js';
export {
  createWorkQueueMetricsProvider,
  noWorkQueueMetrics,
  type WorkQueueMetrics,
  type WorkQueueMetricsProvider,
} from './workqueue-metrics.js';
