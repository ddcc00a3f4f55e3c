/**
 * Errors of the scan server's own parts (its cache, its DB lifecycle, its configuration). Answers to clients
 * are TwirpErrors (src/rpc); a ServerError is what the server reports to its operator or, for a cache
 * failure, turns into an `internal` answer.
 *
 * - SERVER_CONFIG: a flag or option value is unusable (listen address, size, token header)
 * - SERVER_CACHE: the blob/artifact cache cannot be read or written (disk, permissions)
 * - SERVER_DB: the vulnerability DB cannot be downloaded, opened or read
 * - SERVER_LISTEN: the listen address cannot be bound
 */
export type ServerErrorCode = 'SERVER_CONFIG' | 'SERVER_CACHE' | 'SERVER_DB' | 'SERVER_LISTEN';

export class ServerError extends Error {
  readonly code: ServerErrorCode;

  constructor(code: ServerErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ServerError';
    this.code = code;
  }

  static is(error: unknown, code?: ServerErrorCode): error is ServerError {
    return error instanceof ServerError && (code === undefined || error.code === code);
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
