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
  // rpm keeps its database in WAL mode (header bytes 18-19 = 2); SQLite cannot open a WAL database from
  // memory, so a copy is marked as a rollback-journal database. The pages themselves are unchanged; a WAL
  // file is never part of what is read (rpm checkpoints on close, and images ship without -wal files).
  const copy = Buffer.from(content);
  if (copy.length > 19 && (copy[18] === 2 || copy[19] === 2)) {
    copy[18] = 1;
    copy[19] = 1;
  }
  const db = new Database(copy);
  try {
    const rows = db.prepare('SELECT blob FROM Packages').all() as Array<{ blob: Buffer }>;
    return rows.map((row) => row.blob);
  } finally {
    db.close();
  }
}
