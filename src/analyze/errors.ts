/**
 * Errors of the analysis boundary.
 *
 * - ANALYZE_LAYER: a layer could not be analysed (its stream or tar is unreadable or over a bound); the cause
 *   is the LayerError from src/image/layer-*.ts
 * - ANALYZE_UNKNOWN_OS: no OS was detected in any layer (Trivy's ErrUnknownOS); the merged detail is attached,
 *   language packages are still usable
 * - ANALYZE_NO_PACKAGES: an OS was detected but no OS packages (Trivy's ErrNoPkgsDetected)
 * - ANALYZE_PARSE: one file could not be parsed; analysers report it and the layer goes on, as Trivy does
 */
export type AnalyzeErrorCode =
  | 'ANALYZE_LAYER'
  | 'ANALYZE_UNKNOWN_OS'
  | 'ANALYZE_NO_PACKAGES'
  | 'ANALYZE_PARSE';

export class AnalyzeError extends Error {
  readonly code: AnalyzeErrorCode;

  constructor(code: AnalyzeErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'AnalyzeError';
    this.code = code;
  }
}

export function parseError(what: string, path: string, reason: string, cause?: unknown): AnalyzeError {
  return new AnalyzeError('ANALYZE_PARSE', `${what}: cannot parse ${path}: ${reason}`, cause);
}
