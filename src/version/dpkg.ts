/**
 * Debian package versions, ordered as Debian Policy §5.6.12 defines and as `dpkg --compare-versions` does.
 * Trivy reads them with knqyf263/go-deb-version for Debian, Ubuntu and (sic) Amazon Linux.
 *
 * Format `[epoch:]upstream_version[-debian_revision]`: the epoch is a non-negative integer, the revision is
 * everything after the last hyphen. Validation follows dpkg's parser (empty parts, a bad epoch, an upstream
 * version not starting with a digit) and go-deb-version's character sets (it also accepts `_`, which dpkg only
 * warns about), so a version Trivy rejects is rejected here too.
 */
import { invalidVersion } from './errors.js';
import { compareDigitRuns, isAsciiDigit, isAsciiLetter } from './numeric.js';
import { satisfiesRelational } from './relational.js';
import { type Ordering, sign, type VersionScheme, validatorsFrom } from './types.js';

export interface DpkgVersion {
  readonly epoch: number;
  readonly upstream: string;
  readonly revision: string;
}

const SCHEME = 'dpkg';
// dpkg rejects epochs above INT_MAX ("epoch in version is too big").
const MAX_EPOCH = 2147483647;
const UPSTREAM_CHARS = /^[A-Za-z0-9.+~:_-]*$/;
const REVISION_CHARS = /^[A-Za-z0-9.+~_]*$/;

export function parseDpkg(input: string): DpkgVersion {
  const text = input.trim();
  if (text === '') throw invalidVersion(SCHEME, input, 'it is empty');
  if (/\s/.test(text)) throw invalidVersion(SCHEME, input, 'it contains whitespace');

  let epoch = 0;
  let rest = text;
  const colon = text.indexOf(':');
  if (colon >= 0) {
    const epochText = text.slice(0, colon);
    if (!/^[0-9]+$/.test(epochText))
      throw invalidVersion(SCHEME, input, 'the epoch is not a non-negative number');
    epoch = Number(epochText);
    if (epoch > MAX_EPOCH) throw invalidVersion(SCHEME, input, 'the epoch is too big');
    rest = text.slice(colon + 1);
  }

  let upstream = rest;
  let revision = '';
  const hyphen = rest.lastIndexOf('-');
  if (hyphen >= 0) {
    upstream = rest.slice(0, hyphen);
    revision = rest.slice(hyphen + 1);
    if (revision === '') throw invalidVersion(SCHEME, input, 'the revision after the last "-" is empty');
  }
  if (upstream === '') throw invalidVersion(SCHEME, input, 'the upstream version is empty');
  if (!isAsciiDigit(upstream.charCodeAt(0))) {
    throw invalidVersion(SCHEME, input, 'the upstream version does not start with a digit');
  }
  if (!UPSTREAM_CHARS.test(upstream)) {
    throw invalidVersion(
      SCHEME,
      input,
      'the upstream version has a character other than A-Z a-z 0-9 . + ~ - : _',
    );
  }
  if (!REVISION_CHARS.test(revision)) {
    throw invalidVersion(SCHEME, input, 'the revision has a character other than A-Z a-z 0-9 . + ~ _');
  }
  return { epoch, upstream, revision };
}

/**
 * Policy's weight of one character in a non-digit run: `~` sorts before everything, even the end of the
 * run; letters sort before all other characters; the end of the run weighs 0.
 */
function weight(code: number): number {
  if (Number.isNaN(code)) return 0;
  if (code === 126) return -1;
  if (isAsciiLetter(code)) return code;
  return code + 256;
}

/** Policy §5.6.12: alternate non-digit runs (compared by weight) and digit runs (compared by value). */
export function compareDebianPart(a: string, b: string): Ordering {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const aStart = i;
    const bStart = j;
    while (i < a.length && !isAsciiDigit(a.charCodeAt(i))) i++;
    while (j < b.length && !isAsciiDigit(b.charCodeAt(j))) j++;
    const runLength = Math.max(i - aStart, j - bStart);
    for (let k = 0; k < runLength; k++) {
      const wa = weight(aStart + k < i ? a.charCodeAt(aStart + k) : Number.NaN);
      const wb = weight(bStart + k < j ? b.charCodeAt(bStart + k) : Number.NaN);
      if (wa !== wb) return sign(wa - wb);
    }
    const aDigits = i;
    const bDigits = j;
    while (i < a.length && isAsciiDigit(a.charCodeAt(i))) i++;
    while (j < b.length && isAsciiDigit(b.charCodeAt(j))) j++;
    const byValue = compareDigitRuns(a.slice(aDigits, i), b.slice(bDigits, j));
    if (byValue !== 0) return byValue;
  }
  return 0;
}

export function compareDpkgVersions(a: DpkgVersion, b: DpkgVersion): Ordering {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  return compareDebianPart(a.upstream, b.upstream) || compareDebianPart(a.revision, b.revision);
}

export function compareDpkg(a: string, b: string): Ordering {
  return compareDpkgVersions(parseDpkg(a), parseDpkg(b));
}

/** Constraint syntax: Vigil's relational syntax (see relational.ts), including dpkg's `<<` and `>>`. */
export function satisfiesDpkg(version: string, constraint: string): boolean {
  return satisfiesRelational(SCHEME, version, constraint, compareDpkg);
}

export const dpkgScheme: VersionScheme = Object.freeze({
  name: SCHEME,
  ...validatorsFrom(parseDpkg),
  compare: compareDpkg,
  satisfies: satisfiesDpkg,
});
