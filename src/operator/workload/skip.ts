// Exclusions that apply to every kind (§2.5–2.6), checked inside reconcile too: Trivy Operator checks the
// namespace only on its watch predicates, so report events from excluded namespaces still caused scans (#2817).
import type { KubeObject } from '../../k8s/index.js';

export interface SkipOptions {
  /** The config's namespace scope: target namespaces, or all minus excludeNamespaces. */
  namespaceInScope: (namespace: string) => boolean;
  /** skipResourceByLabels: label keys; an object carrying any of them (whatever its value) is skipped. */
  skipResourceByLabels: readonly string[];
}

/** Why `obj` is not scanned, or undefined when it may be. */
export function skipReason(obj: KubeObject, options: SkipOptions): string | undefined {
  const namespace = obj.metadata?.namespace ?? '';
  if (!options.namespaceInScope(namespace)) return `namespace ${JSON.stringify(namespace)} is not in scope`;
  const labels = obj.metadata?.labels ?? {};
  const key = options.skipResourceByLabels.find((k) => k !== '' && Object.hasOwn(labels, k));
  if (key !== undefined) return `it has the label ${key}, listed in skipResourceByLabels`;
  return undefined;
}
