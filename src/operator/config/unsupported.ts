/**
 * Trivy Operator settings that Vigil reads but does not act on. Each one set to a value that asks for work is
 * reported once at start, so nobody waits for reports that will never come. Vigil writes VulnerabilityReports
 * only (config audit, RBAC/infra assessment and compliance are later work).
 */

export interface UnsupportedSetting {
  /** The variable or ConfigMap key, as the user set it. */
  setting: string;
  /** What the user will not get. */
  effect: string;
}

/** Environment variables whose "true" (or non-empty value) asks for something Vigil does not do. */
const ENABLING_ENV: ReadonlyArray<[name: string, kind: 'bool' | 'value', effect: string]> = [
  ['OPERATOR_EXPOSED_SECRET_SCANNER_ENABLED', 'bool', 'no ExposedSecretReports are written'],
  ['OPERATOR_SBOM_GENERATION_ENABLED', 'bool', 'no SbomReports are written'],
  ['OPERATOR_CLUSTER_SBOM_CACHE_ENABLED', 'bool', 'no ClusterSbomReports are written'],
  ['OPERATOR_CONFIG_AUDIT_SCANNER_ENABLED', 'bool', 'no ConfigAuditReports are written'],
  ['OPERATOR_RBAC_ASSESSMENT_SCANNER_ENABLED', 'bool', 'no RbacAssessmentReports are written'],
  ['OPERATOR_INFRA_ASSESSMENT_SCANNER_ENABLED', 'bool', 'no InfraAssessmentReports are written'],
  ['OPERATOR_CLUSTER_COMPLIANCE_ENABLED', 'bool', 'no ClusterComplianceReports are written'],
  ['OPERATOR_WEBHOOK_BROADCAST_URL', 'value', 'reports are not sent to a webhook'],
  ['OPERATOR_ALTERNATE_REPORT_STORAGE_ENABLED', 'bool', 'reports are stored as resources, not as files'],
  ['OPERATOR_PPROF_BIND_ADDRESS', 'value', 'no pprof endpoint is served'],
];

/** ConfigMap `trivy-operator-trivy-config` keys that Vigil does not apply. */
const TRIVY_KEYS: ReadonlyArray<[key: string | RegExp, effect: string]> = [
  [/^trivy\.ignorePolicy(\..+)?$/, 'the Rego ignore policy is not applied (use trivy.ignoreFile)'],
  ['trivy.sbomSources', 'SBOMs from registries or Rekor are not read'],
  ['trivy.configFile', 'the Trivy config file is not read'],
  ['trivy.sslCertDir', 'no extra CA certificates are mounted'],
];

const TRUE_WORDS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);

export function unsupportedSettings(
  env: Readonly<Record<string, string | undefined>>,
  trivyConfigData: Readonly<Record<string, string>>,
): UnsupportedSetting[] {
  const found: UnsupportedSetting[] = [];
  for (const [name, kind, effect] of ENABLING_ENV) {
    const value = env[name]?.trim();
    if (value === undefined || value === '') continue;
    if (kind === 'bool' && !TRUE_WORDS.has(value)) continue;
    found.push({ setting: kind === 'bool' ? `${name}=${value}` : name, effect });
  }
  for (const key of Object.keys(trivyConfigData).sort()) {
    if ((trivyConfigData[key] ?? '').trim() === '') continue;
    const rule = TRIVY_KEYS.find(([k]) => (typeof k === 'string' ? k === key : k.test(key)));
    if (rule) found.push({ setting: key, effect: rule[1] });
  }
  return found;
}
