/**
 * OPERATOR_* environment variables as Trivy Operator reads them (pkg/operator/etc/config.go; reference §5.2),
 * limited to what vulnerability scanning uses, plus Vigil's own VIGIL_* additions. A variable set to "" is
 * treated as unset (Helm renders empty values), except the TTLs where "" means "none".
 */
import { readPackageVersion } from '../../cli/version.js';
import { parseBindAddress } from './bind-address.js';
import { ConfigError } from './errors.js';
import { parseBool, parseDuration, parseGlobList, parseInteger, parseList } from './values.js';

/** The kinds Trivy Operator can watch (OPERATOR_TARGET_WORKLOADS). Deployment is scanned through its ReplicaSet. */
export const WORKLOAD_KINDS = [
  'Pod',
  'ReplicaSet',
  'ReplicationController',
  'StatefulSet',
  'DaemonSet',
  'CronJob',
  'Job',
] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

export interface OperatorEnv {
  /** OPERATOR_NAMESPACE (required): where scan Jobs, their Secrets and the config objects live. */
  namespace: string;
  /** OPERATOR_TARGET_NAMESPACES; [] = all namespaces. */
  targetNamespaces: string[];
  /** OPERATOR_EXCLUDE_NAMESPACES: validated filepath.Match globs. */
  excludeNamespaces: string[];
  /** OPERATOR_TARGET_WORKLOADS, case-insensitive in the variable, canonical kinds here. */
  targetWorkloads: WorkloadKind[];
  /** OPERATOR_SERVICE_ACCOUNT: the scan pods' service account. */
  serviceAccount: string;
  /** OPERATOR_LOG_DEV_MODE. */
  logDevMode: boolean;
  /** OPERATOR_SCAN_JOB_TIMEOUT (default 5m) → activeDeadlineSeconds; 0 = no deadline. */
  scanJobTimeoutMs: number;
  /** OPERATOR_SCAN_JOB_TTL → ttlSecondsAfterFinished; undefined = unset. */
  scanJobTTLMs: number | undefined;
  /** OPERATOR_SCAN_SECRET_TTL; undefined = unset. */
  scanSecretTTLMs: number | undefined;
  /** OPERATOR_CONCURRENT_SCAN_JOBS_LIMIT (Helm operator.scanJobsConcurrentLimit, default 10, at least 1). */
  scanJobsConcurrentLimit: number;
  /** OPERATOR_SCAN_JOB_RETRY_AFTER (Helm operator.scanJobsRetryDelay, default 30s). */
  scanJobsRetryDelayMs: number;
  /** OPERATOR_METRICS_BIND_ADDRESS (default :8080). */
  metricsBindAddress: string;
  /** OPERATOR_HEALTH_PROBE_BIND_ADDRESS (default :9090). */
  healthProbeBindAddress: string;
  /** OPERATOR_METRICS_FINDINGS_ENABLED (default true): every trivy_* metric. */
  metricsFindingsEnabled: boolean;
  /** OPERATOR_METRICS_VULN_ID_ENABLED (default false): trivy_vulnerability_id. */
  metricsVulnIdEnabled: boolean;
  /** OPERATOR_METRICS_EXPOSED_SECRET_INFO_ENABLED (default false). */
  metricsExposedSecretInfoEnabled: boolean;
  /** OPERATOR_METRICS_CONFIG_AUDIT_INFO_ENABLED (default false). */
  metricsConfigAuditInfoEnabled: boolean;
  /** OPERATOR_METRICS_RBAC_ASSESSMENT_INFO_ENABLED (default false). */
  metricsRbacAssessmentInfoEnabled: boolean;
  /** OPERATOR_METRICS_INFRA_ASSESSMENT_INFO_ENABLED (default false). */
  metricsInfraAssessmentInfoEnabled: boolean;
  /** OPERATOR_METRICS_IMAGE_INFO_ENABLED (default false): trivy_image_info. */
  metricsImageInfoEnabled: boolean;
  /** OPERATOR_METRICS_CLUSTER_COMPLIANCE_INFO_ENABLED (default false). */
  metricsClusterComplianceInfoEnabled: boolean;
  /** OPERATOR_VULNERABILITY_SCANNER_ENABLED (default true): false stops on-change scans. */
  vulnerabilityScannerEnabled: boolean;
  /** OPERATOR_VULNERABILITY_SCANNER_SCAN_ONLY_CURRENT_REVISIONS (default true). */
  vulnerabilityScannerScanOnlyCurrentRevisions: boolean;
  /** OPERATOR_SCANNER_REPORT_TTL (default 24h; "" = reports never expire → undefined). */
  scannerReportTTLMs: number | undefined;
  /** OPERATOR_LEADER_ELECTION_ENABLED (default false). */
  leaderElectionEnabled: boolean;
  /** OPERATOR_LEADER_ELECTION_ID (default trivyoperator-lock): the Lease name. */
  leaderElectionId: string;
  /** OPERATOR_ACCESS_GLOBAL_SECRETS_SERVICE_ACCOUNTS (default true). */
  accessGlobalSecretsAndServiceAccount: boolean;
  /** OPERATOR_PRIVATE_REGISTRY_SCAN_SECRETS_NAMES: JSON {"ns":"a,b"} → { ns: ['a','b'] }. */
  privateRegistryScanSecretsNames: Record<string, string[]>;
  /** OPERATOR_BUILT_IN_TRIVY_SERVER (default false). */
  builtInTrivyServer: boolean;
  /** TRIVY_SERVER_HEALTH_CHECK_CACHE_EXPIRATION (default 10h). */
  trivyServerHealthCheckCacheExpirationMs: number;
  /** CONTROLLER_CACHE_SYNC_TIMEOUT (default 5m): how long informers may take to sync at start. */
  cacheSyncTimeoutMs: number;
  /** VIGIL_SCANNER_IMAGE (default ghcr.io/vigil/vigil:<package version>): the scan Job containers' image. */
  scannerImage: string;
  /** VIGIL_SCAN_RETRY_MAX_DELAY (default 1h): cap of the failed-scan retry backoff. */
  scanRetryMaxDelayMs: number;
}

export interface ParseOperatorEnvOptions {
  /** Version for the default scanner image; default: this package's version. */
  version?: string;
}

export const DEFAULT_TARGET_WORKLOADS: readonly WorkloadKind[] = WORKLOAD_KINDS;

/** The default scan image for a Vigil version. */
export function defaultScannerImage(version: string): string {
  return `ghcr.io/vigil/vigil:${version}`;
}

export function parseOperatorEnv(
  env: Record<string, string | undefined>,
  options: ParseOperatorEnvOptions = {},
): OperatorEnv {
  /** The value when set and non-empty, else undefined. */
  const get = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const value = get(name);
    return value === undefined ? fallback : parseBool(name, value.trim());
  };
  const duration = (name: string, fallback: string): number => parseDuration(name, get(name) ?? fallback);
  const optionalDuration = (name: string, fallback: string | undefined): number | undefined => {
    const value = env[name];
    if (value === undefined) return fallback === undefined ? undefined : parseDuration(name, fallback);
    return value.trim() === '' ? undefined : parseDuration(name, value);
  };

  const namespace = get('OPERATOR_NAMESPACE')?.trim();
  if (namespace === undefined) {
    throw new ConfigError(
      'MISSING',
      'OPERATOR_NAMESPACE',
      'is not set',
      'set it to the namespace the operator runs in (the Helm chart sets it to the release namespace)',
    );
  }

  return {
    namespace,
    targetNamespaces: parseList(env.OPERATOR_TARGET_NAMESPACES),
    excludeNamespaces: parseGlobList('OPERATOR_EXCLUDE_NAMESPACES', env.OPERATOR_EXCLUDE_NAMESPACES),
    targetWorkloads: parseTargetWorkloads(get('OPERATOR_TARGET_WORKLOADS')),
    serviceAccount: get('OPERATOR_SERVICE_ACCOUNT')?.trim() ?? 'trivy-operator',
    logDevMode: bool('OPERATOR_LOG_DEV_MODE', false),
    scanJobTimeoutMs: duration('OPERATOR_SCAN_JOB_TIMEOUT', '5m'),
    scanJobTTLMs: optionalDuration('OPERATOR_SCAN_JOB_TTL', undefined),
    scanSecretTTLMs: optionalDuration('OPERATOR_SCAN_SECRET_TTL', undefined),
    scanJobsConcurrentLimit: parseInteger(
      'OPERATOR_CONCURRENT_SCAN_JOBS_LIMIT',
      get('OPERATOR_CONCURRENT_SCAN_JOBS_LIMIT') ?? '10',
      1,
    ),
    scanJobsRetryDelayMs: duration('OPERATOR_SCAN_JOB_RETRY_AFTER', '30s'),
    metricsBindAddress: bindAddress(
      'OPERATOR_METRICS_BIND_ADDRESS',
      get('OPERATOR_METRICS_BIND_ADDRESS') ?? ':8080',
    ),
    healthProbeBindAddress: bindAddress(
      'OPERATOR_HEALTH_PROBE_BIND_ADDRESS',
      get('OPERATOR_HEALTH_PROBE_BIND_ADDRESS') ?? ':9090',
    ),
    metricsFindingsEnabled: bool('OPERATOR_METRICS_FINDINGS_ENABLED', true),
    metricsVulnIdEnabled: bool('OPERATOR_METRICS_VULN_ID_ENABLED', false),
    metricsExposedSecretInfoEnabled: bool('OPERATOR_METRICS_EXPOSED_SECRET_INFO_ENABLED', false),
    metricsConfigAuditInfoEnabled: bool('OPERATOR_METRICS_CONFIG_AUDIT_INFO_ENABLED', false),
    metricsRbacAssessmentInfoEnabled: bool('OPERATOR_METRICS_RBAC_ASSESSMENT_INFO_ENABLED', false),
    metricsInfraAssessmentInfoEnabled: bool('OPERATOR_METRICS_INFRA_ASSESSMENT_INFO_ENABLED', false),
    metricsImageInfoEnabled: bool('OPERATOR_METRICS_IMAGE_INFO_ENABLED', false),
    metricsClusterComplianceInfoEnabled: bool('OPERATOR_METRICS_CLUSTER_COMPLIANCE_INFO_ENABLED', false),
    vulnerabilityScannerEnabled: bool('OPERATOR_VULNERABILITY_SCANNER_ENABLED', true),
    vulnerabilityScannerScanOnlyCurrentRevisions: bool(
      'OPERATOR_VULNERABILITY_SCANNER_SCAN_ONLY_CURRENT_REVISIONS',
      true,
    ),
    scannerReportTTLMs: optionalDuration('OPERATOR_SCANNER_REPORT_TTL', '24h'),
    leaderElectionEnabled: bool('OPERATOR_LEADER_ELECTION_ENABLED', false),
    leaderElectionId: get('OPERATOR_LEADER_ELECTION_ID')?.trim() ?? 'trivyoperator-lock',
    accessGlobalSecretsAndServiceAccount: bool('OPERATOR_ACCESS_GLOBAL_SECRETS_SERVICE_ACCOUNTS', true),
    privateRegistryScanSecretsNames: parseSecretsNames(get('OPERATOR_PRIVATE_REGISTRY_SCAN_SECRETS_NAMES')),
    builtInTrivyServer: bool('OPERATOR_BUILT_IN_TRIVY_SERVER', false),
    trivyServerHealthCheckCacheExpirationMs: duration('TRIVY_SERVER_HEALTH_CHECK_CACHE_EXPIRATION', '10h'),
    cacheSyncTimeoutMs: duration('CONTROLLER_CACHE_SYNC_TIMEOUT', '5m'),
    scannerImage:
      get('VIGIL_SCANNER_IMAGE')?.trim() ?? defaultScannerImage(options.version ?? readPackageVersion()),
    scanRetryMaxDelayMs: duration('VIGIL_SCAN_RETRY_MAX_DELAY', '1h'),
  };
}

function bindAddress(name: string, value: string): string {
  parseBindAddress(name, value);
  return value.trim();
}

function parseTargetWorkloads(value: string | undefined): WorkloadKind[] {
  if (value === undefined) return [...DEFAULT_TARGET_WORKLOADS];
  const byLower = new Map(WORKLOAD_KINDS.map((kind) => [kind.toLowerCase(), kind]));
  const kinds: WorkloadKind[] = [];
  for (const entry of parseList(value)) {
    const kind = byLower.get(entry.toLowerCase());
    if (kind === undefined) {
      const hint =
        entry.toLowerCase() === 'deployment'
          ? 'Deployments are scanned through their ReplicaSets: list ReplicaSet instead'
          : `use a comma-separated list of ${WORKLOAD_KINDS.join(', ')}`;
      throw new ConfigError(
        'INVALID',
        'OPERATOR_TARGET_WORKLOADS',
        `${JSON.stringify(entry)} is not a workload kind`,
        hint,
      );
    }
    if (!kinds.includes(kind)) kinds.push(kind);
  }
  if (kinds.length === 0) return [...DEFAULT_TARGET_WORKLOADS];
  return kinds;
}

function parseSecretsNames(value: string | undefined): Record<string, string[]> {
  const key = 'OPERATOR_PRIVATE_REGISTRY_SCAN_SECRETS_NAMES';
  const hint =
    'give a JSON object of namespace → comma-separated secret names, e.g. {"apps":"regcred,other"}';
  if (value === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new ConfigError('INVALID', key, 'is not valid JSON', hint, error);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('INVALID', key, 'is not a JSON object', hint);
  }
  const out: Record<string, string[]> = {};
  for (const [namespace, names] of Object.entries(parsed)) {
    if (typeof names !== 'string') {
      throw new ConfigError(
        'INVALID',
        key,
        `the value for namespace ${JSON.stringify(namespace)} is not a string`,
        hint,
      );
    }
    out[namespace] = parseList(names);
  }
  return out;
}
