import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import { KubeApiError } from '../../../src/k8s/errors.js';
import type { KubeClient } from '../../../src/k8s/kube-client.js';
import type { Container, KeyToPath, Pod, Volume } from './pod-types.js';

/** A container cannot be created yet (a missing Secret or key, say): the kubelet's CreateContainerConfigError. */
export class ContainerConfigError extends Error {
  override readonly name = 'ContainerConfigError';
}

interface KeyedData {
  /** Values as bytes; ConfigMap data and binaryData, Secret data (base64-decoded). */
  data: Map<string, Buffer>;
}

/** Reads Secrets and ConfigMaps of a pod's namespace for env and volumes, once per pod start. */
export function createObjectSource(client: KubeClient, namespace: string) {
  const cache = new Map<string, KeyedData | null>();
  async function load(kind: 'secrets' | 'configmaps', name: string): Promise<KeyedData | null> {
    const key = `${kind}/${name}`;
    if (cache.has(key)) return cache.get(key) ?? null;
    let object: { data?: Record<string, string>; binaryData?: Record<string, string> } | undefined;
    try {
      object = await client.find(`/api/v1/namespaces/${namespace}/${kind}/${encodeURIComponent(name)}`);
    } catch (error) {
      if (error instanceof KubeApiError)
        throw new ContainerConfigError(`cannot read ${kind} "${name}": ${error.message}`);
      throw error;
    }
    let result: KeyedData | null = null;
    if (object) {
      const data = new Map<string, Buffer>();
      for (const [k, v] of Object.entries(object.data ?? {}))
        data.set(k, kind === 'secrets' ? Buffer.from(v, 'base64') : Buffer.from(v));
      for (const [k, v] of Object.entries(object.binaryData ?? {})) data.set(k, Buffer.from(v, 'base64'));
      result = { data };
    }
    cache.set(key, result);
    return result;
  }
  return {
    async get(kind: 'secrets' | 'configmaps', name: string, optional: boolean): Promise<KeyedData | null> {
      const found = await load(kind, name);
      if (!found && !optional)
        throw new ContainerConfigError(`${kind === 'secrets' ? 'secret' : 'configmap'} "${name}" not found`);
      return found;
    },
  };
}
export type ObjectSource = ReturnType<typeof createObjectSource>;

/** The value of a downward-API field path for this pod. */
export function fieldValue(pod: Pod, fieldPath: string): string {
  const meta = pod.metadata;
  const labelOrAnnotation = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (labelOrAnnotation) {
    const map = labelOrAnnotation[1] === 'labels' ? meta.labels : meta.annotations;
    return map?.[labelOrAnnotation[2]!] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name':
      return meta.name;
    case 'metadata.namespace':
      return meta.namespace;
    case 'metadata.uid':
      return meta.uid;
    case 'metadata.labels':
      return Object.entries(meta.labels ?? {})
        .map(([k, v]) => `${k}="${v}"`)
        .join('\n');
    case 'metadata.annotations':
      return Object.entries(meta.annotations ?? {})
        .map(([k, v]) => `${k}="${v}"`)
        .join('\n');
    case 'spec.nodeName':
      return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? 'default';
    case 'status.podIP':
    case 'status.hostIP':
      return '127.0.0.1';
    case 'status.podIPs':
    case 'status.hostIPs':
      return '127.0.0.1';
    default:
      throw new ContainerConfigError(`unsupported fieldRef ${fieldPath}`);
  }
}

/**
 * The container's environment as the kubelet builds it: envFrom first, then env in order, each value with
 * $(VAR) references to earlier variables expanded ($$ escapes a dollar).
 */
export async function resolveEnv(
  pod: Pod,
  container: Container,
  objects: ObjectSource,
): Promise<Map<string, string>> {
  const env = new Map<string, string>();
  for (const source of container.envFrom ?? []) {
    const prefix = source.prefix ?? '';
    const ref = source.configMapRef ?? source.secretRef;
    if (!ref) continue;
    const found = await objects.get(
      source.secretRef ? 'secrets' : 'configmaps',
      ref.name,
      ref.optional ?? false,
    );
    for (const [k, v] of found?.data ?? []) env.set(prefix + k, v.toString());
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    if (!from) {
      env.set(variable.name, expandReferences(variable.value ?? '', env));
      continue;
    }
    const keyRef = from.secretKeyRef ?? from.configMapKeyRef;
    if (keyRef) {
      const kind = from.secretKeyRef ? 'secrets' : 'configmaps';
      const optional = keyRef.optional ?? false;
      const found = await objects.get(kind, keyRef.name, optional);
      const value = found?.data.get(keyRef.key);
      if (value === undefined) {
        if (optional) continue;
        throw new ContainerConfigError(
          `couldn't find key ${keyRef.key} in ${kind === 'secrets' ? 'Secret' : 'ConfigMap'} ${pod.metadata.namespace}/${keyRef.name}`,
        );
      }
      env.set(variable.name, value.toString());
    } else if (from.fieldRef) {
      env.set(variable.name, fieldValue(pod, from.fieldRef.fieldPath));
    } else if (from.resourceFieldRef) {
      const [kind, resource] = from.resourceFieldRef.resource.split('.') as [string, string];
      const bucket = kind === 'limits' ? container.resources?.limits : container.resources?.requests;
      env.set(variable.name, bucket?.[resource] ?? '0');
    }
  }
  return env;
}

/** Expands $(NAME) with values defined so far; unknown references stay as written; $$ yields $. */
export function expandReferences(text: string, env: Map<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, name: string | undefined) => {
    if (whole === '$$') return '$';
    return env.get(name!) ?? whole;
  });
}

/**
 * Writes a pod's Secret, ConfigMap, projected, downward-API and emptyDir volumes under `podDir/volumes/<name>` and
 * returns the directory of each. Volume kinds a process cannot have (hostPath, persistentVolumeClaim, …) fail the
 * container with a message naming them.
 */
export async function materializeVolumes(
  pod: Pod,
  podDir: string,
  objects: ObjectSource,
  requestToken: (serviceAccount: string, audience: string | undefined, seconds: number) => Promise<string>,
): Promise<Map<string, string>> {
  const dirs = new Map<string, string>();
  for (const volume of pod.spec.volumes ?? []) {
    const dir = join(podDir, 'volumes', volume.name);
    await mkdir(dir, { recursive: true });
    dirs.set(volume.name, dir);
    if (volume.emptyDir) continue;
    if (volume.secret) {
      const found = await objects.get('secrets', volume.secret.secretName, volume.secret.optional ?? false);
      await writeKeys(
        dir,
        found?.data,
        volume.secret.items,
        volume.secret.defaultMode ?? 0o644,
        `secret ${volume.secret.secretName}`,
      );
    } else if (volume.configMap) {
      const found = await objects.get(
        'configmaps',
        volume.configMap.name,
        volume.configMap.optional ?? false,
      );
      await writeKeys(
        dir,
        found?.data,
        volume.configMap.items,
        volume.configMap.defaultMode ?? 0o644,
        `configmap ${volume.configMap.name}`,
      );
    } else if (volume.downwardAPI) {
      for (const item of volume.downwardAPI.items) {
        if (item.fieldRef)
          await writeFileIn(
            dir,
            item.path,
            Buffer.from(fieldValue(pod, item.fieldRef.fieldPath)),
            volume.downwardAPI.defaultMode ?? 0o644,
          );
      }
    } else if (volume.projected) {
      const mode = volume.projected.defaultMode ?? 0o644;
      for (const source of volume.projected.sources) {
        if (source.secret) {
          const found = await objects.get('secrets', source.secret.name, source.secret.optional ?? false);
          await writeKeys(dir, found?.data, source.secret.items, mode, `secret ${source.secret.name}`);
        } else if (source.configMap) {
          const found = await objects.get(
            'configmaps',
            source.configMap.name,
            source.configMap.optional ?? false,
          );
          await writeKeys(
            dir,
            found?.data,
            source.configMap.items,
            mode,
            `configmap ${source.configMap.name}`,
          );
        } else if (source.downwardAPI) {
          for (const item of source.downwardAPI.items) {
            if (item.fieldRef)
              await writeFileIn(dir, item.path, Buffer.from(fieldValue(pod, item.fieldRef.fieldPath)), mode);
          }
        } else if (source.serviceAccountToken) {
          const token = await requestToken(
            pod.spec.serviceAccountName ?? 'default',
            source.serviceAccountToken.audience,
            source.serviceAccountToken.expirationSeconds ?? 3600,
          );
          await writeFileIn(dir, source.serviceAccountToken.path, Buffer.from(token), mode);
        }
      }
    } else {
      const kind = Object.keys(volume).find((k) => k !== 'name') ?? 'unknown';
      throw new ContainerConfigError(
        `volume "${volume.name}" of type ${kind} is not supported by the process node`,
      );
    }
  }
  return dirs;
}

async function writeKeys(
  dir: string,
  data: Map<string, Buffer> | undefined,
  items: KeyToPath[] | undefined,
  mode: number,
  what: string,
): Promise<void> {
  if (!data) return;
  if (items) {
    for (const item of items) {
      const value = data.get(item.key);
      if (value === undefined) throw new ContainerConfigError(`${what} has no key ${item.key}`);
      await writeFileIn(dir, item.path, value, item.mode ?? mode);
    }
    return;
  }
  for (const [key, value] of data) await writeFileIn(dir, key, value, mode);
}

async function writeFileIn(dir: string, relative: string, content: Buffer, mode: number): Promise<void> {
  const target = normalize(join(dir, relative));
  if (!target.startsWith(`${dir}/`))
    throw new ContainerConfigError(`volume path ${relative} escapes its volume`);
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, content);
  await chmod(target, mode);
}

export type { Volume };
