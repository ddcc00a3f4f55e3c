/**
 * The configuration boundary's error. Every invalid value is reported, never replaced by a default: the
 * operator refuses to start with a setting it cannot honour, and the message says which one and what to do.
 */
export type ConfigErrorCode =
  | 'MISSING' // a required variable or key is absent
  | 'INVALID' // a value that does not parse or is out of range
  | 'UNSUPPORTED' // a valid Trivy Operator value that Vigil does not implement
  | 'KUBE'; // reading or creating a ConfigMap/Secret failed

export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  /** The environment variable or ConfigMap/Secret key at fault, e.g. OPERATOR_SCAN_JOB_TIMEOUT or trivy.mode. */
  readonly key: string;
  /** What the operator of the cluster should do about it. */
  readonly hint: string;

  constructor(code: ConfigErrorCode, key: string, problem: string, hint: string, cause?: unknown) {
    super(`${key}: ${problem}; ${hint}`, cause === undefined ? undefined : { cause });
    this.name = 'ConfigError';
    this.code = code;
    this.key = key;
    this.hint = hint;
  }
}
