// Minimal typed views of the parts of Kubernetes objects this module reads. Everything else stays `unknown`
// (index signatures), so objects from the API server pass through untouched and hash as they are.
import type { KubeObject } from '../../k8s/index.js';

export interface Container {
  name: string;
  image?: string;
  [key: string]: unknown;
}

export interface LocalObjectReference {
  name?: string;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
  imagePullSecrets?: LocalObjectReference[];
  serviceAccountName?: string;
  [key: string]: unknown;
}

export interface PodTemplate {
  metadata?: KubeObject['metadata'];
  spec: PodSpec;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | string;
  values?: string[];
}

/** metav1.LabelSelector. A ReplicationController's selector is a plain map; see podSelectorOf. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface ContainerStatus {
  name: string;
  image?: string;
  imageID?: string;
  [key: string]: unknown;
}

export interface PodStatus {
  phase?: string;
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
  ephemeralContainerStatuses?: ContainerStatus[];
  [key: string]: unknown;
}

export interface Pod extends KubeObject {
  spec?: PodSpec;
  status?: PodStatus;
}
