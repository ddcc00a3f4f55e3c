import type { KubeObject } from './kube-client.js';

/** The cache key of an object: namespace/name, or name alone for cluster-scoped objects (client-go's MetaNamespaceKey). */
export function objectKey(object: KubeObject): string {
  const name = object.metadata?.name;
  if (!name) throw new Error(`object of kind ${object.kind ?? '(unknown)'} has no metadata.name`);
  const namespace = object.metadata?.namespace;
  return namespace ? `${namespace}/${name}` : name;
}

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const slash = key.indexOf('/');
  return slash < 0
    ? { namespace: undefined, name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
