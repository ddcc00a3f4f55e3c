// A VulnerabilityScanner's schedule as fire times: five-field cron lines and @descriptors (the shapes the
// CRD's pattern admits), read in an IANA time zone, evaluated by croner without scheduling anything.
import { Cron } from 'croner';

export interface Schedule {
  /** The first fire time strictly after `after`. */
  next(after: Date): Date;
  /** The latest fire time at or before `before`; undefined if there was none within the look-back bound. */
  previous(before: Date): Date | undefined;
}

/** Thrown for a schedule or time zone that cannot be used; the message says which and how to fix it. */
export class InvalidScheduleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidScheduleError';
  }
}

// Descriptors as Kubernetes CronJob (robfig/cron) defines them, spelled out so croner sees plain 5-field lines.
const DESCRIPTORS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

// The longest gap between two fire times of a five-field line: Feb 29 recurs after 8 years across 2100. The
// look-back for previous() stops past it, so a line that has fired before is always found.
const MAX_LOOK_BACK_MS = 9 * 366 * 86_400_000;
const MINUTE_MS = 60_000;
// Fire times stepped over inside one look-back window; the window is at most twice the distance to the
// latest fire time, so a real schedule never gets near this.
const MAX_STEPS = 1_000_000;

/**
 * Parses `schedule` (e.g. "0 2 * * *", "*\/15 0-6 * jan-mar mon-fri", "@daily") read in `timeZone` (IANA name,
 * UTC when absent). Day-of-month and day-of-week combine with OR when both are restricted, as in cron and
 * Kubernetes CronJobs; `?` means `*`. Across a DST change, a fixed time of day that falls in the gap fires at
 * the first valid time after it and one that occurs twice fires once; other lines fire on every wall-clock
 * match that exists. Throws InvalidScheduleError.
 */
export function parseSchedule(schedule: string, timeZone?: string): Schedule {
  const zone = timeZone === undefined || timeZone === '' ? 'UTC' : timeZone;
  checkTimeZone(zone);
  const trimmed = schedule.trim();
  const line = trimmed.startsWith('@') ? DESCRIPTORS[trimmed.toLowerCase()] : trimmed;
  if (line === undefined)
    throw new InvalidScheduleError(
      `schedule ${JSON.stringify(schedule)}: unknown descriptor; use one of ${Object.keys(DESCRIPTORS).join(', ')} or a five-field cron line`,
    );
  const fields = line.split(/[ \t]+/);
  if (fields.length !== 5)
    throw new InvalidScheduleError(
      `schedule ${JSON.stringify(schedule)}: needs five fields (minute hour day-of-month month day-of-week), found ${fields.length}`,
    );
  // croner gives `?` a meaning of its own (the current time's value); cron and Kubernetes read it as `*`.
  const normalised = fields.map((f) => (f === '?' ? '*' : f)).join(' ');
  let cron: Cron;
  try {
    cron = new Cron(normalised, { paused: true, mode: '5-part', timezone: zone, domAndDow: false });
  } catch (error) {
    const detail = error instanceof Error ? error.message.replace(/^CronPattern: /, '') : String(error);
    throw new InvalidScheduleError(
      `schedule ${JSON.stringify(schedule)} is not a valid cron line: ${detail} (example: "0 2 * * *")`,
    );
  }
  // A line such as "0 0 30 2 *" parses but never fires; with no year field, it never fires if not in 28 years.
  if (cron.nextRun(new Date(Date.UTC(2000, 0, 1))) === null)
    throw new InvalidScheduleError(
      `schedule ${JSON.stringify(schedule)} never fires (no date matches its day and month fields)`,
    );

  const nextAfter = (at: Date): Date | undefined => cron.nextRun(at) ?? undefined;

  return {
    next(after) {
      const next = nextAfter(after);
      if (next === undefined)
        throw new InvalidScheduleError(
          `schedule ${JSON.stringify(schedule)} has no fire time after ${after.toISOString()}`,
        );
      return next;
    },
    previous(before) {
      // Exact by construction from next(): find a window (before - w, before] holding a fire time, doubling w,
      // then step forward through it to the last one. Fire times are whole minutes, so w starts at one.
      const end = before.getTime();
      for (let window = MINUTE_MS; window <= 2 * MAX_LOOK_BACK_MS; window *= 2) {
        let fire = nextAfter(new Date(end - window));
        if (fire === undefined || fire.getTime() > end) continue;
        for (let step = 0; step < MAX_STEPS; step++) {
          const following = nextAfter(fire);
          if (following === undefined || following.getTime() > end) return fire;
          fire = following;
        }
        throw new InvalidScheduleError(
          `schedule ${JSON.stringify(schedule)}: more than ${MAX_STEPS} fire times before ${before.toISOString()} in one look-back window`,
        );
      }
      return undefined;
    },
  };
}

function checkTimeZone(zone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new InvalidScheduleError(
      `time zone ${JSON.stringify(zone)} is not a known IANA time zone; use a name such as "Europe/Berlin", "America/New_York" or "UTC"`,
    );
  }
}
