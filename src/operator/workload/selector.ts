// Label selectors as the API server evaluates them (metav1.LabelSelectorAsSelector): matchLabels and
// matchExpressions are ANDed; an empty selector matches everything; no selector at all matches nothing.
import type { KubeObject } from '../../k8s/index.js';
import type { WorkloadKind } from './kinds.js';
import type { LabelSelector, LabelSelectorRequirement } from './types.js';

export function labelsMatchSelector(
  labels: Readonly<Record<string, string>> | undefined,
  selector: LabelSelector | undefined,
): boolean {
  if (!selector) return false;
  const have = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (have[key] !== value) return false;
  }
  return (selector.matchExpressions ?? []).every((r) => requirementHolds(have, r));
}

function requirementHolds(labels: Readonly<Record<string, string>>, r: LabelSelectorRequirement): boolean {
  const present = Object.hasOwn(labels, r.key);
  switch (r.operator) {
    case 'In':
      return present && (r.values ?? []).includes(labels[r.key] as string);
    case 'NotIn':
      return !present || !(r.values ?? []).includes(labels[r.key] as string);
    case 'Exists':
      return present;
    case 'DoesNotExist':
      return !present;
    default:
      // The API server rejects other operators, so an object carrying one is corrupt: select nothing.
      return false;
  }
}

/** The pods (any namespace filtering is the caller's) whose labels match `selector`. */
export function podsMatchingSelector<T extends KubeObject>(
  pods: readonly T[],
  selector: LabelSelector | undefined,
): T[] {
  return pods.filter((pod) => labelsMatchSelector(pod.metadata?.labels, selector));
}

/**
 * The selector a workload uses for its pods. A ReplicationController's `spec.selector` is a plain label map
 * (and defaults to its template's labels); the others use a LabelSelector. A Pod or CronJob has none.
 */
export function podSelectorOf(workload: KubeObject, kind: WorkloadKind): LabelSelector | undefined {
  const spec = workload.spec as
    | { selector?: unknown; template?: { metadata?: { labels?: Record<string, string> } } }
    | undefined;
  if (kind === 'Pod' || kind === 'CronJob') return undefined;
  if (kind === 'ReplicationController') {
    const map = (spec?.selector as Record<string, string> | undefined) ?? spec?.template?.metadata?.labels;
    return map && Object.keys(map).length > 0 ? { matchLabels: { ...map } } : undefined;
  }
  return spec?.selector as LabelSelector | undefined;
}

/**
 * The workload's pods among `pods`: same namespace, matching its selector. A backing for
 * WorkloadLookup.podsOf over an informer's cached pods.
 */
export function podsOfWorkload<T extends KubeObject>(
  workload: KubeObject,
  kind: WorkloadKind,
  pods: readonly T[],
): T[] {
  const namespace = workload.metadata?.namespace;
  const selector = podSelectorOf(workload, kind);
  if (!selector) return [];
  return pods.filter(
    (pod) => pod.metadata?.namespace === namespace && labelsMatchSelector(pod.metadata?.labels, selector),
  );
}
