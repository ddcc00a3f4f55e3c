/**
 * ConfigMap + Secret `trivy-operator-trivy-config`: the scanner settings (pkg/plugins/trivy/config.go;
 * reference §3.2, §5.3). Vigil runs `vigil scan image` in the scan Job; these settings say how.
 */
import { IgnoreFileError, parseIgnoreFile } from '../../report/index.js';
import { ConfigError } from './errors.js';
import { parseBool, parseDuration, parseList, parseQuantity, SecretValue } from './values.js';

export const TRIVY_CONFIG_NAME = 'trivy-operator-trivy-config';

export const SEVERITIES = ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type ConfigSeverity = (typeof SEVERITIES)[number];

export const ADDITIONAL_REPORT_FIELDS = [
  'Description',
  'Links',
  'CVSS',
  'Target',
  'Class',
  'PackageType',
  'PackagePath',
] as const;
export type AdditionalReportField = (typeof ADDITIONAL_REPORT_FIELDS)[number];

/** What Trivy Operator's plugin writes when the ConfigMap is absent (Plugin.Init; reference §3.4). */
export const DEFAULT_TRIVY_CONFIGMAP_DATA: Readonly<Record<string, string>> = Object.freeze({
  'trivy.repository': 'mirror.gcr.io/aquasec/trivy',
  'trivy.tag': '0.72.0',
  'trivy.severity': 'UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL',
  'trivy.slow': 'true',
  'trivy.mode': 'Standalone',
  'trivy.timeout': '5m0s',
  'trivy.dbRepository': 'mirror.gcr.io/aquasec/trivy-db',
  'trivy.javaDbRepository': 'mirror.gcr.io/aquasec/trivy-java-db',
  'trivy.useBuiltinRegoPolicies': 'true',
  'trivy.supportedConfigAuditKinds':
    'Workload,Service,Role,ClusterRole,NetworkPolicy,Ingress,LimitRange,ResourceQuota,PersistentVolume,PersistentVolumeClaim',
  'trivy.resources.requests.cpu': '100m',
  'trivy.resources.requests.memory': '100M',
  'trivy.resources.limits.cpu': '500m',
  'trivy.resources.limits.memory': '500M',
});

export type ResourceName = 'cpu' | 'memory' | 'ephemeral-storage';
export type ResourceList = Partial<Record<ResourceName, string>>;

export interface TrivyConfig {
  /** trivy.mode (default Standalone). */
  mode: 'Standalone' | 'ClientServer';
  /** trivy.serverURL: required in ClientServer mode. */
  serverURL: string | undefined;
  /** trivy.serverTokenHeader (default Trivy-Token). */
  serverTokenHeader: string;
  /** Secret trivy.serverToken. Never log it; scan pods get it through a secretKeyRef. */
  serverToken: SecretValue | undefined;
  /** Secret trivy.serverCustomHeaders ("Key:Value,Key2:Value2"). */
  serverCustomHeaders: SecretValue | undefined;
  /** trivy.serverInsecure: the key's presence (any value but a Go false word) means true, as Trivy Operator. */
  serverInsecure: boolean;
  /** trivy.severity, upper case, validated. */
  severity: ConfigSeverity[];
  /** trivy.ignoreUnfixed (default false). */
  ignoreUnfixed: boolean;
  /** trivy.offlineScan (default false). */
  offlineScan: boolean;
  /** trivy.timeout (default 5m0s) → TRIVY_TIMEOUT. */
  timeoutMs: number;
  /** trivy.dbRepository (default mirror.gcr.io/aquasec/trivy-db). */
  dbRepository: string;
  /** trivy.javaDbRepository. */
  javaDbRepository: string | undefined;
  /** trivy.dbRepositoryInsecure (default false). */
  dbRepositoryInsecure: boolean;
  /** Values of trivy.insecureRegistry.<k>: registries reached without TLS verification. */
  insecureRegistries: string[];
  /** Values of trivy.nonSslRegistry.<k>: registries reached over plain HTTP. */
  nonSslRegistries: string[];
  /** trivy.registry.mirror.<prefix>=<mirror>: image-prefix → mirror. */
  registryMirrors: Record<string, string>;
  /** trivy.resources.{requests,limits}.{cpu,memory,ephemeral-storage}; absent keys take the defaults above. */
  resources: { requests: ResourceList; limits: ResourceList };
  /** trivy.additionalVulnerabilityReportFields. */
  additionalVulnerabilityReportFields: AdditionalReportField[];
  /** trivy.skipFiles / trivy.skipDirs (comma lists). */
  skipFiles: string[];
  skipDirs: string[];
  httpProxy: string | undefined;
  httpsProxy: string | undefined;
  noProxy: string | undefined;
  /** trivy.clientServerSkipUpdate (default false). */
  clientServerSkipUpdate: boolean;
  /** trivy.command: only image scanning is implemented. */
  command: 'image';
  /** Secret trivy.githubToken, trivy.dbRepositoryUsername / trivy.dbRepositoryPassword. */
  githubToken: SecretValue | undefined;
  dbRepositoryUsername: SecretValue | undefined;
  dbRepositoryPassword: SecretValue | undefined;
  /**
   * The file name `trivy.ignoreFile` is mounted as in scan pods (`trivy.ignoreFileName`, default `.trivyignore`;
   * a `.yaml`/`.yml` name selects the YAML format); undefined when the ConfigMap has no `trivy.ignoreFile`.
   */
  ignoreFileName: string | undefined;
  /** The text of `trivy.ignoreFile` (checked); undefined without one. */
  ignoreFile: string | undefined;
}

export interface ParseTrivyConfigOptions {
  /** Told about settings Vigil accepts but reads differently (e.g. trivy.command=filesystem). */
  warn?: (message: string, fields: Record<string, unknown>) => void;
}

/** configMapData: the ConfigMap's data; secretData: the Secret's data already base64-decoded (or stringData). */
export function parseTrivyConfig(
  configMapData: Readonly<Record<string, string>> | undefined,
  secretData: Readonly<Record<string, string>> | undefined,
  options: ParseTrivyConfigOptions = {},
): TrivyConfig {
  const d = configMapData ?? {};
  const s = secretData ?? {};
  const str = (key: string): string | undefined => {
    const value = d[key]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const value = str(key);
    return value === undefined ? fallback : parseBool(key, value);
  };
  const secret = (key: string): SecretValue | undefined => {
    const value = s[key];
    return value === undefined || value === '' ? undefined : new SecretValue(value);
  };

  const modeText = str('trivy.mode') ?? 'Standalone';
  if (modeText !== 'Standalone' && modeText !== 'ClientServer') {
    throw new ConfigError(
      'INVALID',
      'trivy.mode',
      `${JSON.stringify(modeText)} is not a mode`,
      'use Standalone or ClientServer (Helm trivy.mode)',
    );
  }
  const serverURL = str('trivy.serverURL');
  if (serverURL !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(serverURL);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new ConfigError(
        'INVALID',
        'trivy.serverURL',
        `${JSON.stringify(serverURL)} is not an http(s) URL`,
        'give the scan server address, e.g. http://trivy-service.trivy-system:4975',
      );
    }
  }
  if (modeText === 'ClientServer' && serverURL === undefined) {
    throw new ConfigError(
      'MISSING',
      'trivy.serverURL',
      'is required when trivy.mode is ClientServer',
      'set Helm trivy.serverURL to the scan server, e.g. http://trivy-service.trivy-system:4975, or use trivy.mode=Standalone',
    );
  }

  const severity: ConfigSeverity[] = [];
  const severityText = str('trivy.severity') ?? SEVERITIES.join(',');
  for (const entry of parseList(severityText)) {
    const upper = entry.toUpperCase() as ConfigSeverity;
    if (!SEVERITIES.includes(upper)) {
      throw new ConfigError(
        'INVALID',
        'trivy.severity',
        `${JSON.stringify(entry)} is not a severity`,
        `use a comma-separated list of ${SEVERITIES.join(',')}`,
      );
    }
    if (!severity.includes(upper)) severity.push(upper);
  }
  if (severity.length === 0) {
    throw new ConfigError(
      'INVALID',
      'trivy.severity',
      'lists no severity',
      `list some of ${SEVERITIES.join(',')}`,
    );
  }

  const fields: AdditionalReportField[] = [];
  for (const entry of parseList(d['trivy.additionalVulnerabilityReportFields'])) {
    if (!(ADDITIONAL_REPORT_FIELDS as readonly string[]).includes(entry)) {
      throw new ConfigError(
        'INVALID',
        'trivy.additionalVulnerabilityReportFields',
        `${JSON.stringify(entry)} is not a report field`,
        `use a comma-separated list of ${ADDITIONAL_REPORT_FIELDS.join(',')}`,
      );
    }
    if (!fields.includes(entry as AdditionalReportField)) fields.push(entry as AdditionalReportField);
  }

  const command = str('trivy.command') ?? 'image';
  if (command === 'filesystem' || command === 'rootfs') {
    options.warn?.(
      `trivy.command=${command} is not supported by Vigil; scanning images from their registries instead`,
      { key: 'trivy.command', value: command },
    );
  } else if (command !== 'image') {
    throw new ConfigError(
      'INVALID',
      'trivy.command',
      `${JSON.stringify(command)} is not a scan command`,
      'use image (Vigil scans images from their registries)',
    );
  }

  const resources = { requests: {} as ResourceList, limits: {} as ResourceList };
  for (const kind of ['requests', 'limits'] as const) {
    for (const name of ['cpu', 'memory', 'ephemeral-storage'] as const) {
      const key = `trivy.resources.${kind}.${name}`;
      const value = d[key] ?? DEFAULT_TRIVY_CONFIGMAP_DATA[key];
      // An explicitly empty value removes the request or limit.
      if (value !== undefined && value.trim() !== '') resources[kind][name] = parseQuantity(key, value);
    }
  }

  const prefixed = (prefix: string): Array<[string, string]> =>
    Object.entries(d)
      .filter(([key]) => key.startsWith(prefix) && key.length > prefix.length)
      .map(([key, value]) => [key.slice(prefix.length), value.trim()]);
  const registries = (prefix: string): string[] => {
    const values = prefixed(prefix).map(([, value]) => value);
    const empty = prefixed(prefix).find(([, value]) => value === '');
    if (empty) {
      throw new ConfigError(
        'INVALID',
        prefix + empty[0],
        'is empty',
        'give a registry host, e.g. registry.local:5000',
      );
    }
    return [...new Set(values)].sort();
  };
  const registryMirrors: Record<string, string> = {};
  for (const [prefix, mirror] of prefixed('trivy.registry.mirror.')) {
    if (mirror === '') {
      throw new ConfigError(
        'INVALID',
        `trivy.registry.mirror.${prefix}`,
        'is empty',
        'give the mirror registry host',
      );
    }
    registryMirrors[prefix] = mirror;
  }

  // serverInsecure: Trivy Operator only checks that the key exists; an explicit Go false word is read as false.
  const insecureText = d['trivy.serverInsecure'];
  const serverInsecure =
    insecureText === undefined
      ? false
      : insecureText.trim() === ''
        ? true
        : parseBool('trivy.serverInsecure', insecureText.trim());

  const ignoreFileName = checkIgnoreFile(d['trivy.ignoreFile'], str('trivy.ignoreFileName'));

  return {
    mode: modeText,
    serverURL,
    serverTokenHeader: str('trivy.serverTokenHeader') ?? 'Trivy-Token',
    serverToken: secret('trivy.serverToken'),
    serverCustomHeaders: secret('trivy.serverCustomHeaders'),
    serverInsecure,
    severity,
    ignoreUnfixed: bool('trivy.ignoreUnfixed', false),
    offlineScan: bool('trivy.offlineScan', false),
    timeoutMs: parseDuration('trivy.timeout', str('trivy.timeout') ?? '5m0s'),
    dbRepository: str('trivy.dbRepository') ?? 'mirror.gcr.io/aquasec/trivy-db',
    javaDbRepository: str('trivy.javaDbRepository'),
    dbRepositoryInsecure: bool('trivy.dbRepositoryInsecure', false),
    insecureRegistries: registries('trivy.insecureRegistry.'),
    nonSslRegistries: registries('trivy.nonSslRegistry.'),
    registryMirrors,
    resources,
    additionalVulnerabilityReportFields: fields,
    skipFiles: parseList(d['trivy.skipFiles']),
    skipDirs: parseList(d['trivy.skipDirs']),
    httpProxy: str('trivy.httpProxy'),
    httpsProxy: str('trivy.httpsProxy'),
    noProxy: str('trivy.noProxy'),
    clientServerSkipUpdate: bool('trivy.clientServerSkipUpdate', false),
    command: 'image',
    githubToken: secret('trivy.githubToken'),
    dbRepositoryUsername: secret('trivy.dbRepositoryUsername'),
    dbRepositoryPassword: secret('trivy.dbRepositoryPassword'),
    ignoreFileName,
    ignoreFile: ignoreFileName === undefined ? undefined : d['trivy.ignoreFile'],
  };
}

const IGNORE_FILE_NAME = /^[A-Za-z0-9._-]+$/;

/**
 * Checks `trivy.ignoreFile` as the scanner will read it, so a mistake is reported once at start (naming the
 * entry) instead of failing every scan. Returns the file name to mount it as, or undefined without one.
 */
function checkIgnoreFile(text: string | undefined, name: string | undefined): string | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const fileName = name ?? '.trivyignore';
  if (!IGNORE_FILE_NAME.test(fileName) || fileName === '.' || fileName === '..') {
    throw new ConfigError(
      'INVALID',
      'trivy.ignoreFileName',
      `${JSON.stringify(fileName)} is not a plain file name`,
      'use .trivyignore, or .trivyignore.yaml for the YAML format with paths and purls',
    );
  }
  try {
    parseIgnoreFile(text, fileName, Date.now());
  } catch (error) {
    if (!(error instanceof IgnoreFileError)) throw error;
    throw new ConfigError(
      'INVALID',
      'trivy.ignoreFile',
      error.message,
      'fix the entry (see https://trivy.dev/latest/docs/configuration/filtering/#trivyignoreyaml)',
    );
  }
  return fileName;
}
