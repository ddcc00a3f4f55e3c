/**
 * Errors of the DB distribution boundary (download, unpack, swap, update decision):
 * - DB_DOWNLOAD: no repository could deliver the artifact (the registry errors are in `cause`)
 * - DB_ARTIFACT: the artifact is not shaped like trivy-db (layer count, media type, title)
 * - DB_ARCHIVE: db.tar.gz cannot be unpacked safely (not gzip/tar, truncated, a path escaping the target,
 *   links, missing trivy.db or metadata.json, too large, an unreadable trivy.db)
 * - DB_SCHEMA: the DB has a schema this version of vigil cannot use
 * - DB_SKIP_UPDATE: --skip-db-update cannot be honoured (no DB yet, or an old schema)
 * - DB_MISSING: there is no DB in the cache directory
 * - DB_IO: the cache directory cannot be written
 */
export type DbErrorCode =
  | 'DB_DOWNLOAD'
  | 'DB_ARTIFACT'
  | 'DB_ARCHIVE'
  | 'DB_SCHEMA'
  | 'DB_SKIP_UPDATE'
  | 'DB_MISSING'
  | 'DB_IO';

export class DbError extends Error {
  readonly code: DbErrorCode;
  constructor(code: DbErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DbError';
    this.code = code;
  }

  static is(error: unknown, code?: DbErrorCode): error is DbError {
    return error instanceof DbError && (code === undefined || error.code === code);
  }
}
