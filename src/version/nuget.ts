/**
 * NuGet package versions, ordered as NuGet's VersionComparer (default mode) orders them: up to four numeric
 * parts (Major.Minor.Patch.Revision, missing parts are 0, leading zeros allowed so 1.01 = 1.1.0.0), then
 * SemVer 2.0 pre-release labels compared part by part, numbers numerically and below words, words
 * case-insensitively (1.0.0-Beta = 1.0.0-beta); build metadata after `+` is ignored.
 *
 * Constraint syntax: the one Trivy accepts for NuGet advisories, which it matches with aquasecurity/go-version
 * (see generic.ts), e.g. "< 13.0.1" or ">= 4.0.0, < 4.0.2"; NuGet's own interval notation is not part of it.
 * `comparatorFor('nuget')` returns Trivy's generic semantics unless native ones are asked for.
 */
import { invalidVersion } from './errors.js';
import { holdsGeneric, parseGenericConstraint } from './generic.js';
import { compareBigInt, compareStrings } from './numeric.js';
import { type Ordering, type VersionScheme, validatorsFrom } from './types.js';

const SCHEME = 'nuget';

export interface NuGetVersion {
  readonly parts: readonly [bigint, bigint, bigint, bigint];
  readonly release: readonly string[];
}

const VERSION_RE =
  /^\s*([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?:\.([0-9]+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?\s*$/;

export function parseNuGet(input: string): NuGetVersion {
  const m = VERSION_RE.exec(input);
  if (m === null)
    throw invalidVersion(SCHEME, input, 'expected 1 to 4 numbers, optionally -prerelease and +metadata');
  return {
    parts: [BigInt(m[1] ?? '0'), BigInt(m[2] ?? '0'), BigInt(m[3] ?? '0'), BigInt(m[4] ?? '0')],
    release: m[5] === undefined ? [] : m[5].split('.'),
  };
}

function compareLabel(a: string, b: string): Ordering {
  const an = /^[0-9]+$/.test(a);
  const bn = /^[0-9]+$/.test(b);
  if (an && bn) return compareBigInt(BigInt(a), BigInt(b));
  if (an) return -1;
  if (bn) return 1;
  return compareStrings(a.toUpperCase(), b.toUpperCase());
}

export function compareNuGetVersions(a: NuGetVersion, b: NuGetVersion): Ordering {
  for (let i = 0; i < 4; i++) {
    const order = compareBigInt(a.parts[i] ?? 0n, b.parts[i] ?? 0n);
    if (order !== 0) return order;
  }
  if (a.release.length === 0 || b.release.length === 0) {
    return a.release.length === b.release.length ? 0 : a.release.length === 0 ? 1 : -1;
  }
  for (let i = 0; i < Math.max(a.release.length, b.release.length); i++) {
    const x = a.release[i];
    const y = b.release[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const order = compareLabel(x, y);
    if (order !== 0) return order;
  }
  return 0;
}

export function compareNuGet(a: string, b: string): Ordering {
  return compareNuGetVersions(parseNuGet(a), parseNuGet(b));
}

export function satisfiesNuGet(version: string, constraint: string): boolean {
  const v = parseNuGet(version);
  return parseGenericConstraint(constraint, SCHEME).some((all) =>
    all.every((c) =>
      holdsGeneric(c, (_bound, text) => compareNuGetVersions(v, parseNuGet(text.replace(/^v/, '')))),
    ),
  );
}

export const nugetScheme: VersionScheme = Object.freeze({
  name: SCHEME,
  ...validatorsFrom(parseNuGet),
  compare: compareNuGet,
  satisfies: satisfiesNuGet,
});
