/**
 * npm versions and ranges as Trivy matches them: aquasecurity/go-npm-version with WithPreRelease(true)
 * (trivy:pkg/detector/library/compare/npm/compare.go). Learned from go-npm-version's README and test tables,
 * whose auto-generated part is produced by node-semver itself, and from npm's semver documentation.
 *
 * Versions are strict SemVer 2.0.0 (no leading `v`, no leading zeros); build metadata is ignored.
 *
 * Constraints: `||` separates alternatives; within one, comparators are separated by whitespace and/or a
 * comma (">=1.0.0, <1.2.3" and ">=1.0.0 <1.2.3" are the same); an empty alternative matches everything.
 * Operators: none/`=`/`==`, `<`, `<=`/`=<`, `>`, `>=`/`=>`, `~` and `^` (npm's tilde and caret ranges);
 * partial versions and `x`/`X`/`*` are X-ranges (`<2.x` means below 2.0.0, `=1.2` means any 1.2.z).
 * Hyphen ranges (`1.0 - 2.0`) and `!=` are not part of go-npm-version's syntax and are rejected.
 *
 * Because Trivy includes pre-releases, a pre-release satisfies a range whenever its position in the
 * ordering does, unlike npm's default (`<2.0.0` includes 2.0.0-beta; `^1.2.3` includes 1.3.0-rc.1).
 */
import { invalidConstraint, invalidVersion } from './errors.js';
import { comparePreRelease, type Identifier } from './generic.js';
import { compileGrammar, isWellFormed, pickComparators } from './grammar.js';
import { compareBigInt, compareStrings } from './numeric.js';
import { type Ordering, type VersionScheme, validatorsFrom } from './types.js';

const SCHEME = 'npm';
const UINT64_MAX = 18446744073709551615n;

/**
 * A release number, or in constraints a wildcard (`x`, `X`, `*` or a missing part) or, for malformed text
 * such as "1x", a word that go-npm-version compares as text (above every number).
 */
type Part = bigint | 'any' | { readonly word: string };

interface NpmVersion {
  readonly major: Part;
  readonly minor: Part;
  readonly patch: Part;
  readonly preRelease: readonly Identifier[];
}

// semver.org's grammar: numeric identifiers without leading zeros, alphanumeric ones with at least one non-digit.
const NUM = '(?:0|[1-9][0-9]*)';
const PRE_ID = '(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)';
const STRICT = new RegExp(
  `^(${NUM})\\.(${NUM})\\.(${NUM})(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?$`,
);

function identifier(text: string): Identifier {
  if (/^[0-9]+$/.test(text) && BigInt(text) <= UINT64_MAX) return { kind: 'number', value: BigInt(text) };
  if (text === 'x' || text === 'X' || text === '*') return { kind: 'any' };
  return { kind: 'word', value: text };
}

function preRelease(text: string | undefined): Identifier[] {
  return text === undefined || text === '' ? [] : text.split('.').map(identifier);
}

export function parseNpm(input: string): NpmVersion {
  const m = STRICT.exec(input);
  if (m === null)
    throw invalidVersion(SCHEME, input, 'expected a SemVer 2.0.0 version such as 1.2.3 or 1.2.3-beta.1');
  const [major, minor, patch] = [m[1], m[2], m[3]].map((s) => BigInt(s ?? '0')) as [bigint, bigint, bigint];
  if (major > UINT64_MAX || minor > UINT64_MAX || patch > UINT64_MAX) {
    throw invalidVersion(SCHEME, input, 'a number is larger than 2^64-1');
  }
  return { major, minor, patch, preRelease: preRelease(m[4]) };
}

function comparePart(x: bigint | { readonly word: string }, y: bigint | { readonly word: string }): Ordering {
  if (typeof x === 'bigint' && typeof y === 'bigint') return compareBigInt(x, y);
  if (typeof x === 'bigint') return -1;
  if (typeof y === 'bigint') return 1;
  return compareStrings(x.word, y.word);
}

/** Release parts compare up to the first wildcard, which equals anything from there on. */
function compareNpmVersions(a: NpmVersion, b: NpmVersion): Ordering {
  for (const key of ['major', 'minor', 'patch'] as const) {
    const x = a[key];
    const y = b[key];
    if (x === 'any' || y === 'any') return 0;
    const order = comparePart(x, y);
    if (order !== 0) return order;
  }
  return comparePreRelease(a.preRelease, b.preRelease);
}

export function compareNpm(a: string, b: string): Ordering {
  return compareNpmVersions(parseNpm(a), parseNpm(b));
}

const OPERATORS = ['>=', '=>', '<=', '=<', '==', '>', '<', '=', '~', '^', ''] as const;
type NpmOperator = (typeof OPERATORS)[number];
const PARTIAL_SOURCE =
  'v?([0-9xX*]+)(?:\\.([0-9xX*]+))?(?:\\.([0-9xX*]+))?(?:-([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?';
const GRAMMAR = compileGrammar({ operators: OPERATORS, version: PARTIAL_SOURCE });
const PARTIAL = new RegExp(`^${PARTIAL_SOURCE}$`);

interface NpmComparator {
  readonly operator: NpmOperator;
  readonly version: NpmVersion;
}

function part(text: string | undefined): Part {
  if (text === undefined || text === 'x' || text === 'X' || text === '*') return 'any';
  if (/^[0-9]+$/.test(text) && BigInt(text) <= UINT64_MAX) return BigInt(text);
  return { word: text };
}

function isAnyRelease(v: NpmVersion): boolean {
  return v.major === 'any' || v.minor === 'any' || v.patch === 'any';
}

function hasPreRelease(v: NpmVersion): boolean {
  return v.preRelease.length > 0 && !v.preRelease.some((p) => p.kind === 'any');
}

function parseAlternative(alternative: string, constraint: string): NpmComparator[] {
  if (!isWellFormed(GRAMMAR, alternative)) {
    throw invalidConstraint(
      SCHEME,
      constraint,
      `${JSON.stringify(alternative.trim())} is not a list of comparators`,
    );
  }
  const comparators = pickComparators(GRAMMAR, alternative).map(({ operator, version }) => {
    const m = PARTIAL.exec(version);
    if (m === null) throw invalidConstraint(SCHEME, constraint, `cannot read ${JSON.stringify(version)}`);
    return {
      operator: operator as NpmOperator,
      version: { major: part(m[1]), minor: part(m[2]), patch: part(m[3]), preRelease: preRelease(m[4]) },
    };
  });
  // An empty alternative is "*": every version, pre-releases included.
  if (comparators.length === 0) {
    comparators.push({ operator: '', version: { major: 'any', minor: 'any', patch: 'any', preRelease: [] } });
  }
  return comparators;
}

function bump(v: NpmVersion, level: 'major' | 'minor' | 'patch'): NpmVersion {
  const n = (p: Part): bigint => {
    if (p === 'any') return 0n;
    if (typeof p === 'bigint') return p;
    throw invalidConstraint(SCHEME, p.word, 'a tilde or caret range needs numeric parts');
  };
  if (level === 'major') return { major: n(v.major) + 1n, minor: 0n, patch: 0n, preRelease: [] };
  if (level === 'minor') return { major: v.major, minor: n(v.minor) + 1n, patch: 0n, preRelease: [] };
  return { major: v.major, minor: v.minor, patch: n(v.patch) + 1n, preRelease: [] };
}

/** Upper bound of `~`: ~1.2.3 and ~1.2 → 1.3.0, ~1 → 2.0.0, ~* → no bound. */
function tildeUpper(c: NpmVersion): NpmVersion | undefined {
  if (c.major === 'any') return undefined;
  if (c.minor === 'any') return bump(c, 'major');
  return bump(c, 'minor');
}

/** Upper bound of `^`: the next change of the leftmost non-zero part (^0.2.3 → 0.3.0, ^0.0 → 0.1.0). */
function caretUpper(c: NpmVersion): NpmVersion | undefined {
  if (c.major === 'any') return undefined;
  if (c.major !== 0n) return bump(c, 'major');
  if (c.minor === 'any') return bump(c, 'major');
  if (c.minor !== 0n) return bump(c, 'minor');
  if (c.patch === 'any') return bump(c, 'minor');
  return bump(c, 'patch');
}

function holds(v: NpmVersion, c: NpmComparator): boolean {
  // go-npm-version: a wildcard release with a pre-release ("1.x-beta") matches nothing.
  if (hasPreRelease(c.version) && isAnyRelease(c.version)) return false;
  const order = compareNpmVersions(v, c.version);
  const below = (upper: NpmVersion | undefined) => upper === undefined || compareNpmVersions(v, upper) < 0;
  switch (c.operator) {
    case '':
    case '=':
    case '==':
      return order === 0;
    case '>':
      return order > 0;
    case '<':
      return order < 0;
    case '>=':
    case '=>':
      return order >= 0;
    case '<=':
    case '=<':
      return order <= 0;
    case '~':
      return order >= 0 && below(tildeUpper(c.version));
    case '^':
      return order >= 0 && below(caretUpper(c.version));
  }
}

export function parseNpmConstraint(constraint: string): NpmComparator[][] {
  return constraint.split('||').map((alternative) => parseAlternative(alternative, constraint));
}

export function satisfiesNpm(version: string, constraint: string): boolean {
  const v = parseNpm(version);
  return parseNpmConstraint(constraint).some((all) => all.every((c) => holds(v, c)));
}

export const npmScheme: VersionScheme = Object.freeze({
  name: SCHEME,
  ...validatorsFrom(parseNpm),
  compare: compareNpm,
  satisfies: satisfiesNpm,
});
