/**
 * rpmdb.sqlite (rpm ≥ 4.16's sqlite backend): every header blob from `SELECT blob FROM Packages`. The file is
 * opened from memory (better-sqlite3 deserialises the buffer), so nothing is written to disk.
 */
import Database from 'better-sqlite3';

const MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

export function isSqliteDatabase(content: Buffer): boolean {
  return content.length >= MAGIC.length && content.subarray(0, MAGIC.length).equals(MAGIC);
}

export function readSqliteHeaderBlobs(content: Buffer): Buffer[] {
  const db = new Database(content);
  try {
    const rows = db.prepare('SELECT blob FROM Packages').all() as Array<{ blob: Buffer }>;
    return rows.map((row) => row.blob);
  } finally {
    db.close();
  }
}
