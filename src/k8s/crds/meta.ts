import type { KubeObject } from '../kube-client.js';

/** metav1.LabelSelector. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

/** metav1.Condition. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** An object whose metadata always has a name, as every stored object does. */
export type NamedObject = KubeObject & { metadata: NonNullable<KubeObject['metadata']> & { name: string } };

export const AQUASECURITY_GROUP = 'aquasecurity.github.io';
export const AQUASECURITY_VERSION = 'v1alpha1';
export const AQUASECURITY_API_VERSION = `${AQUASECURITY_GROUP}/${AQUASECURITY_VERSION}`;
