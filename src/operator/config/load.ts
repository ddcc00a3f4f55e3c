/**
 * Reads the whole configuration at start: environment, then ConfigMap + Secret `trivy-operator` and
 * ConfigMap + Secret `trivy-operator-trivy-config` from the operator namespace. Like Trivy Operator, it creates
 * the two ConfigMaps with their defaults when they are missing; the Secrets are optional.
 */
import { KubeApiError } from '../../k8s/errors.js';
import type { KubeClient, KubeObject } from '../../k8s/kube-client.js';
import type { Logger } from '../../k8s/logger.js';
import { type OperatorEnv, parseOperatorEnv } from './env.js';
import { ConfigError } from './errors.js';
import {
  DEFAULT_OPERATOR_CONFIGMAP_DATA,
  OPERATOR_CONFIGMAP_NAME,
  type OperatorSettings,
  parseOperatorConfigMap,
} from './operator-configmap.js';
import {
  DEFAULT_TRIVY_CONFIGMAP_DATA,
  parseTrivyConfig,
  TRIVY_CONFIG_NAME,
  type TrivyConfig,
} from './trivy-config.js';
import { unsupportedSettings } from './unsupported.js';

/** Environment + ConfigMap `trivy-operator` + `trivy-operator-trivy-config`; durations in ms. */
export interface OperatorConfig extends OperatorEnv, OperatorSettings {
  trivy: TrivyConfig;
}

export interface LoadOperatorConfigOptions {
  env: Record<string, string | undefined>;
  client: KubeClient;
  logger: Logger;
  /** Version for the default scanner image; default: this package's version. */
  version?: string;
}

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}
interface Secret extends KubeObject {
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

export async function loadOperatorConfig(options: LoadOperatorConfigOptions): Promise<OperatorConfig> {
  const { client, logger } = options;
  const env = parseOperatorEnv(
    options.env,
    options.version === undefined ? {} : { version: options.version },
  );
  const ns = env.namespace;

  const operatorData = await ensureConfigMap(
    client,
    logger,
    ns,
    OPERATOR_CONFIGMAP_NAME,
    DEFAULT_OPERATOR_CONFIGMAP_DATA,
  );
  const operatorSecret = await readSecret(client, ns, OPERATOR_CONFIGMAP_NAME);
  const settings = parseOperatorConfigMap({ ...operatorData, ...operatorSecret });

  const trivyData = await ensureConfigMap(
    client,
    logger,
    ns,
    TRIVY_CONFIG_NAME,
    DEFAULT_TRIVY_CONFIGMAP_DATA,
  );
  const trivySecret = await readSecret(client, ns, TRIVY_CONFIG_NAME);
  const trivy = parseTrivyConfig(trivyData, trivySecret, {
    warn: (message, fields) => logger.warn(message, fields),
  });
  if (env.builtInTrivyServer && trivy.mode !== 'ClientServer') {
    logger.warn(
      'OPERATOR_BUILT_IN_TRIVY_SERVER is true but trivy.mode is not ClientServer; scans stay Standalone',
      {
        mode: trivy.mode,
      },
    );
  }
  for (const { setting, effect } of unsupportedSettings(options.env, trivyData)) {
    logger.warn(`${setting} is not supported by Vigil: ${effect}`, { setting });
  }
  // Secrets are SecretValue objects: logging the config shows "[redacted]" for them.
  logger.info('configuration loaded', {
    namespace: ns,
    targetNamespaces: env.targetNamespaces,
    excludeNamespaces: env.excludeNamespaces,
    mode: trivy.mode,
    serverURL: trivy.serverURL,
    scannerImage: env.scannerImage,
  });
  return { ...env, ...settings, trivy };
}

function kubeError(name: string, what: string, error: unknown): ConfigError {
  const detail = error instanceof Error ? error.message : String(error);
  return new ConfigError(
    'KUBE',
    name,
    `cannot ${what}: ${detail}`,
    'check that the API server is reachable and that the operator may get/create ConfigMaps and get Secrets in its namespace',
    error,
  );
}

async function ensureConfigMap(
  client: KubeClient,
  logger: Logger,
  namespace: string,
  name: string,
  defaults: Readonly<Record<string, string>>,
): Promise<Record<string, string>> {
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`;
  let existing: ConfigMap | undefined;
  try {
    existing = await client.find<ConfigMap>(`${path}/${encodeURIComponent(name)}`);
  } catch (error) {
    throw kubeError(name, `read ConfigMap ${namespace}/${name}`, error);
  }
  if (existing) return existing.data ?? {};
  const body: ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'trivy-operator' } },
    data: { ...defaults },
  };
  try {
    const created = await client.create<ConfigMap>(path, body);
    logger.info('created ConfigMap with default settings', { namespace, name });
    return created.data ?? {};
  } catch (error) {
    // Another replica created it first: read theirs.
    if (error instanceof KubeApiError && error.isConflict) {
      try {
        const raced = await client.get<ConfigMap>(`${path}/${encodeURIComponent(name)}`);
        return raced.data ?? {};
      } catch (again) {
        throw kubeError(name, `read ConfigMap ${namespace}/${name}`, again);
      }
    }
    throw kubeError(name, `create ConfigMap ${namespace}/${name}`, error);
  }
}

async function readSecret(
  client: KubeClient,
  namespace: string,
  name: string,
): Promise<Record<string, string>> {
  let secret: Secret | undefined;
  try {
    secret = await client.find<Secret>(
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`,
    );
  } catch (error) {
    throw kubeError(name, `read Secret ${namespace}/${name}`, error);
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(secret?.data ?? {}))
    out[key] = Buffer.from(value, 'base64').toString('utf8');
  return out;
}
