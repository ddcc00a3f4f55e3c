/**
 * What went wrong with a bbolt file, as a code a caller can branch on:
 * - BOLT_NOT_BOLT: the file is not a bbolt database at all (wrong magic, empty, unsupported version)
 * - BOLT_TRUNCATED: the file is shorter than its own meta page says (an interrupted copy or download)
 * - BOLT_CORRUPT: a structure inside the file is inconsistent (checksum, page header, element bounds, order)
 * - BOLT_IO: the operating system refused a read or write
 * - BOLT_CLOSED: the database was used after close()
 * - BOLT_BAD_INPUT: the writer was given something bbolt cannot store (unsorted or oversized keys, …)
 */
export type BoltErrorCode =
  | 'BOLT_NOT_BOLT'
  | 'BOLT_TRUNCATED'
  | 'BOLT_CORRUPT'
  | 'BOLT_IO'
  | 'BOLT_CLOSED'
  | 'BOLT_BAD_INPUT';

/** The one error type that leaves src/vulndb/bolt. `path` names the file concerned. */
export class BoltError extends Error {
  readonly code: BoltErrorCode;
  readonly path: string;
  constructor(code: BoltErrorCode, path: string, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BoltError';
    this.code = code;
    this.path = path;
  }
}

const redownload = 'delete it and download the vulnerability database again';

export function notBolt(path: string, detail: string): BoltError {
  return new BoltError('BOLT_NOT_BOLT', path, `${path} is not a bbolt database (${detail}); ${redownload}`);
}

export function truncated(path: string, detail: string): BoltError {
  return new BoltError(
    'BOLT_TRUNCATED',
    path,
    `${path} is truncated (${detail}), probably an interrupted download or copy; ${redownload}`,
  );
}

export function corrupt(path: string, detail: string): BoltError {
  return new BoltError('BOLT_CORRUPT', path, `${path} is corrupt: ${detail}; ${redownload}`);
}

export function ioError(path: string, action: string, cause: unknown): BoltError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new BoltError('BOLT_IO', path, `cannot ${action} ${path}: ${why}`, { cause });
}

export function badInput(path: string, detail: string): BoltError {
  return new BoltError('BOLT_BAD_INPUT', path, `cannot write ${path}: ${detail}`);
}
