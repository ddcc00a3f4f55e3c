/**
 * OS version normalisation and end-of-life checks shared by the OS drivers
 * (trivy:pkg/detector/ospkg/version): each driver keys its advisory bucket and its end-of-life table by the
 * major version, the major.minor version or the full version string.
 */
import type { Logger } from './types.js';

/** "8.1" → "8"; a version without a dot is returned unchanged. */
export function major(osVersion: string): string {
  const dot = osVersion.indexOf('.');
  return dot < 0 ? osVersion : osVersion.slice(0, dot);
}

/** "3.17.2" → "3.17"; "3" stays "3". */
export function minor(osVersion: string): string {
  const first = osVersion.indexOf('.');
  if (first < 0) return osVersion;
  const second = osVersion.indexOf('.', first + 1);
  return second < 0 ? osVersion : osVersion.slice(0, second);
}

/** An end-of-life table: version key → the last supported moment (epoch milliseconds). */
export type EolDates = ReadonlyMap<string, number>;

/** End of the given UTC day (23:59:59), the way Trivy's tables note their dates. */
export function endOfDay(year: number, month: number, day: number): number {
  return Date.UTC(year, month - 1, day, 23, 59, 59);
}

/** Builds a frozen table from [version, year, month, day] rows. */
export function eolTable(rows: ReadonlyArray<readonly [string, number, number, number]>): EolDates {
  return new Map(rows.map(([version, y, m, d]) => [version, endOfDay(y, m, d)]));
}

/**
 * Whether `version` of `family` is still supported at `now`. A version missing from the table is assumed to
 * be supported (it may be newer than the table), with a warning, as Trivy does.
 */
export function supported(
  eolDates: EolDates | undefined,
  family: string,
  version: string,
  now: number,
  logger: Logger,
): boolean {
  const eol = eolDates?.get(version);
  if (eol === undefined) {
    logger.warn('This OS version is not on the EOL list', { family, version });
    return true;
  }
  return now < eol;
}
