// The update decision, case for case with Trivy's own NeedsUpdate table (trivy pkg/db/db_test.go, "now" =
// 2019-10-01T00:00:00Z), and Go's time format for metadata.json.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type DbMetadata,
  formatGoTime,
  GO_ZERO_TIME_MS,
  parseGoTime,
  parseMetadata,
  withDownloadedAt,
} from './db-metadata.js';
import { decideUpdate } from './db-update.js';
import { DbError } from './distribution-errors.js';

const now = Date.parse('2019-10-01T00:00:00Z');
const day1 = Date.parse('2019-09-01T00:00:00Z');
const day2 = Date.parse('2019-10-02T00:00:00Z');
const downloadedAt = Date.parse('2019-09-30T22:30:00Z');
const recent = Date.parse('2019-09-30T23:30:00Z');
const zero = GO_ZERO_TIME_MS;

const meta = (version: number, nextUpdate: number, downloaded: number): DbMetadata => ({
  version,
  nextUpdate,
  updatedAt: zero,
  downloadedAt: downloaded,
  raw: {},
});

test("the update decision table matches Trivy's NeedsUpdate", () => {
  const cases: Array<{
    name: string;
    dbFileExists: boolean;
    metadata?: DbMetadata;
    skip?: boolean;
    want?: boolean;
    reason?: RegExp;
    error?: RegExp;
    code?: string;
  }> = [
    { name: 'happy path', dbFileExists: true, metadata: meta(2, day1, downloadedAt), want: true },
    { name: 'first run', dbFileExists: true, want: true, reason: /no valid metadata file/ },
    { name: 'first run without trivy.db', dbFileExists: false, want: true, reason: /no db file/ },
    {
      name: 'old schema version',
      dbFileExists: true,
      metadata: meta(0, day1, downloadedAt),
      want: true,
      reason: /schema 0/,
    },
    {
      name: '--skip-db-update',
      dbFileExists: true,
      metadata: meta(2, day1, downloadedAt),
      skip: true,
      want: false,
      reason: /skip/,
    },
    {
      name: 'skip: the local DB is the latest',
      dbFileExists: true,
      metadata: meta(2, day2, downloadedAt),
      want: false,
      reason: /is the latest/,
    },
    {
      name: 'newer schema version',
      dbFileExists: true,
      metadata: meta(3, day2, downloadedAt),
      error: /the version of DB schema doesn't match\. Local DB: 3, Expected: 2/,
      code: 'DB_SCHEMA',
    },
    {
      name: '--skip-db-update without trivy.db on the first run',
      dbFileExists: false,
      skip: true,
      error: /--skip-db-update cannot be specified on the first run/,
      code: 'DB_SKIP_UPDATE',
    },
    {
      name: '--skip-db-update without metadata.json on the first run',
      dbFileExists: true,
      skip: true,
      error: /--skip-db-update cannot be specified on the first run/,
      code: 'DB_SKIP_UPDATE',
    },
    {
      name: '--skip-db-update with a different schema version',
      dbFileExists: true,
      metadata: meta(0, day1, downloadedAt),
      skip: true,
      error: /--skip-db-update cannot be specified with the old DB schema\. Local DB: 0, Expected: 2/,
      code: 'DB_SKIP_UPDATE',
    },
    { name: 'old DownloadedAt', dbFileExists: true, metadata: meta(2, day1, downloadedAt), want: true },
    {
      name: 'downloaded during the last hour',
      dbFileExists: true,
      metadata: meta(2, day1, recent),
      want: false,
      reason: /downloaded during the last hour/,
    },
    {
      name: 'DownloadedAt zero, no skip',
      dbFileExists: true,
      metadata: meta(2, day1, zero),
      want: true,
      reason: /may be corrupted/,
    },
    {
      name: 'DownloadedAt zero, skip',
      dbFileExists: true,
      metadata: meta(2, day1, zero),
      skip: true,
      want: false,
    },
    {
      name: 'DownloadedAt zero, skip, old schema',
      dbFileExists: true,
      metadata: meta(0, day1, zero),
      skip: true,
      error: /cannot be specified with the old DB schema\. Local DB: 0/,
    },
    {
      name: 'trivy.db missing, recent metadata',
      dbFileExists: false,
      metadata: meta(2, day1, recent),
      want: true,
      reason: /no db file/,
    },
    // Beyond Trivy's table: the boundaries are strict "before" comparisons.
    { name: 'now == NextUpdate', dbFileExists: true, metadata: meta(2, now, downloadedAt), want: true },
    {
      name: 'now == DownloadedAt + 1h',
      dbFileExists: true,
      metadata: meta(2, day1, now - 3_600_000),
      want: true,
    },
    {
      name: 'DownloadedAt + 1h a millisecond ahead',
      dbFileExists: true,
      metadata: meta(2, day1, now - 3_599_999),
      want: false,
    },
  ];
  for (const c of cases) {
    const run = () =>
      decideUpdate(
        { dbFileExists: c.dbFileExists, metadata: c.metadata },
        { skipUpdate: c.skip ?? false, now },
      );
    const expected = c.error;
    if (expected) {
      assert.throws(run, (error: unknown) => {
        assert.ok(error instanceof DbError, c.name);
        assert.match(error.message, expected, c.name);
        if (c.code) assert.equal(error.code, c.code, c.name);
        return true;
      });
      continue;
    }
    const decision = run();
    assert.equal(decision.update, c.want, c.name);
    if (c.reason) assert.match(decision.reason, c.reason, c.name);
  }
});

test("Go's time.Time JSON: RFC 3339 with nanoseconds, offsets, the zero time", () => {
  assert.equal(parseGoTime('2026-08-22T06:04:47.123456789Z'), Date.parse('2026-08-22T06:04:47.123Z'));
  assert.equal(parseGoTime('2026-08-22T08:04:47+02:00'), Date.parse('2026-08-22T06:04:47Z'));
  assert.equal(parseGoTime('0001-01-01T00:00:00Z'), GO_ZERO_TIME_MS);
  assert.throws(() => parseGoTime('2026-08-22 06:04:47'), /not an RFC 3339 time/);
  assert.equal(formatGoTime(GO_ZERO_TIME_MS), '0001-01-01T00:00:00Z');
  assert.equal(formatGoTime(Date.parse('2026-08-22T06:04:47.120Z')), '2026-08-22T06:04:47.12Z');
  assert.equal(formatGoTime(Date.parse('2026-08-22T06:04:47.000Z')), '2026-08-22T06:04:47Z');

  const text =
    '{"Version":2,"NextUpdate":"2026-08-22T06:04:47.123456789Z","UpdatedAt":"2026-08-21T06:04:47.987654321Z","DownloadedAt":"0001-01-01T00:00:00Z"}';
  const parsed = parseMetadata(text);
  assert.equal(parsed.version, 2);
  assert.equal(parsed.downloadedAt, GO_ZERO_TIME_MS);
  assert.equal(
    withDownloadedAt(parsed, Date.parse('2026-08-21T07:00:00.5Z')),
    '{"Version":2,"NextUpdate":"2026-08-22T06:04:47.123456789Z","UpdatedAt":"2026-08-21T06:04:47.987654321Z","DownloadedAt":"2026-08-21T07:00:00.5Z"}',
    'only DownloadedAt changes; the other times keep their nanoseconds',
  );
  // encoding/json: field names match case-insensitively, absent times are zero, Version must be an integer.
  assert.equal(
    parseMetadata('{"version":2,"nextupdate":"2026-01-01T00:00:00Z"}').nextUpdate,
    Date.parse('2026-01-01T00:00:00Z'),
  );
  assert.equal(parseMetadata('{}').version, 0);
  assert.throws(() => parseMetadata('{"Version":"2"}'), /Version is not an integer/);
  assert.throws(() => parseMetadata('[]'), /not a JSON object/);
});
