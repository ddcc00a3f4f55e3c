// Registry credentials for scan Jobs (Trivy Operator §3.5): which pull Secrets apply to a workload, what they
// hold, and which entry serves an image. Secret values are never put into messages.
import { parseReference } from '../../image/index.js';
import type { PodSpec, Secret } from './types.js';

export interface RegistryCredential {
  username: string;
  password: string;
}

/** A pull Secret that cannot be read as a docker config; the message names the Secret and the key, no values. */
export class RegistryCredentialsError extends Error {
  override readonly name = 'RegistryCredentialsError';
}

const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/**
 * A registry name as docker config keys and image references compare: scheme and path dropped, lower case,
 * Docker Hub's names ("https://index.docker.io/v1/", "index.docker.io", "registry-1.docker.io") → "docker.io".
 */
export function normalizeRegistry(server: string): string {
  const host = server
    .trim()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
    .split('/')[0]!
    .toLowerCase();
  return DOCKER_HUB_ALIASES.has(host) ? 'docker.io' : host;
}

/** The normalised registry of an image reference, or undefined when the reference does not parse. */
export function registryOfImage(image: string): string | undefined {
  try {
    return normalizeRegistry(parseReference(image).registry);
  } catch {
    return undefined;
  }
}

/**
 * The credentials of a `kubernetes.io/dockerconfigjson` or `kubernetes.io/dockercfg` Secret, by normalised
 * server. Entries give `auth` (base64 of user:password) or `username` + `password`; entries with neither (an
 * identity token, an empty credsStore stub) are skipped. Secrets of other types hold no registry credentials
 * and give an empty map.
 */
export function parseDockerConfigSecret(secret: Secret): Map<string, RegistryCredential> {
  const id = `Secret ${secret.metadata.namespace ?? ''}/${secret.metadata.name}`;
  const key =
    secret.type === 'kubernetes.io/dockerconfigjson'
      ? '.dockerconfigjson'
      : secret.type === 'kubernetes.io/dockercfg'
        ? '.dockercfg'
        : undefined;
  const out = new Map<string, RegistryCredential>();
  if (key === undefined) return out;
  const bad = (why: string) =>
    new RegistryCredentialsError(
      `${id} (type ${secret.type}): ${why}; fix the Secret (kubectl create secret docker-registry …) or remove it from imagePullSecrets`,
    );
  const encoded = secret.data?.[key];
  if (encoded === undefined || encoded === '') throw bad(`it has no ${key} key`);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
  } catch {
    throw bad(`${key} is not base64-encoded JSON`);
  }
  if (!isObject(json)) throw bad(`${key} is not a JSON object`);
  const auths = key === '.dockerconfigjson' ? json.auths : json;
  if (auths === undefined && key === '.dockerconfigjson') return out;
  if (!isObject(auths)) throw bad(`${key === '.dockerconfigjson' ? '"auths"' : key} is not a JSON object`);
  for (const [server, entry] of Object.entries(auths)) {
    if (!isObject(entry)) throw bad(`the entry for ${server} is not a JSON object`);
    const text = (name: string) =>
      typeof entry[name] === 'string' && entry[name] !== '' ? (entry[name] as string) : undefined;
    let username = text('username');
    let password = text('password');
    const auth = text('auth');
    if (auth !== undefined) {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(auth.trim())) throw bad(`"auth" for ${server} is not base64`);
      const decoded = Buffer.from(auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon === -1) throw bad(`"auth" for ${server} is not base64 of "username:password"`);
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
    if (username === undefined || password === undefined) continue;
    const name = normalizeRegistry(server);
    if (name !== '' && !out.has(name)) out.set(name, { username, password });
  }
  return out;
}

/**
 * The credential for an image's registry from a list of parsed Secrets, in order: an exact server match in any
 * Secret wins over a wildcard (`*.example.com` matches any host ending in `.example.com`; with a port in the
 * pattern, the port must match too). The first Secret that matches decides. Undefined when nothing matches or
 * the reference does not parse.
 */
export function credentialsForImage(
  image: string,
  auths: ReadonlyArray<ReadonlyMap<string, RegistryCredential>>,
): RegistryCredential | undefined {
  const registry = registryOfImage(image);
  if (registry === undefined) return undefined;
  for (const map of auths) {
    const exact = map.get(registry);
    if (exact) return exact;
  }
  const host = registry.replace(/:\d+$/, '');
  for (const map of auths) {
    for (const [server, credential] of map) {
      if (!server.startsWith('*.')) continue;
      const suffix = server.slice(1);
      const subject = /:\d+$/.test(server) ? registry : host;
      if (subject.endsWith(suffix) && subject.length > suffix.length) return credential;
    }
  }
  return undefined;
}

/** A Secret to read: namespace and name. */
export interface SecretRef {
  namespace: string;
  name: string;
}

export interface PullSecretNamesInput {
  /** The workload's pod spec (its imagePullSecrets); entries without a name are ignored, as the kubelet does. */
  podSpec: { imagePullSecrets?: Array<{ name?: string }>; serviceAccountName?: string };
  /** The workload's ServiceAccount (podSpec.serviceAccountName, else "default"), when it exists. */
  serviceAccount?: { imagePullSecrets?: Array<{ name?: string }> } | undefined;
  /** The workload's namespace. */
  namespace: string;
  /** OPERATOR_PRIVATE_REGISTRY_SCAN_SECRETS_NAMES parsed: namespace → comma-separated Secret names. */
  privateRegistryScanSecretsNames?: Record<string, string>;
  /** OPERATOR_ACCESS_GLOBAL_SECRETS_SERVICE_ACCOUNTS (default true). */
  accessGlobalSecretsAndServiceAccount: boolean;
  operatorNamespace: string;
}

/**
 * Which Secrets hold the registry credentials for a workload (§3.5.1), in the order they are consulted.
 * With access to workload namespaces: the pod's imagePullSecrets, its ServiceAccount's imagePullSecrets, then
 * the names listed for the workload's namespace in privateRegistryScanSecretsNames, all in the workload's
 * namespace. Without: only the names listed for the operator namespace, read there. Duplicates are dropped.
 */
export function pullSecretNames(input: PullSecretNamesInput): SecretRef[] {
  const out: SecretRef[] = [];
  const add = (namespace: string, name: string | undefined) => {
    const trimmed = name?.trim();
    if (!trimmed) return;
    if (!out.some((r) => r.namespace === namespace && r.name === trimmed))
      out.push({ namespace, name: trimmed });
  };
  const listed = (namespace: string) => (input.privateRegistryScanSecretsNames?.[namespace] ?? '').split(',');
  if (input.accessGlobalSecretsAndServiceAccount) {
    for (const s of input.podSpec.imagePullSecrets ?? []) add(input.namespace, s.name);
    for (const s of input.serviceAccount?.imagePullSecrets ?? []) add(input.namespace, s.name);
    for (const name of listed(input.namespace)) add(input.namespace, name);
  } else {
    for (const name of listed(input.operatorNamespace)) add(input.operatorNamespace, name);
  }
  return out;
}

/** The ServiceAccount a pod runs as ("default" when the spec names none). */
export function serviceAccountOf(podSpec: Pick<PodSpec, 'serviceAccountName'>): string {
  return podSpec.serviceAccountName || 'default';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
