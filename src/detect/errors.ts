/**
 * The one error type of the detection boundary.
 * - DETECT_DB: the database cannot answer a lookup Trivy needs (an undecodable stored value, Red Hat CPE
 *   mappings missing for the image's content sets); Trivy fails the scan in the same cases
 * - DETECT_VERSION: an installed version a driver must read is invalid where Trivy aborts too (Echo)
 */
export type DetectErrorCode = 'DETECT_DB' | 'DETECT_VERSION';

export class DetectError extends Error {
  readonly code: DetectErrorCode;

  constructor(code: DetectErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'DetectError';
    this.code = code;
  }
}
