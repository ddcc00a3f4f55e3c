/**
 * Semantic Versioning 2.0.0 (semver.org): the shared core of Go module versions and Cargo versions.
 * Precedence: major, minor, patch numerically; a pre-release sorts before its release; pre-release
 * identifiers compare numerically when both are numbers, numbers sort before words, words compare in ASCII
 * order, and a shorter list of identifiers that is a prefix of the other sorts first; build metadata is ignored.
 */
import { compareBigInt, compareStrings } from './numeric.js';
import type { Ordering } from './types.js';

export interface SemVer {
  readonly major: bigint;
  readonly minor: bigint;
  readonly patch: bigint;
  readonly preRelease: readonly string[];
  readonly build: string;
}

const NUM = '(?:0|[1-9][0-9]*)';
const PRE_ID = '(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)';
export const SEMVER_PRE = `${PRE_ID}(?:\\.${PRE_ID})*`;
export const SEMVER_BUILD = '[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*';
const STRICT = new RegExp(`^(${NUM})\\.(${NUM})\\.(${NUM})(?:-(${SEMVER_PRE}))?(?:\\+(${SEMVER_BUILD}))?$`);

/** Parses a strict SemVer 2.0.0 version, or returns undefined. */
export function parseSemVer(text: string): SemVer | undefined {
  const m = STRICT.exec(text);
  if (m === null) return undefined;
  return {
    major: BigInt(m[1] ?? '0'),
    minor: BigInt(m[2] ?? '0'),
    patch: BigInt(m[3] ?? '0'),
    preRelease: m[4] === undefined ? [] : m[4].split('.'),
    build: m[5] ?? '',
  };
}

const isNumeric = (s: string) => /^[0-9]+$/.test(s);

export function comparePreReleaseIdentifiers(a: readonly string[], b: readonly string[]): Ordering {
  if (a.length === 0 || b.length === 0) return a.length === b.length ? 0 : a.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const xn = isNumeric(x);
    const yn = isNumeric(y);
    const order = xn && yn ? compareBigInt(BigInt(x), BigInt(y)) : xn ? -1 : yn ? 1 : compareStrings(x, y);
    if (order !== 0) return order;
  }
  return 0;
}

export function compareSemVer(a: SemVer, b: SemVer): Ordering {
  return (
    compareBigInt(a.major, b.major) ||
    compareBigInt(a.minor, b.minor) ||
    compareBigInt(a.patch, b.patch) ||
    comparePreReleaseIdentifiers(a.preRelease, b.preRelease)
  );
}
