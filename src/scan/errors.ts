/**
 * Errors of the scan boundary. Every message names what was scanned (the reference or --input path as typed)
 * and, where the user can act, what to do. The cause is the error of the layer below (ImageError,
 * AnalyzeError, DbError, BoltError, …).
 *
 * - SCAN_IMAGE: the image could not be resolved or read (registry, archive, platform, authentication)
 * - SCAN_LAYER: a layer could not be fetched or analysed, or its content does not match its diff id
 * - SCAN_DB: the vulnerability DB could not be downloaded, opened or read
 * - SCAN_CACHE: the layer cache could not be used where the scan needs it (a blob missing on apply)
 * - SCAN_TIMEOUT: the scan ran past --timeout
 * - SCAN_DETECT: detection failed (a lookup Trivy would fail on too)
 * - SCAN_SERVER: the scan server (--server) refused a call, failed, or could not be reached
 */
export type ScanErrorCode =
  | 'SCAN_IMAGE'
  | 'SCAN_LAYER'
  | 'SCAN_DB'
  | 'SCAN_CACHE'
  | 'SCAN_TIMEOUT'
  | 'SCAN_DETECT'
  | 'SCAN_SERVER';

export class ScanError extends Error {
  readonly code: ScanErrorCode;

  constructor(code: ScanErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ScanError';
    this.code = code;
  }

  static is(error: unknown, code?: ScanErrorCode): error is ScanError {
    return error instanceof ScanError && (code === undefined || error.code === code);
  }
}

/** The message of an error, or its string form. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
