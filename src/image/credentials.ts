// Where registry credentials come from, in Trivy's order: the explicit --username/--password (whose
// defaults are TRIVY_USERNAME/TRIVY_PASSWORD), or --registry-token; then the docker config.json
// ($DOCKER_CONFIG/config.json, else ~/.docker/config.json). Credential helpers are external programs this
// process does not run; a host that needs one gets an error saying so instead of a silent anonymous pull.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ImageError } from './errors.js';
import { isObject } from './manifest.js';
import { DOCKER_HUB } from './reference.js';

export type Credential =
  | { kind: 'basic'; username: string; password: string; source: string }
  /** An OAuth2 refresh token (docker config "identitytoken"), exchanged at the token service. */
  | { kind: 'identity-token'; username: string; identityToken: string; source: string }
  /** A bearer token sent as is (--registry-token, docker config "registrytoken"). */
  | { kind: 'registry-token'; token: string; source: string };

export interface CredentialStore {
  /** Credentials for a registry as named in references ("docker.io", "ghcr.io", "127.0.0.1:5000"). */
  lookup(registry: string): Promise<Credential | undefined>;
}

export interface CredentialOptions {
  /** --username / --password: sent to every registry. */
  username?: string | undefined;
  password?: string | undefined;
  /** --registry-token: a bearer token for every registry; replaces all other credentials, as in Trivy. */
  registryToken?: string | undefined;
  /** Environment for TRIVY_USERNAME, TRIVY_PASSWORD, TRIVY_REGISTRY_TOKEN, DOCKER_CONFIG and HOME. */
  env?: Readonly<Record<string, string | undefined>>;
  /** A config.json path, or false to ignore docker config files. */
  dockerConfig?: string | false;
}

export function createCredentialStore(options: CredentialOptions = {}): CredentialStore {
  const env = options.env ?? {};
  const registryToken = options.registryToken ?? nonEmpty(env.TRIVY_REGISTRY_TOKEN);
  const username = options.username ?? nonEmpty(env.TRIVY_USERNAME);
  const password = options.password ?? nonEmpty(env.TRIVY_PASSWORD);
  const explicitSource =
    options.username !== undefined ? '--username/--password' : 'TRIVY_USERNAME/TRIVY_PASSWORD';
  if ((username === undefined) !== (password === undefined)) {
    throw new ImageError(
      'IMAGE_CREDENTIALS',
      `${explicitSource}: a username needs a password and a password needs a username`,
    );
  }
  const configPath =
    options.dockerConfig === false
      ? undefined
      : (options.dockerConfig ??
        join(env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), '.docker'), 'config.json'));
  let config: Promise<DockerConfig | undefined> | undefined;

  return {
    async lookup(registry) {
      if (registryToken !== undefined) {
        return { kind: 'registry-token', token: registryToken, source: '--registry-token' };
      }
      if (username !== undefined && password !== undefined) {
        return { kind: 'basic', username, password, source: explicitSource };
      }
      if (configPath === undefined) return undefined;
      config ??= loadDockerConfig(configPath);
      const loaded = await config;
      return loaded === undefined ? undefined : dockerConfigCredential(loaded, registry);
    },
  };
}

/** A parsed config.json (or a Kubernetes .dockerconfigjson / legacy .dockercfg). */
export interface DockerConfig {
  source: string;
  auths: Record<string, Record<string, unknown>>;
  credHelpers: Record<string, string>;
  credsStore: string | undefined;
}

async function loadDockerConfig(path: string): Promise<DockerConfig | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ImageError(
      'IMAGE_CREDENTIALS',
      `cannot read the docker config ${path}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return parseDockerConfig(text, path);
}

/** Parses config.json / .dockerconfigjson ({"auths": …}) and the legacy .dockercfg (hosts at the top). */
export function parseDockerConfig(text: string, source: string): DockerConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ImageError('IMAGE_CREDENTIALS', `the docker config ${source} is not valid JSON`, {
      cause: error,
    });
  }
  if (!isObject(json))
    throw new ImageError('IMAGE_CREDENTIALS', `the docker config ${source} is not a JSON object`);
  const legacy = !('auths' in json) && !('credHelpers' in json) && !('credsStore' in json);
  const authsValue = legacy ? json : json.auths;
  const auths: Record<string, Record<string, unknown>> = {};
  if (isObject(authsValue)) {
    for (const [key, entry] of Object.entries(authsValue)) if (isObject(entry)) auths[key] = entry;
  }
  const credHelpers: Record<string, string> = {};
  if (isObject(json.credHelpers)) {
    for (const [key, helper] of Object.entries(json.credHelpers)) {
      if (typeof helper === 'string') credHelpers[key] = helper;
    }
  }
  const credsStore =
    typeof json.credsStore === 'string' && json.credsStore !== '' ? json.credsStore : undefined;
  return { source, auths, credHelpers, credsStore };
}

/** The config's credential for a registry, matched as Docker matches "auths" keys (scheme and path ignored). */
export function dockerConfigCredential(config: DockerConfig, registry: string): Credential | undefined {
  const wanted = registryAliases(registry);
  const matches = (key: string) => wanted.has(normalizeConfigKey(key));
  const helperKey = Object.keys(config.credHelpers).find(matches);
  if (helperKey !== undefined) {
    throw unsupportedHelper(config, registry, `docker-credential-${config.credHelpers[helperKey]}`);
  }
  const authKey = Object.keys(config.auths).find(matches);
  const entry = authKey === undefined ? undefined : config.auths[authKey];
  if (entry === undefined) return undefined;
  const source = `${config.source} (auths.${authKey})`;
  const text = (name: string) =>
    typeof entry[name] === 'string' && entry[name] !== '' ? (entry[name] as string) : undefined;
  let username = text('username');
  let password = text('password');
  const auth = text('auth');
  if (auth !== undefined) {
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) {
      throw new ImageError(
        'IMAGE_CREDENTIALS',
        `${source}: "auth" must be base64 of "username:password"; log in again (docker login ${registry})`,
      );
    }
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  const identityToken = text('identitytoken');
  if (identityToken !== undefined) {
    return { kind: 'identity-token', username: username ?? '', identityToken, source };
  }
  const registryToken = text('registrytoken');
  if (registryToken !== undefined) return { kind: 'registry-token', token: registryToken, source };
  if (username !== undefined && password !== undefined) return { kind: 'basic', username, password, source };
  // Docker leaves an empty entry per host when the secret itself sits in the credsStore.
  if (config.credsStore !== undefined) {
    throw unsupportedHelper(config, registry, `docker-credential-${config.credsStore} (credsStore)`);
  }
  return undefined;
}

function unsupportedHelper(config: DockerConfig, registry: string, helper: string): ImageError {
  return new ImageError(
    'IMAGE_UNSUPPORTED',
    `${config.source} says the credentials for ${registry} are kept by the credential helper ${helper}, which vigil does not run; pass --username/--password (or TRIVY_USERNAME/TRIVY_PASSWORD), or put an "auths" entry with "auth" into a config.json named by DOCKER_CONFIG`,
  );
}

/** "https://index.docker.io/v1/" → "index.docker.io"; "http://host:5000/v2/" → "host:5000". */
export function normalizeConfigKey(key: string): string {
  return key
    .replace(/^[a-z]+:\/\//i, '')
    .split('/')[0]!
    .toLowerCase();
}

function registryAliases(registry: string): Set<string> {
  const name = registry.toLowerCase();
  return name === DOCKER_HUB
    ? new Set([DOCKER_HUB, 'index.docker.io', 'registry-1.docker.io'])
    : new Set([name]);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
