// Which object owns a workload's report (§2.2), Trivy Operator's SkipProcessing + ObjectResolver.ReportOwner:
// controllers are scanned rather than the pods they make, a CronJob rather than its Jobs, a Deployment through
// its current ReplicaSet.
import type { KubeObject, OwnerReference } from '../../k8s/index.js';
import { apiVersionOf } from '../../k8s/index.js';
import { isWorkloadKind, WORKLOAD_TYPES, type WorkloadKind } from './kinds.js';

/** Read access to the objects the rules need; the reconciler backs it with informer caches. */
export interface WorkloadLookup {
  get(kind: WorkloadKind | 'Deployment', namespace: string, name: string): KubeObject | undefined;
  /** The workload's pods (podsOfWorkload over a pod cache does it). */
  podsOf(workload: KubeObject, kind: WorkloadKind): KubeObject[];
}

export interface WorkloadRef {
  kind: WorkloadKind;
  namespace: string;
  name: string;
  uid: string;
  apiVersion: string;
  object: KubeObject;
}

export interface ResolveOptions {
  /** OPERATOR_VULNERABILITY_SCANNER_SCAN_ONLY_CURRENT_REVISIONS (default true). */
  scanOnlyCurrentRevisions: boolean;
}

export type ResolveResult =
  | { owner: WorkloadRef }
  | {
      skip: string;
      /** A ReplicaSet of an older Deployment revision: the caller expires its reports (report-ttl 0s). */
      staleRevision?: boolean;
    };

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_TRIVY_OPERATOR = 'trivy-operator';
export const DEPLOYMENT_REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
/** OpenShift DeploymentConfig deployer pods: Trivy Operator skips them; so do we. */
export const DEPLOYMENT_CONFIG_ANNOTATION = 'openshift.io/deployment-config.name';

/** A pod controlled by one of these is scanned through its controller. */
const POD_CONTROLLERS: ReadonlySet<string> = new Set([
  'ReplicaSet',
  'ReplicationController',
  'StatefulSet',
  'DaemonSet',
  'Job',
]);

/**
 * True for a pod whose controller (a ReplicaSet, ReplicationController, StatefulSet, DaemonSet or Job) is
 * scanned instead of the pod: the pod is never a report owner, only a source of running digests.
 */
export function scannedThroughController(pod: KubeObject): boolean {
  const controller = controllerOf(pod);
  return controller !== undefined && POD_CONTROLLERS.has(controller.kind);
}

export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

export function workloadRef(kind: WorkloadKind, obj: KubeObject): WorkloadRef {
  return {
    kind,
    namespace: obj.metadata?.namespace ?? '',
    name: obj.metadata?.name ?? '',
    uid: obj.metadata?.uid ?? '',
    // Items of a list response carry no apiVersion; the kind's type is authoritative anyway.
    apiVersion: apiVersionOf(WORKLOAD_TYPES[kind]),
    object: obj,
  };
}

const describe = (kind: string, obj: KubeObject) =>
  `${kind} ${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;

/**
 * Whether `obj` (of `kind`) gets scanned under its own name, or why not. The reasons are for logs and tests;
 * callers branch on `owner` / `skip` / `staleRevision` only.
 */
export function resolveScanOwner(
  obj: KubeObject,
  kind: WorkloadKind,
  lookup: WorkloadLookup,
  options: ResolveOptions,
): ResolveResult {
  const meta = obj.metadata ?? {};
  const namespace = meta.namespace ?? '';
  if (meta.deletionTimestamp) return { skip: `${describe(kind, obj)} is being deleted` };
  if (meta.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_TRIVY_OPERATOR) {
    return { skip: `${describe(kind, obj)} is managed by the operator itself (a scan Job or its pod)` };
  }
  const controller = controllerOf(obj);
  switch (kind) {
    case 'Pod':
      if (controller && POD_CONTROLLERS.has(controller.kind)) {
        return {
          skip: `${describe(kind, obj)} is managed by ${controller.kind} ${controller.name}, which is scanned`,
        };
      }
      if (meta.annotations?.[DEPLOYMENT_CONFIG_ANNOTATION] !== undefined) {
        return { skip: `${describe(kind, obj)} is an OpenShift DeploymentConfig deployer pod` };
      }
      break;
    case 'Job':
      if (controller?.kind === 'CronJob') {
        return { skip: `${describe(kind, obj)} is managed by CronJob ${controller.name}, which is scanned` };
      }
      break;
    case 'ReplicaSet': {
      // The revision check comes first so that an old, scaled-down ReplicaSet is still reported stale and its
      // reports expire, rather than being skipped for having no pods.
      if (options.scanOnlyCurrentRevisions && controller?.kind === 'Deployment') {
        const deployment = lookup.get('Deployment', namespace, controller.name);
        const current = deployment?.metadata?.annotations?.[DEPLOYMENT_REVISION_ANNOTATION];
        const own = meta.annotations?.[DEPLOYMENT_REVISION_ANNOTATION];
        // Without the Deployment (not cached, or orphaned) or its annotation there is nothing to compare.
        if (current !== undefined && own !== current) {
          return {
            skip: `${describe(kind, obj)} is not the current revision (revision ${own ?? 'none'}, Deployment ${controller.name} is at ${current})`,
            staleRevision: true,
          };
        }
      }
      if (lookup.podsOf(obj, kind).length === 0) return { skip: `${describe(kind, obj)} has no active pods` };
      break;
    }
    case 'ReplicationController':
    case 'StatefulSet':
      if (lookup.podsOf(obj, kind).length === 0) return { skip: `${describe(kind, obj)} has no active pods` };
      break;
    case 'DaemonSet':
    case 'CronJob':
      break;
  }
  return { owner: workloadRef(kind, obj) };
}

/**
 * The workload that gets `pod`'s report: the pod itself when nothing (or something other than a workload
 * controller) controls it; else its controller, a Job's CronJob when it has one. Undefined when the pod is one
 * of the operator's own, a DeploymentConfig deployer, or its controller is not in the lookup (its own events
 * will enqueue it). Maps pod events to workload keys; whether that workload is then scanned is
 * resolveScanOwner's question.
 */
export function ownerForPod(pod: KubeObject, lookup: WorkloadLookup): WorkloadRef | undefined {
  const meta = pod.metadata ?? {};
  if (meta.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_TRIVY_OPERATOR) return undefined;
  const namespace = meta.namespace ?? '';
  const controller = controllerOf(pod);
  if (!controller || !POD_CONTROLLERS.has(controller.kind) || !isWorkloadKind(controller.kind)) {
    if (meta.annotations?.[DEPLOYMENT_CONFIG_ANNOTATION] !== undefined) return undefined;
    return workloadRef('Pod', pod);
  }
  const parent = lookup.get(controller.kind, namespace, controller.name);
  if (!parent || (controller.uid && parent.metadata?.uid && parent.metadata.uid !== controller.uid))
    return undefined;
  if (controller.kind === 'Job') {
    const cron = controllerOf(parent);
    if (cron?.kind === 'CronJob') {
      const cronJob = lookup.get('CronJob', namespace, cron.name);
      if (!cronJob || (cron.uid && cronJob.metadata?.uid && cronJob.metadata.uid !== cron.uid))
        return undefined;
      return workloadRef('CronJob', cronJob);
    }
  }
  return workloadRef(controller.kind, parent);
}
