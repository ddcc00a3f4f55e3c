/**
 * Which namespaces the operator serves (reference §2.5, ResolveInstallMode + InstallModePredicate). Vigil
 * applies this in reconcile too, not only on watch events, and honours OPERATOR_EXCLUDE_NAMESPACES in every
 * mode (Trivy Operator only in AllNamespaces): an excluded namespace is never scanned.
 */
import type { OperatorEnv } from './env.js';
import { matchGlob } from './glob.js';

export type InstallMode = 'OwnNamespace' | 'SingleNamespace' | 'MultiNamespace' | 'AllNamespaces';

export type NamespaceSettings = Pick<OperatorEnv, 'namespace' | 'targetNamespaces' | 'excludeNamespaces'>;

export function installMode(config: NamespaceSettings): InstallMode {
  const targets = config.targetNamespaces;
  if (targets.length === 0) return 'AllNamespaces';
  if (targets.length === 1) return targets[0] === config.namespace ? 'OwnNamespace' : 'SingleNamespace';
  return 'MultiNamespace';
}

/** True when workloads in `namespace` are to be scanned (and their reports exported as metrics). */
export function namespaceInScope(config: NamespaceSettings, namespace: string): boolean {
  if (config.excludeNamespaces.some((pattern) => matchGlob(pattern, namespace))) return false;
  switch (installMode(config)) {
    case 'AllNamespaces':
      return true;
    case 'OwnNamespace':
      return namespace === config.namespace;
    case 'SingleNamespace':
      // The operator namespace is watched for scan Jobs, but its workloads are not scanned.
      return namespace === config.targetNamespaces[0] && namespace !== config.namespace;
    case 'MultiNamespace':
      return config.targetNamespaces.includes(namespace);
  }
}

/**
 * Namespaces the informers must cover: undefined = cluster-wide; otherwise the targets plus the operator
 * namespace (where scan Jobs run), without duplicates.
 */
export function watchedNamespaces(config: NamespaceSettings): string[] | undefined {
  if (installMode(config) === 'AllNamespaces') return undefined;
  return [...new Set([...config.targetNamespaces, config.namespace])];
}
