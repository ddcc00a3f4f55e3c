/**
 * RPM versions, ordered by rpm's rpmvercmp algorithm (rpmio/rpmvercmp.c) including `~` (sorts before
 * everything, even the end of the string) and `^` (sorts after the end of the string but before any further
 * segment). Trivy reads them with knqyf263/go-rpm-version for Red Hat, CentOS, Rocky, Alma, Oracle, SUSE,
 * Photon and Azure Linux / CBL-Mariner.
 *
 * Full versions are `[epoch:]version[-release]` and are parsed as go-rpm-version does, not as rpm does, so
 * that Vigil matches Trivy's findings:
 * - the epoch ends at the first `:`; the release starts at the first `-` after it (rpm: the last `-`);
 * - the release is always compared, a missing one counting as empty, so `1.0` < `1.0-1` (rpm's own
 *   rpmverCmp skips the release when either side has none and calls them equal).
 * Versions that rpm itself would never produce (empty, whitespace, a non-numeric epoch, an empty version
 * part) are rejected with a VersionError.
 */
import { invalidVersion } from './errors.js';
import { compareDigitRuns, compareStrings, isAsciiDigit, isAsciiLetter } from './numeric.js';
import { satisfiesRelational } from './relational.js';
import { type Ordering, type VersionScheme, validatorsFrom } from './types.js';

export interface RpmVersion {
  readonly epoch: number;
  readonly version: string;
  readonly release: string;
}

const SCHEME = 'rpm';
const TILDE = 126;
const CARET = 94;

function isSegmentChar(code: number): boolean {
  return isAsciiDigit(code) || isAsciiLetter(code) || code === TILDE || code === CARET;
}

/**
 * rpmvercmp: walk both strings segment by segment, where a segment is a run of digits, a run of letters,
 * or a single `~` or `^`; everything else only separates segments.
 */
export function rpmvercmp(a: string, b: string): Ordering {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < a.length && !isSegmentChar(a.charCodeAt(i))) i++;
    while (j < b.length && !isSegmentChar(b.charCodeAt(j))) j++;
    const ca = i < a.length ? a.charCodeAt(i) : Number.NaN;
    const cb = j < b.length ? b.charCodeAt(j) : Number.NaN;

    if (ca === TILDE || cb === TILDE) {
      if (ca !== TILDE) return 1;
      if (cb !== TILDE) return -1;
      i++;
      j++;
      continue;
    }
    if (ca === CARET || cb === CARET) {
      if (Number.isNaN(ca)) return -1;
      if (Number.isNaN(cb)) return 1;
      if (ca !== CARET) return 1;
      if (cb !== CARET) return -1;
      i++;
      j++;
      continue;
    }
    if (Number.isNaN(ca) || Number.isNaN(cb)) break;

    const numeric = isAsciiDigit(ca);
    const inSegment = numeric ? isAsciiDigit : isAsciiLetter;
    const aStart = i;
    const bStart = j;
    while (i < a.length && inSegment(a.charCodeAt(i))) i++;
    while (j < b.length && inSegment(b.charCodeAt(j))) j++;
    // A numeric segment facing an alphabetic one is newer.
    if (j === bStart) return numeric ? 1 : -1;
    const segA = a.slice(aStart, i);
    const segB = b.slice(bStart, j);
    const order = numeric ? compareDigitRuns(segA, segB) : compareStrings(segA, segB);
    if (order !== 0) return order;
  }
  const aDone = i >= a.length;
  const bDone = j >= b.length;
  if (aDone && bDone) return 0;
  return aDone ? -1 : 1;
}

export function parseRpm(input: string): RpmVersion {
  if (input.trim() === '') throw invalidVersion(SCHEME, input, 'it is empty');
  if (/\s/.test(input)) throw invalidVersion(SCHEME, input, 'it contains whitespace');
  let epoch = 0;
  let rest = input;
  const colon = input.indexOf(':');
  if (colon >= 0) {
    const epochText = input.slice(0, colon);
    if (!/^[0-9]+$/.test(epochText))
      throw invalidVersion(SCHEME, input, 'the epoch is not a non-negative number');
    epoch = Number(epochText);
    if (!Number.isSafeInteger(epoch)) throw invalidVersion(SCHEME, input, 'the epoch is too big');
    rest = input.slice(colon + 1);
  }
  const hyphen = rest.indexOf('-');
  const version = hyphen >= 0 ? rest.slice(0, hyphen) : rest;
  const release = hyphen >= 0 ? rest.slice(hyphen + 1) : '';
  if (version === '') throw invalidVersion(SCHEME, input, 'the version part is empty');
  return { epoch, version, release };
}

export function compareRpmVersions(a: RpmVersion, b: RpmVersion): Ordering {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  return rpmvercmp(a.version, b.version) || rpmvercmp(a.release, b.release);
}

export function compareRpm(a: string, b: string): Ordering {
  return compareRpmVersions(parseRpm(a), parseRpm(b));
}

/** Constraint syntax: Vigil's relational syntax (see relational.ts). */
export function satisfiesRpm(version: string, constraint: string): boolean {
  return satisfiesRelational(SCHEME, version, constraint, compareRpm);
}

export const rpmScheme: VersionScheme = Object.freeze({
  name: SCHEME,
  ...validatorsFrom(parseRpm),
  compare: compareRpm,
  satisfies: satisfiesRpm,
});
