// The workload kinds the operator scans, where they live in the API, and the workqueue key format.
import type { ResourceType } from '../../k8s/index.js';

export type WorkloadKind =
  | 'Pod'
  | 'ReplicaSet'
  | 'ReplicationController'
  | 'StatefulSet'
  | 'DaemonSet'
  | 'CronJob'
  | 'Job';

const type = (group: string, version: string, plural: string, kind: string): ResourceType =>
  Object.freeze({ group, version, plural, kind, namespaced: true });

/** Trivy Operator's OPERATOR_TARGET_WORKLOADS kinds (§2.1). CronJob is batch/v1 (v1beta1 is gone since 1.25). */
export const WORKLOAD_TYPES: Readonly<Record<WorkloadKind, ResourceType>> = Object.freeze({
  Pod: type('', 'v1', 'pods', 'Pod'),
  ReplicaSet: type('apps', 'v1', 'replicasets', 'ReplicaSet'),
  ReplicationController: type('', 'v1', 'replicationcontrollers', 'ReplicationController'),
  StatefulSet: type('apps', 'v1', 'statefulsets', 'StatefulSet'),
  DaemonSet: type('apps', 'v1', 'daemonsets', 'DaemonSet'),
  CronJob: type('batch', 'v1', 'cronjobs', 'CronJob'),
  Job: type('batch', 'v1', 'jobs', 'Job'),
});

/** Not a scan target (a Deployment is represented by its current ReplicaSet), but looked up for its revision. */
export const DEPLOYMENT_TYPE: ResourceType = type('apps', 'v1', 'deployments', 'Deployment');

export const WORKLOAD_KINDS: readonly WorkloadKind[] = Object.freeze(
  Object.keys(WORKLOAD_TYPES) as WorkloadKind[],
);

const BY_LOWER = new Map<string, WorkloadKind>(WORKLOAD_KINDS.map((k) => [k.toLowerCase(), k]));

/**
 * "replicaset", "ReplicaSet", " CRONJOB " → the kind; undefined for anything else, Deployment included
 * (Helm's targetWorkloads is lower case, OPERATOR_TARGET_WORKLOADS is usually capitalised).
 */
export function parseWorkloadKind(text: string): WorkloadKind | undefined {
  return BY_LOWER.get(text.trim().toLowerCase());
}

export function isWorkloadKind(text: string): text is WorkloadKind {
  return Object.hasOwn(WORKLOAD_TYPES, text);
}

/** The workqueue key: "Kind/namespace/name". Names and namespaces never contain "/". */
export function workloadKey(kind: WorkloadKind, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

export interface WorkloadKeyParts {
  kind: WorkloadKind;
  namespace: string;
  name: string;
}

/** The inverse of workloadKey. Throws for a key it did not make: that is a programming error, not input. */
export function parseWorkloadKey(key: string): WorkloadKeyParts {
  const parts = key.split('/');
  const [kind, namespace, name] = parts;
  if (parts.length !== 3 || !kind || !isWorkloadKind(kind) || !namespace || !name) {
    throw new Error(
      `workload key ${JSON.stringify(key)} is not "Kind/namespace/name" with Kind one of ${WORKLOAD_KINDS.join(', ')}`,
    );
  }
  return { kind, namespace, name };
}
