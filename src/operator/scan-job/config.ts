import type { PodSecurityContext, ResourceRequirements, SecurityContext, Toleration } from './types.js';

/**
 * What the Job builder needs to know about the operator's configuration. The integrator maps the operator's
 * configuration (env, ConfigMaps `trivy-operator` / `trivy-operator-trivy-config`) onto it; durations are in
 * milliseconds.
 */
export interface ScanJobConfig {
  /** Where scan Jobs and their credential Secrets are created (unless scanJobsInSameNamespace). */
  operatorNamespace: string;
  /**
   * vulnerabilityReports.scanJobsInSameNamespace: the Job and its Secret go to the workload's namespace, and
   * the pod runs with the workload's serviceAccountName ("default" when it has none) and imagePullSecrets.
   */
  scanJobsInSameNamespace?: boolean;
  /**
   * With scanJobsInSameNamespace: the `trivy-operator-trivy-config` ConfigMap and Secret exist only in the
   * operator namespace, so a Job in a workload namespace cannot reference them (optional refs would silently
   * drop severity, timeout, proxies and the server token: Trivy Operator's behaviour). The operator's loaded
   * values instead: `env` by variable name (TRIVY_SEVERITY, TRIVY_TIMEOUT, HTTP_PROXY, …, only those set) as
   * literals, and the server token / custom headers copied into the Job's own `<job>-regcred` Secret.
   * Without it the Job references the ConfigMap/Secret as in the operator namespace.
   */
  trivyConfigSnapshot?: TrivyConfigSnapshot;
  /** The scan pods' ServiceAccount (OPERATOR_SERVICE_ACCOUNT); not used with scanJobsInSameNamespace. */
  serviceAccount: string;
  /** The vigil image that runs `vigil scan image` (and `vigil db download` in Standalone). */
  scannerImage: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  /**
   * Secrets to pull the scanner image with (trivy.imagePullSecret), in the operator namespace; not used with
   * scanJobsInSameNamespace (the pod then has the workload's imagePullSecrets, as Trivy Operator's).
   */
  scannerImagePullSecrets?: string[];
  mode: 'ClientServer' | 'Standalone';
  /** trivy.serverURL; required in ClientServer. */
  serverURL?: string;
  /**
   * trivy.serverTokenHeader as resolved by the config loader: set as a literal when given, otherwise the scan
   * container reads the ConfigMap key (vigil defaults to Trivy-Token when neither has it).
   */
  serverTokenHeader?: string;
  /** The Secret `trivy-operator-trivy-config` has `trivy.serverToken`. */
  hasServerToken: boolean;
  /** The Secret `trivy-operator-trivy-config` has `trivy.serverCustomHeaders`. */
  hasCustomHeaders: boolean;
  /**
   * The Secret `trivy-operator-trivy-config` has `trivy.dbRepositoryUsername` and `trivy.dbRepositoryPassword`:
   * the Standalone DB download logs in to the DB registry with them.
   */
  hasDbRepositoryCredentials?: boolean;
  /** trivy.serverInsecure. */
  serverInsecure: boolean;
  /** trivy.dbRepository (comma-separated fallbacks allowed); used by the Standalone DB download. */
  dbRepository: string;
  dbRepositoryInsecure: boolean;
  /** Registry hosts of trivy.insecureRegistry.* (TLS not verified). */
  insecureRegistries: string[];
  /** Registry hosts of trivy.nonSslRegistry.* (plain HTTP). */
  nonSslRegistries: string[];
  /** trivy.registry.mirror.<prefix> = <mirror>: the scanned reference is rewritten. */
  registryMirrors: Record<string, string>;
  /** OPERATOR_SCAN_JOB_TIMEOUT → activeDeadlineSeconds; 0 = none. */
  timeoutMs: number;
  /** OPERATOR_SCAN_JOB_TTL → ttlSecondsAfterFinished; unset or 0 = none. */
  jobTTLMs?: number;
  /** OPERATOR_SCAN_SECRET_TTL → annotation `trivy-operator.aquasecurity.github.io/secret-ttl` on the Secret. */
  secretTTLMs?: number;
  /** trivy.resources: applied to every container of the pod, init included. */
  resources?: ResourceRequirements;
  tolerations?: Toleration[];
  nodeSelector?: Record<string, string>;
  /** scanJob.affinity; replaces the default (required node affinity kubernetes.io/os In [linux]). */
  affinity?: Record<string, unknown>;
  priorityClassName?: string;
  /** scanJob.annotations: on the Job and its pod template. */
  annotations?: Record<string, string>;
  /** scanJob.podTemplateLabels. */
  podTemplateLabels?: Record<string, string>;
  /** scanJob.automountServiceAccountToken; default false. */
  automountServiceAccountToken?: boolean;
  /** scanJob.podTemplatePodSecurityContext: merged over the restricted defaults, key by key. */
  podSecurityContext?: PodSecurityContext;
  /** scanJob.podTemplateContainerSecurityContext: merged over the restricted defaults, key by key. */
  containerSecurityContext?: SecurityContext;
  /** scanJob.compressLogs (default true): the report comes back gzip+base64 instead of plain JSON. */
  compressLogs: boolean;
  /**
   * The ConfigMap has `trivy.ignoreFile`: it is mounted into the scan containers as this file name
   * (`trivy.ignoreFileName`, default `.trivyignore`) under IGNORE_FILE_DIR. Undefined = no ignore file.
   */
  ignoreFileName?: string;
}

/** The ConfigMap and Secret holding the scanner's settings (Trivy Operator's names). */
export const TRIVY_CONFIG_NAME = 'trivy-operator-trivy-config';

/** A Secret value that does not print itself (config/values.ts SecretValue fits). */
export interface RevealableSecret {
  reveal(): string;
}

/** See ScanJobConfig.trivyConfigSnapshot. */
export interface TrivyConfigSnapshot {
  env: Readonly<Record<string, string>>;
  serverToken?: RevealableSecret;
  serverCustomHeaders?: RevealableSecret;
  dbRepositoryUsername?: RevealableSecret;
  dbRepositoryPassword?: RevealableSecret;
  /** The text of `trivy.ignoreFile`, when ScanJobConfig.ignoreFileName is set. */
  ignoreFile?: string;
}
