/**
 * Errors of the image boundary (registries, image archives, OCI layouts). Every message names what was asked
 * for (reference, registry host, file) and, where the user can act, what to do.
 *
 * - IMAGE_BAD_REFERENCE: the image reference or platform string does not parse
 * - IMAGE_UNAUTHORIZED: the registry refused the credentials, or wants credentials that were not given
 * - IMAGE_NOT_FOUND: the repository, tag, manifest or blob does not exist
 * - IMAGE_NETWORK: the registry (or its token service) cannot be reached
 * - IMAGE_REGISTRY: any other HTTP error from a registry, including 429/5xx after the retries ran out
 * - IMAGE_UNSUPPORTED: a schema 1 manifest, an unknown media type, a credential helper, a non-image artifact
 * - IMAGE_PLATFORM: a multi-platform image has nothing for the requested platform
 * - IMAGE_DIGEST_MISMATCH: content does not hash to its digest or has the wrong size
 * - IMAGE_BAD_MANIFEST: a manifest, index or config is not valid JSON of the expected shape, or too large
 * - IMAGE_CREDENTIALS: a docker config.json cannot be read or has a malformed entry
 * - IMAGE_ARCHIVE: a docker-archive tar or OCI layout given with --input is unreadable or incomplete
 */
export type ImageErrorCode =
  | 'IMAGE_BAD_REFERENCE'
  | 'IMAGE_UNAUTHORIZED'
  | 'IMAGE_NOT_FOUND'
  | 'IMAGE_NETWORK'
  | 'IMAGE_REGISTRY'
  | 'IMAGE_UNSUPPORTED'
  | 'IMAGE_PLATFORM'
  | 'IMAGE_DIGEST_MISMATCH'
  | 'IMAGE_BAD_MANIFEST'
  | 'IMAGE_CREDENTIALS'
  | 'IMAGE_ARCHIVE';

/** One entry of a registry's error body (`{"errors":[{"code":"MANIFEST_UNKNOWN","message":…}]}`). */
export interface RegistryErrorDetail {
  code: string;
  message: string;
}

export interface ImageErrorDetails {
  cause?: unknown;
  /** HTTP status of the failed registry response (absent for non-HTTP failures). */
  status?: number;
  /** The registry's structured errors, when its body had them. */
  registryErrors?: readonly RegistryErrorDetail[];
  /** The host that failed (registry or token service). */
  host?: string;
}

export class ImageError extends Error {
  readonly code: ImageErrorCode;
  readonly status: number | undefined;
  readonly registryErrors: readonly RegistryErrorDetail[];
  readonly host: string | undefined;

  constructor(code: ImageErrorCode, message: string, details: ImageErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ImageError';
    this.code = code;
    this.status = details.status;
    this.registryErrors = details.registryErrors ?? [];
    this.host = details.host;
  }

  /**
   * Whether the failure is one a later attempt (or another mirror) may not see, with the same meaning as
   * go-containerregistry's transport.Error.Temporary(): with structured errors, all of them must be of a
   * temporary kind; without, the HTTP status decides.
   */
  get temporary(): boolean {
    if (this.status === undefined) return false;
    if (this.registryErrors.length === 0) return TEMPORARY_STATUSES.has(this.status);
    return this.registryErrors.every((e) => TEMPORARY_REGISTRY_CODES.has(e.code));
  }

  static is(error: unknown, code?: ImageErrorCode): error is ImageError {
    return error instanceof ImageError && (code === undefined || error.code === code);
  }
}

const TEMPORARY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
const TEMPORARY_REGISTRY_CODES = new Set([
  'BLOB_UPLOAD_INVALID',
  'TOOMANYREQUESTS',
  'UNKNOWN',
  'UNAVAILABLE',
]);

/** The message of an unknown thrown value, for wrapping. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause;
    // undici reports "fetch failed" and keeps the useful part (ECONNREFUSED, certificate errors) in cause.
    if (error.message === 'fetch failed' && cause !== undefined) return describeError(cause);
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code)
      ? `${error.message} (${code})`
      : error.message;
  }
  return String(error);
}
