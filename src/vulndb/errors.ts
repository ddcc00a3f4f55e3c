/**
 * Errors of the trivy-db layer (src/vulndb, above the bbolt reader, whose BoltError passes through):
 * - VULNDB_DECODE: a stored value is not what Trivy's Go types accept (Trivy would fail the same lookup)
 * - VULNDB_FIXTURE: a YAML fixture file cannot be loaded the way Trivy's bolt-fixtures loader would
 */
export type VulnDbErrorCode = 'VULNDB_DECODE' | 'VULNDB_FIXTURE';

export class VulnDbError extends Error {
  readonly code: VulnDbErrorCode;
  constructor(code: VulnDbErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VulnDbError';
    this.code = code;
  }
}
