// The parts of batch/v1 Job, core/v1 Pod and Secret that scan Jobs are built from and read back. Hand-written
// (client-node's generated models carry Date objects and class wrappers we do not want in plain JSON).
import type { KubeObject, OwnerReference } from '../../k8s/index.js';

export type Json = Record<string, unknown>;

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    secretKeyRef?: { name: string; key: string; optional?: boolean };
  };
}

export interface ResourceRequirements {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

export interface SecurityContext {
  allowPrivilegeEscalation?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  privileged?: boolean;
  readOnlyRootFilesystem?: boolean;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  seccompProfile?: { type: string; localhostProfile?: string };
  [key: string]: unknown;
}

export interface PodSecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  fsGroup?: number;
  seccompProfile?: { type: string; localhostProfile?: string };
  [key: string]: unknown;
}

export interface Container {
  name: string;
  image: string;
  imagePullPolicy?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  resources?: ResourceRequirements;
  securityContext?: SecurityContext;
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean; subPath?: string }>;
  terminationMessagePolicy?: 'File' | 'FallbackToLogsOnError';
  [key: string]: unknown;
}

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
  restartPolicy?: string;
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  imagePullSecrets?: Array<{ name: string }>;
  securityContext?: PodSecurityContext;
  volumes?: Array<{ name: string; emptyDir?: Json; [key: string]: unknown }>;
  affinity?: Json;
  tolerations?: Toleration[];
  nodeSelector?: Record<string, string>;
  priorityClassName?: string;
  [key: string]: unknown;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  [key: string]: unknown;
}

export interface JobCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface Job extends KubeObject {
  apiVersion: 'batch/v1';
  kind: 'Job';
  metadata: ObjectMeta;
  spec: {
    backoffLimit?: number;
    completions?: number;
    activeDeadlineSeconds?: number;
    ttlSecondsAfterFinished?: number;
    selector?: { matchLabels?: Record<string, string> };
    template: {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec: PodSpec;
    };
    [key: string]: unknown;
  };
  status?: {
    conditions?: JobCondition[];
    active?: number;
    succeeded?: number;
    failed?: number;
    startTime?: string;
    completionTime?: string;
    [key: string]: unknown;
  };
}

export interface ContainerStateTerminated {
  exitCode: number;
  reason?: string;
  message?: string;
  signal?: number;
}

export interface ContainerStatus {
  name: string;
  image?: string;
  imageID?: string;
  state?: {
    waiting?: { reason?: string; message?: string };
    running?: Json;
    terminated?: ContainerStateTerminated;
  };
  lastState?: ContainerStatus['state'];
}

export interface Pod extends KubeObject {
  metadata: ObjectMeta;
  spec?: PodSpec;
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
    [key: string]: unknown;
  };
}

export interface Secret extends KubeObject {
  metadata: ObjectMeta;
  type?: string;
  /** Values base64-encoded, as the API server returns them. */
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}
