// Whether to download the DB, decided as Trivy's db.Client.NeedsUpdate does (trivy-internals §1.3), with
// the same outcomes for the same inputs (Trivy's own test table is mirrored in db-update.test.ts).

import { type DbMetadata, isZeroTime, SCHEMA_VERSION } from './db-metadata.js';
import { DbError } from './distribution-errors.js';

export interface DbState {
  dbFileExists: boolean;
  /** undefined when metadata.json is missing or unreadable ("no valid metadata file"). */
  metadata: DbMetadata | undefined;
}

export interface UpdateDecision {
  update: boolean;
  /** Why, in Trivy's words where it has some. */
  reason: string;
}

const HOUR_MS = 3_600_000;

export function decideUpdate(state: DbState, options: { skipUpdate: boolean; now: number }): UpdateDecision {
  const { skipUpdate, now } = options;
  const meta = state.metadata;
  if (!state.dbFileExists || meta === undefined) {
    if (skipUpdate) {
      throw new DbError(
        'DB_SKIP_UPDATE',
        '--skip-db-update cannot be specified on the first run: there is no vulnerability DB yet; run vigil db download first (or drop --skip-db-update)',
      );
    }
    return {
      update: true,
      reason: state.dbFileExists ? 'there is no valid metadata file' : 'there is no db file',
    };
  }
  if (isZeroTime(meta.downloadedAt) && !skipUpdate) {
    return {
      update: true,
      reason:
        'the DB may be corrupted (DownloadedAt is unset) and will be re-downloaded; if you downloaded it by hand, use --skip-db-update',
    };
  }
  if (SCHEMA_VERSION < meta.version) {
    throw new DbError(
      'DB_SCHEMA',
      `the version of DB schema doesn't match. Local DB: ${meta.version}, Expected: ${SCHEMA_VERSION}; this vigil is too old for the DB, update vigil`,
    );
  }
  if (skipUpdate) {
    if (meta.version !== SCHEMA_VERSION) {
      throw new DbError(
        'DB_SKIP_UPDATE',
        `--skip-db-update cannot be specified with the old DB schema. Local DB: ${meta.version}, Expected: ${SCHEMA_VERSION}; download the DB again without --skip-db-update`,
      );
    }
    return { update: false, reason: 'skipping DB update (--skip-db-update)' };
  }
  if (meta.version !== SCHEMA_VERSION) {
    return {
      update: true,
      reason: `the local DB has schema ${meta.version}, vigil reads schema ${SCHEMA_VERSION}`,
    };
  }
  if (now < meta.nextUpdate) return { update: false, reason: 'the local DB is the latest' };
  if (now < meta.downloadedAt + HOUR_MS) {
    return { update: false, reason: 'the local DB was downloaded during the last hour' };
  }
  return { update: true, reason: 'the local DB is older than its NextUpdate' };
}
