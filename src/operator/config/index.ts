export { type BindAddress, parseBindAddress } from './bind-address.js';
export {
  DEFAULT_TARGET_WORKLOADS,
  defaultScannerImage,
  type OperatorEnv,
  type ParseOperatorEnvOptions,
  parseOperatorEnv,
  WORKLOAD_KINDS,
  type WorkloadKind,
} from './env.js';
export { ConfigError, type ConfigErrorCode } from './errors.js';
export { GlobPatternError, matchGlob, validateGlob } from './glob.js';
export { type LoadOperatorConfigOptions, loadOperatorConfig, type OperatorConfig } from './load.js';
export {
  type InstallMode,
  installMode,
  type NamespaceSettings,
  namespaceInScope,
  watchedNamespaces,
} from './namespaces.js';
export {
  DEFAULT_OPERATOR_CONFIGMAP_DATA,
  type JsonObject,
  OPERATOR_CONFIGMAP_NAME,
  type OperatorSettings,
  parseOperatorConfigMap,
  sanitizeLabelName,
} from './operator-configmap.js';
export {
  ADDITIONAL_REPORT_FIELDS,
  type AdditionalReportField,
  type ConfigSeverity,
  DEFAULT_TRIVY_CONFIGMAP_DATA,
  type ParseTrivyConfigOptions,
  parseTrivyConfig,
  type ResourceList,
  type ResourceName,
  SEVERITIES,
  TRIVY_CONFIG_NAME,
  type TrivyConfig,
} from './trivy-config.js';
export { formatGoDuration, SecretValue } from './values.js';
