// Where the DB lives, as in Trivy: <cache-dir>/db/trivy.db and <cache-dir>/db/metadata.json, with the
// cache directory defaulting to Go's os.UserCacheDir() + "/trivy" ($XDG_CACHE_HOME/trivy, else
// ~/.cache/trivy; the OS temp dir + "/trivy" when neither is usable), so vigil and Trivy share one DB.
import { stat } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { type DbMetadata, readMetadata } from './db-metadata.js';
import type { DbState } from './db-update.js';

export const DB_FILE = 'trivy.db';
export const METADATA_FILE = 'metadata.json';

export function defaultCacheDir(env: Readonly<Record<string, string | undefined>> = {}): string {
  return join(userCacheDir(env) ?? tmpdir(), 'trivy');
}

/** Go's os.UserCacheDir on Linux: an absolute $XDG_CACHE_HOME, else $HOME/.cache; undefined when neither. */
function userCacheDir(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg !== undefined && xdg !== '') return isAbsolute(xdg) ? xdg : undefined;
  const home = env.HOME ?? homedir();
  return home === '' ? undefined : join(home, '.cache');
}

export interface DbPaths {
  cacheDir: string;
  dir: string;
  db: string;
  metadata: string;
}

export function dbPaths(cacheDir: string): DbPaths {
  const dir = join(cacheDir, 'db');
  return { cacheDir, dir, db: join(dir, DB_FILE), metadata: join(dir, METADATA_FILE) };
}

export interface LocalDb extends DbState {
  paths: DbPaths;
  /** Why the metadata is unusable, when it is. */
  metadataProblem: string | undefined;
  metadata: DbMetadata | undefined;
}

/** What is on disk now: whether trivy.db exists and what metadata.json says. */
export async function readLocalDb(cacheDir: string): Promise<LocalDb> {
  const paths = dbPaths(cacheDir);
  const dbFileExists = await stat(paths.db).then(
    (s) => s.isFile(),
    () => false,
  );
  const read = await readMetadata(paths.metadata);
  return {
    paths,
    dbFileExists,
    metadata: read.ok ? read.metadata : undefined,
    metadataProblem: read.ok ? undefined : read.reason,
  };
}
