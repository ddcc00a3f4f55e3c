/** Which part of an input was rejected. */
export type VersionErrorCode = 'INVALID_VERSION' | 'INVALID_CONSTRAINT' | 'UNSUPPORTED_ECOSYSTEM';

/**
 * The one error type of the version boundary: a version or constraint string that a scheme cannot read.
 * Callers (the detectors) treat it as "cannot decide" and skip the advisory, as Trivy does, so the message
 * must name the scheme, the input and what is wrong with it.
 */
export class VersionError extends Error {
  readonly code: VersionErrorCode;
  readonly scheme: string;
  readonly input: string;

  constructor(code: VersionErrorCode, scheme: string, input: string, reason: string, cause?: unknown) {
    const what = code === 'INVALID_VERSION' ? 'version' : 'constraint';
    super(
      code === 'UNSUPPORTED_ECOSYSTEM'
        ? `no version scheme for ecosystem ${JSON.stringify(input)}: ${reason}`
        : `invalid ${scheme} ${what} ${JSON.stringify(input)}: ${reason}`,
      cause === undefined ? undefined : { cause },
    );
    this.name = 'VersionError';
    this.code = code;
    this.scheme = scheme;
    this.input = input;
  }
}

export function invalidVersion(scheme: string, input: string, reason: string, cause?: unknown): VersionError {
  return new VersionError('INVALID_VERSION', scheme, input, reason, cause);
}

export function invalidConstraint(
  scheme: string,
  input: string,
  reason: string,
  cause?: unknown,
): VersionError {
  return new VersionError('INVALID_CONSTRAINT', scheme, input, reason, cause);
}
