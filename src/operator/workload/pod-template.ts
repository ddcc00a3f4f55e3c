// Where a workload keeps the pod it runs: a Pod is its own template; a CronJob nests it in its Job template;
// the others have spec.template.
import type { KubeObject } from '../../k8s/index.js';
import type { WorkloadKind } from './kinds.js';
import type { PodSpec, PodTemplate } from './types.js';

interface Nested {
  spec?: {
    containers?: unknown;
    template?: { metadata?: KubeObject['metadata']; spec?: PodSpec };
    jobTemplate?: { spec?: { template?: { metadata?: KubeObject['metadata']; spec?: PodSpec } } };
  };
}

/**
 * The pod template of `obj`, or undefined when it has none (not a workload, or a malformed one). The kind comes
 * from `kind`, else `obj.kind`; objects from a list response carry no kind, so without either the shape
 * decides. The returned spec is the object's own (not a copy): do not mutate it.
 */
export function podTemplateOf(obj: KubeObject, kind?: WorkloadKind): PodTemplate | undefined {
  const o = obj as KubeObject & Nested;
  const k = kind ?? o.kind;
  let template: { metadata?: KubeObject['metadata']; spec?: PodSpec } | undefined;
  if (k === 'Pod' || (k === undefined && o.spec?.containers !== undefined)) {
    template = { metadata: o.metadata, spec: o.spec as PodSpec | undefined };
  } else if (k === 'CronJob' || (k === undefined && o.spec?.jobTemplate !== undefined)) {
    template = o.spec?.jobTemplate?.spec?.template;
  } else {
    template = o.spec?.template;
  }
  const spec = template?.spec;
  if (!spec || !Array.isArray(spec.containers)) return undefined;
  return template?.metadata === undefined ? { spec } : { spec, metadata: template.metadata };
}
