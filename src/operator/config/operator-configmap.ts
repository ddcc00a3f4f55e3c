/**
 * ConfigMap (and Secret) `trivy-operator`: the operator-level keys (pkg/trivyoperator/config.go; reference §3.4,
 * §5.4) that concern vulnerability scanning. Read once at start, as Trivy Operator does.
 */
import { ConfigError } from './errors.js';
import { parseBool, parseGlobList, parseJson, parseKeyValueList, parseList } from './values.js';

export const OPERATOR_CONFIGMAP_NAME = 'trivy-operator';

/** What Trivy Operator writes when the ConfigMap is absent (GetDefaultConfig). */
export const DEFAULT_OPERATOR_CONFIGMAP_DATA: Readonly<Record<string, string>> = Object.freeze({
  'vulnerabilityReports.scanner': 'Trivy',
  'configAuditReports.scanner': 'Trivy',
  'scanJob.compressLogs': 'true',
  'compliance.failEntriesLimit': '10',
  'report.recordFailedChecksOnly': 'true',
  'node.collector.imageRef': 'ghcr.io/aquasecurity/node-collector:0.3.1',
  'policies.bundle.oci.ref': 'mirror.gcr.io/aquasec/trivy-checks:1',
});

/** JSON objects passed through to the scan pod as Kubernetes would read them. */
export type JsonObject = Record<string, unknown>;

export interface OperatorSettings {
  vulnerabilityReports: {
    /** vulnerabilityReports.scanner: only "Trivy" (the default) is meaningful. */
    scanner: string;
    /** vulnerabilityReports.scanJobsInSameNamespace (default false). */
    scanJobsInSameNamespace: boolean;
  };
  scanJob: {
    /** scanJob.compressLogs (default true when absent from a created ConfigMap; false when the key is absent). */
    compressLogs: boolean;
    skipInitContainers: boolean;
    /** scanJob.excludeImages: filepath.Match globs on the image string. */
    excludeImages: string[];
    annotations: Record<string, string>;
    podTemplateLabels: Record<string, string>;
    tolerations: JsonObject[] | undefined;
    nodeSelector: Record<string, string> | undefined;
    affinity: JsonObject | undefined;
    podTemplatePodSecurityContext: JsonObject | undefined;
    podTemplateContainerSecurityContext: JsonObject | undefined;
    /** scanJob.automountServiceAccountToken (default false). */
    automountServiceAccountToken: boolean;
    /** scanJob.podPriorityClassName; undefined when empty. */
    podPriorityClassName: string | undefined;
    /** scanJob.useGCRServiceAccount (default true). */
    useGCRServiceAccount: boolean;
  };
  report: {
    /** report.resourceLabels: workload label keys copied onto reports (and into metrics). */
    resourceLabels: string[];
    /** report.additionalLabels: k=v labels added to every report. */
    additionalLabels: Record<string, string>;
  };
  metrics: {
    /** metrics.resourceLabelsPrefix (default k8s_label_). */
    resourceLabelsPrefix: string;
  };
  /** skipResourceByLabels: label keys; a workload carrying any is not scanned. */
  skipResourceByLabels: string[];
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function parseOperatorConfigMap(data: Readonly<Record<string, string>> | undefined): OperatorSettings {
  const d = data ?? {};
  const bool = (key: string, fallback: boolean): boolean => {
    const value = d[key];
    return value === undefined || value.trim() === '' ? fallback : parseBool(key, value.trim());
  };
  const scanner = d['vulnerabilityReports.scanner']?.trim() || 'Trivy';
  if (scanner !== 'Trivy') {
    throw new ConfigError(
      'UNSUPPORTED',
      'vulnerabilityReports.scanner',
      `${JSON.stringify(scanner)} is not supported`,
      'set it to Trivy (Vigil is the Trivy-compatible scanner)',
    );
  }
  const nodeSelector = parseJson<Record<string, unknown>>(
    'scanJob.nodeSelector',
    d['scanJob.nodeSelector'],
    'object',
    'a label → value map',
  );
  if (nodeSelector && Object.values(nodeSelector).some((v) => typeof v !== 'string')) {
    throw new ConfigError(
      'INVALID',
      'scanJob.nodeSelector',
      'has a non-string value',
      'give string label values',
    );
  }
  const prefix = d['metrics.resourceLabelsPrefix'] ?? 'k8s_label_';
  const resourceLabels = parseList(d['report.resourceLabels']);
  for (const label of resourceLabels) {
    const metricLabel = prefix + sanitizeLabelName(label);
    if (!LABEL_NAME.test(metricLabel)) {
      throw new ConfigError(
        'INVALID',
        'metrics.resourceLabelsPrefix',
        `${JSON.stringify(prefix)} with report.resourceLabels entry ${JSON.stringify(label)} gives the invalid Prometheus label ${JSON.stringify(metricLabel)}`,
        'use a prefix that starts with a letter or _ and has only letters, digits and _',
      );
    }
  }
  const priority = d['scanJob.podPriorityClassName']?.trim();
  return {
    vulnerabilityReports: {
      scanner,
      scanJobsInSameNamespace: bool('vulnerabilityReports.scanJobsInSameNamespace', false),
    },
    scanJob: {
      compressLogs: bool('scanJob.compressLogs', false),
      skipInitContainers: bool('scanJob.skipInitContainers', false),
      excludeImages: parseGlobList('scanJob.excludeImages', d['scanJob.excludeImages']),
      annotations: parseKeyValueList('scanJob.annotations', d['scanJob.annotations']),
      podTemplateLabels: parseKeyValueList('scanJob.podTemplateLabels', d['scanJob.podTemplateLabels']),
      tolerations: parseJson<JsonObject[]>(
        'scanJob.tolerations',
        d['scanJob.tolerations'],
        'array',
        'tolerations',
      ),
      nodeSelector: nodeSelector as Record<string, string> | undefined,
      affinity: parseJson<JsonObject>('scanJob.affinity', d['scanJob.affinity'], 'object', 'an affinity'),
      podTemplatePodSecurityContext: parseJson<JsonObject>(
        'scanJob.podTemplatePodSecurityContext',
        d['scanJob.podTemplatePodSecurityContext'],
        'object',
        'a PodSecurityContext',
      ),
      podTemplateContainerSecurityContext: parseJson<JsonObject>(
        'scanJob.podTemplateContainerSecurityContext',
        d['scanJob.podTemplateContainerSecurityContext'],
        'object',
        'a container SecurityContext',
      ),
      automountServiceAccountToken: bool('scanJob.automountServiceAccountToken', false),
      podPriorityClassName: priority === undefined || priority === '' ? undefined : priority,
      useGCRServiceAccount: bool('scanJob.useGCRServiceAccount', true),
    },
    report: {
      resourceLabels,
      additionalLabels: parseKeyValueList('report.additionalLabels', d['report.additionalLabels']),
    },
    metrics: { resourceLabelsPrefix: prefix },
    skipResourceByLabels: parseList(d.skipResourceByLabels),
  };
}

/**
 * Trivy Operator's metric-label sanitising (pkg/metrics/util.go): characters outside [a-zA-Z0-9_] become `_`,
 * then camelCase becomes snake_case and everything lower case ("app.kubernetes.io/name" → "app_kubernetes_io_name",
 * "teamName" → "team_name").
 */
export function sanitizeLabelName(key: string): string {
  return key
    .replace(/[^a-zA-Z0-9_]/g, '_')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase();
}
