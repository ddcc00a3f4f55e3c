import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidScheduleError, parseSchedule } from './cron.js';

const at = (iso: string) => new Date(iso);
const iso = (d: Date | undefined) => d?.toISOString();

/** The next n fire times after `from`. */
function runs(schedule: string, from: string, n: number, timeZone?: string): string[] {
  const s = parseSchedule(schedule, timeZone);
  const out: string[] = [];
  let cursor = at(from);
  for (let i = 0; i < n; i++) {
    cursor = s.next(cursor);
    out.push(cursor.toISOString());
  }
  return out;
}

describe('parseSchedule: next', () => {
  test('every minute is strictly after the given time, milliseconds ignored', () => {
    assert.deepEqual(runs('* * * * *', '2026-03-10T12:00:00.000Z', 2), [
      '2026-03-10T12:01:00.000Z',
      '2026-03-10T12:02:00.000Z',
    ]);
    assert.equal(
      iso(parseSchedule('* * * * *').next(at('2026-03-10T12:00:59.999Z'))),
      '2026-03-10T12:01:00.000Z',
    );
  });

  test('descriptors mean what Kubernetes CronJobs mean', () => {
    const from = '2026-03-10T12:34:00Z'; // a Tuesday
    assert.deepEqual(runs('@daily', from, 2), ['2026-03-11T00:00:00.000Z', '2026-03-12T00:00:00.000Z']);
    assert.deepEqual(runs('@midnight', from, 1), ['2026-03-11T00:00:00.000Z']);
    assert.deepEqual(runs('@hourly', from, 2), ['2026-03-10T13:00:00.000Z', '2026-03-10T14:00:00.000Z']);
    assert.deepEqual(runs('@weekly', from, 1), ['2026-03-15T00:00:00.000Z']);
    assert.deepEqual(runs('@monthly', from, 1), ['2026-04-01T00:00:00.000Z']);
    assert.deepEqual(runs('@yearly', from, 1), ['2027-01-01T00:00:00.000Z']);
    assert.deepEqual(runs('@annually', from, 1), ['2027-01-01T00:00:00.000Z']);
  });

  test('steps, ranges and lists, month and weekday names, 7 as Sunday, tabs between fields', () => {
    assert.deepEqual(runs('*/15 0-1,22 * * *', '2026-03-10T01:40:00Z', 4), [
      '2026-03-10T01:45:00.000Z',
      '2026-03-10T22:00:00.000Z',
      '2026-03-10T22:15:00.000Z',
      '2026-03-10T22:30:00.000Z',
    ]);
    assert.deepEqual(runs('0 9 * jan-mar MON-fri', '2026-03-27T10:00:00Z', 2), [
      '2026-03-30T09:00:00.000Z',
      '2026-03-31T09:00:00.000Z',
    ]);
    assert.deepEqual(runs('0 0 * * 7', '2026-03-10T00:00:00Z', 1), ['2026-03-15T00:00:00.000Z']);
    assert.deepEqual(runs('10-20/5 3 * * *', '2026-03-10T00:00:00Z', 3), [
      '2026-03-10T03:10:00.000Z',
      '2026-03-10T03:15:00.000Z',
      '2026-03-10T03:20:00.000Z',
    ]);
    assert.deepEqual(runs('0\t3 * * *', '2026-03-10T00:00:00Z', 1), ['2026-03-10T03:00:00.000Z']);
    assert.deepEqual(runs('05 04 01 02 *', '2026-03-10T00:00:00Z', 1), ['2027-02-01T04:05:00.000Z']);
  });

  test('day of month and day of week combine with OR when both are restricted; ? means *', () => {
    // The 13th, or any Friday, in March 2026 (the 13th is itself a Friday).
    assert.deepEqual(runs('0 0 13 * 5', '2026-03-01T00:00:00Z', 4), [
      '2026-03-06T00:00:00.000Z',
      '2026-03-13T00:00:00.000Z',
      '2026-03-20T00:00:00.000Z',
      '2026-03-27T00:00:00.000Z',
    ]);
    assert.deepEqual(runs('0 0 ? * SUN', '2026-03-10T12:00:00Z', 1), ['2026-03-15T00:00:00.000Z']);
    assert.deepEqual(runs('0 0 1 * ?', '2026-03-10T12:00:00Z', 1), ['2026-04-01T00:00:00.000Z']);
  });

  test('a time zone shifts wall-clock times; absent or empty means UTC', () => {
    assert.deepEqual(runs('0 2 * * *', '2026-01-10T00:00:00Z', 1, 'Europe/Berlin'), [
      '2026-01-10T01:00:00.000Z',
    ]);
    assert.deepEqual(runs('0 2 * * *', '2026-07-09T12:00:00Z', 1, 'Europe/Berlin'), [
      '2026-07-10T00:00:00.000Z',
    ]);
    assert.deepEqual(runs('0 2 * * *', '2026-07-10T00:00:00Z', 1, 'America/New_York'), [
      '2026-07-10T06:00:00.000Z',
    ]);
    assert.deepEqual(runs('0 2 * * *', '2026-07-10T00:00:00Z', 1, ''), ['2026-07-10T02:00:00.000Z']);
    assert.deepEqual(runs('0 2 * * *', '2026-07-10T00:00:00Z', 1, 'Etc/GMT+5'), ['2026-07-10T07:00:00.000Z']);
  });

  test('DST: a fixed time in the spring gap fires once just after it; one that repeats in autumn fires once', () => {
    // Berlin skips 02:00–03:00 on 2026-03-29 and repeats 02:00–03:00 on 2026-10-25.
    assert.deepEqual(runs('30 2 * * *', '2026-03-28T00:00:00Z', 3, 'Europe/Berlin'), [
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T00:30:00.000Z',
    ]);
    assert.deepEqual(runs('30 2 * * *', '2026-10-24T00:00:00Z', 3, 'Europe/Berlin'), [
      '2026-10-24T00:30:00.000Z',
      '2026-10-25T00:30:00.000Z', // 02:30 CEST, the first of the two
      '2026-10-26T01:30:00.000Z',
    ]);
    // An hourly line keeps its real-time rhythm through both changes.
    assert.deepEqual(runs('0 * * * *', '2026-03-29T00:30:00Z', 2, 'Europe/Berlin'), [
      '2026-03-29T01:00:00.000Z',
      '2026-03-29T02:00:00.000Z',
    ]);
    assert.deepEqual(runs('30 * * * *', '2026-10-24T23:00:00Z', 4, 'Europe/Berlin'), [
      '2026-10-24T23:30:00.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T01:30:00.000Z',
      '2026-10-25T02:30:00.000Z',
    ]);
  });
});

describe('parseSchedule: previous', () => {
  test('is the latest fire time at or before the given time', () => {
    const s = parseSchedule('* * * * *');
    assert.equal(iso(s.previous(at('2026-03-10T12:00:00.000Z'))), '2026-03-10T12:00:00.000Z', 'inclusive');
    assert.equal(iso(s.previous(at('2026-03-10T12:00:00.500Z'))), '2026-03-10T12:00:00.000Z');
    assert.equal(iso(s.previous(at('2026-03-10T11:59:59.999Z'))), '2026-03-10T11:59:00.000Z');
  });

  test('finds far and sparse fire times: @daily, @yearly, Feb 29 and steps over a dense hour', () => {
    assert.equal(
      iso(parseSchedule('@daily').previous(at('2026-03-10T12:34:56Z'))),
      '2026-03-10T00:00:00.000Z',
    );
    assert.equal(
      iso(parseSchedule('@yearly').previous(at('2026-03-10T12:34:56Z'))),
      '2026-01-01T00:00:00.000Z',
    );
    assert.equal(
      iso(parseSchedule('0 0 29 2 *').previous(at('2027-03-10T00:00:00Z'))),
      '2024-02-29T00:00:00.000Z',
    );
    assert.equal(
      iso(parseSchedule('* 0 * * *').previous(at('2026-03-10T23:59:00Z'))),
      '2026-03-10T00:59:00.000Z',
    );
    assert.equal(
      iso(parseSchedule('*/15 0-1,22 * * *').previous(at('2026-03-10T21:00:00Z'))),
      '2026-03-10T01:45:00.000Z',
    );
  });

  test('agrees with next() in a time zone across DST changes', () => {
    for (const [schedule, zone, from] of [
      ['30 2 * * *', 'Europe/Berlin', '2026-03-27T00:00:00Z'],
      ['30 2 * * *', 'Europe/Berlin', '2026-10-23T00:00:00Z'],
      ['*/20 1-3 * * *', 'America/New_York', '2026-03-07T00:00:00Z'],
      ['0 0 13 * 5', 'Australia/Lord_Howe', '2026-03-01T00:00:00Z'],
    ] as const) {
      const s = parseSchedule(schedule, zone);
      let prev = s.next(at(from));
      for (let i = 0; i < 12; i++) {
        const next = s.next(prev);
        assert.equal(
          iso(s.previous(prev)),
          iso(prev),
          `${schedule} ${zone}: a fire time is its own previous`,
        );
        assert.equal(
          iso(s.previous(new Date(next.getTime() - 1))),
          iso(prev),
          `${schedule} ${zone}: just before ${next.toISOString()}`,
        );
        prev = next;
      }
    }
  });
});

describe('parseSchedule: invalid input', () => {
  const rejects = (schedule: string, timeZone: string | undefined, message: RegExp) =>
    assert.throws(
      () => parseSchedule(schedule, timeZone),
      (e: unknown) => e instanceof InvalidScheduleError && message.test(e.message),
    );

  test('bad lines, descriptors and zones say what is wrong', () => {
    rejects('0 0 * foo *', undefined, /"0 0 \* foo \*" is not a valid cron line.*example/);
    rejects('61 * * * *', undefined, /not a valid cron line/);
    rejects('* * * *', undefined, /needs five fields.*found 4/);
    rejects('0 0 * * * *', undefined, /needs five fields.*found 6/);
    rejects('@reboot', undefined, /unknown descriptor; use one of @yearly/);
    rejects('0 0 30 2 *', undefined, /never fires/);
    rejects('0 2 * * *', 'Mars/Olympus', /time zone "Mars\/Olympus" is not a known IANA time zone/);
    rejects('0 2 * * *', 'Europe/', /not a known IANA time zone/);
  });
});
