/**
 * Trivy's "generic" versions: the semantics of aquasecurity/go-version (package `version`), which Trivy's
 * GenericComparer uses for Go modules, Cargo, Composer, NuGet, Pub, Hex, Conan, Swift, Kubernetes and Julia
 * advisories (trivy:pkg/detector/library/driver.go, compare/compare.go). Learned from go-version's README
 * and test tables.
 *
 * Versions: `v?N(.N)*` with any number of numeric segments (each at most 2^64-1), then an optional
 * pre-release (`-` followed by dot-separated identifiers, or letters glued to the number as in `1.7rc2`),
 * then optional `+build` metadata. Segments are zero-padded when compared (1.2 = 1.2.0.0); a pre-release
 * sorts before its release, identifiers compare as in SemVer (numbers numerically and below words); build
 * metadata is ignored. A pre-release identifier `x`, `X` or `*` is a wildcard equal to any pre-release.
 *
 * Constraints (go-version v0.0.1's syntax, as Trivy's advisories use it, e.g. ">= 2.0.0, <= 2.9.10.3" or
 * "< 1.0 || = 2.0"): `||` separates alternatives; within one, `operator version` comparators separated by
 * whitespace and/or a comma are AND-ed (read as grammar.ts describes); anything else, or an empty
 * alternative, is an error.
 * Operators: `=`/`==`/none (equal), `!=`, `<`, `<=`/`=<`, `>`, `>=`/`=>`, `~>` (pessimistic, like RubyGems:
 * ~>1.2 := >=1.2 <2, ~>1.2.3 := >=1.2.3 <1.3), `~` (tilde: ~1.2.3 := >=1.2.3 <1.3.0, ~1.2 := >=1.2 <1.3) and
 * `^` (caret: below the next bump of the leftmost non-zero segment). Pre-releases are never excluded.
 */
import { invalidConstraint, invalidVersion } from './errors.js';
import { compileGrammar, isWellFormed, pickComparators } from './grammar.js';
import { compareBigInt, compareStrings } from './numeric.js';
import { type Ordering, type VersionScheme, validatorsFrom } from './types.js';

const SCHEME = 'generic';
const UINT64_MAX = 18446744073709551615n;

/** One dot-separated pre-release identifier. */
export type Identifier =
  | { readonly kind: 'number'; readonly value: bigint }
  | { readonly kind: 'word'; readonly value: string }
  | { readonly kind: 'any' };

export interface GenericVersion {
  readonly segments: readonly bigint[];
  readonly preRelease: readonly Identifier[];
  /** The pre-release as written, for rebuilding bounds as text. */
  readonly preReleaseText: string;
  readonly build: string;
}

const IDENT_CHARS = '[0-9A-Za-z~-]';
const VERSION_SOURCE =
  `v?([0-9]+(?:\\.[0-9]+)*)` +
  `(?:-([0-9]+${IDENT_CHARS}*(?:\\.${IDENT_CHARS}+)*)|-?([A-Za-z~-]+${IDENT_CHARS}*(?:\\.${IDENT_CHARS}+)*))?` +
  `(?:\\+(${IDENT_CHARS}+(?:\\.${IDENT_CHARS}+)*))?`;
const VERSION_RE = new RegExp(`^${VERSION_SOURCE}$`);

// Longest first: a shorter operator that is a prefix of a longer one can never be followed by a version.
const OPERATORS = ['~>', '>=', '=>', '<=', '=<', '==', '!=', '>', '<', '=', '~', '^', ''] as const;
export type GenericOperator = (typeof OPERATORS)[number];

function identifier(text: string): Identifier {
  if (/^[0-9]+$/.test(text)) {
    const value = BigInt(text);
    if (value <= UINT64_MAX) return { kind: 'number', value };
  }
  if (text === 'x' || text === 'X' || text === '*') return { kind: 'any' };
  return { kind: 'word', value: text };
}

export function parseGeneric(input: string, scheme = SCHEME): GenericVersion {
  const m = VERSION_RE.exec(input);
  if (m === null) {
    throw invalidVersion(
      scheme,
      input,
      'expected numbers separated by dots, optionally -prerelease and +build',
    );
  }
  const segments = (m[1] ?? '').split('.').map((s) => BigInt(s));
  if (segments.some((s) => s > UINT64_MAX))
    throw invalidVersion(scheme, input, 'a number is larger than 2^64-1');
  const preReleaseText = m[2] ?? m[3] ?? '';
  return {
    segments,
    preRelease: preReleaseText === '' ? [] : preReleaseText.split('.').map(identifier),
    preReleaseText,
    build: m[4] ?? '',
  };
}

function compareIdentifier(a: Identifier, b: Identifier): Ordering {
  if (a.kind === 'any' || b.kind === 'any') return 0;
  if (a.kind === 'number' && b.kind === 'number') return compareBigInt(a.value, b.value);
  if (a.kind === 'number') return -1;
  if (b.kind === 'number') return 1;
  return compareStrings(a.value, b.value);
}

/** SemVer's pre-release precedence, with go-version's wildcard identifiers; empty means "no pre-release". */
export function comparePreRelease(a: readonly Identifier[], b: readonly Identifier[]): Ordering {
  if (a.some((p) => p.kind === 'any') || b.some((p) => p.kind === 'any')) return 0;
  if (a.length === 0 || b.length === 0) return a.length === b.length ? 0 : a.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const order = compareIdentifier(x, y);
    if (order !== 0) return order;
  }
  return 0;
}

export function compareGenericVersions(a: GenericVersion, b: GenericVersion): Ordering {
  const length = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < length; i++) {
    const order = compareBigInt(a.segments[i] ?? 0n, b.segments[i] ?? 0n);
    if (order !== 0) return order;
  }
  return comparePreRelease(a.preRelease, b.preRelease);
}

export function compareGeneric(a: string, b: string): Ordering {
  return compareGenericVersions(parseGeneric(a), parseGeneric(b));
}

function withSegments(v: GenericVersion, segments: bigint[], keepPreRelease: boolean): GenericVersion {
  return keepPreRelease ? { ...v, segments } : { segments, preRelease: [], preReleaseText: '', build: '' };
}

/** Upper bound of `~>`: RubyGems' bump (1 → 2, 1.2 → 2.0, 1.2.3 → 1.3.0). */
export function pessimisticBump(v: GenericVersion): GenericVersion {
  const s = [...v.segments];
  if (s.length === 1) return withSegments(v, [(s[0] ?? 0n) + 1n], true);
  s[s.length - 1] = 0n;
  s[s.length - 2] = (s[s.length - 2] ?? 0n) + 1n;
  return withSegments(v, s, false);
}

/** Upper bound of `~`: npm's tilde (1.2 → 1.3, 1.2.3 → 1.3.0, 1 → 2). */
export function tildeBump(v: GenericVersion): GenericVersion {
  if (v.segments.length === 2)
    return withSegments(v, [v.segments[0] ?? 0n, (v.segments[1] ?? 0n) + 1n], true);
  return pessimisticBump(v);
}

/** Upper bound of `^`: bump the leftmost non-zero segment and zero the rest (0.0 → 0.1, 0 → 1). */
export function caretBump(v: GenericVersion): GenericVersion {
  const s = [...v.segments];
  const first = s.findIndex((x) => x !== 0n);
  if (first < 0) s[s.length - 1] = (s[s.length - 1] ?? 0n) + 1n;
  else for (let i = first; i < s.length; i++) s[i] = i === first ? (s[i] ?? 0n) + 1n : 0n;
  return withSegments(v, s, false);
}

export function formatGeneric(v: GenericVersion): string {
  return `${v.segments.join('.')}${v.preReleaseText === '' ? '' : `-${v.preReleaseText}`}`;
}

export interface GenericComparator {
  readonly operator: GenericOperator;
  /** The version as written in the constraint. */
  readonly text: string;
  readonly version: GenericVersion;
}

const GRAMMAR = compileGrammar({ operators: OPERATORS, version: VERSION_SOURCE });

/** Reads a constraint in go-version's syntax (see the module comment) into alternatives of comparators. */
export function parseGenericConstraint(constraint: string, scheme = SCHEME): GenericComparator[][] {
  return constraint.split('||').map((alternative) => {
    if (!isWellFormed(GRAMMAR, alternative)) {
      throw invalidConstraint(
        scheme,
        constraint,
        `${JSON.stringify(alternative.trim())} is not a list of comparators`,
      );
    }
    const picked = pickComparators(GRAMMAR, alternative);
    if (picked.length === 0) throw invalidConstraint(scheme, constraint, 'an alternative is empty');
    return picked.map((p) => ({
      operator: p.operator as GenericOperator,
      text: p.version,
      version: parseGeneric(p.version, scheme),
    }));
  });
}

/**
 * Evaluates go-version's operators for one comparator. `order(bound)` compares the version being checked
 * with `bound`, which is either the comparator's own version or a bump of it, so that native schemes can reuse
 * the syntax with their own ordering.
 */
export function holdsGeneric(
  c: GenericComparator,
  order: (bound: GenericVersion, text: string) => Ordering,
): boolean {
  const own = () => order(c.version, c.text);
  const below = (bound: GenericVersion) => order(bound, formatGeneric(bound)) < 0;
  switch (c.operator) {
    case '':
    case '=':
    case '==':
      return own() === 0;
    case '!=':
      return own() !== 0;
    case '>':
      return own() > 0;
    case '<':
      return own() < 0;
    case '>=':
    case '=>':
      return own() >= 0;
    case '<=':
    case '=<':
      return own() <= 0;
    case '~>':
      return own() >= 0 && below(pessimisticBump(c.version));
    case '~':
      return own() >= 0 && below(tildeBump(c.version));
    case '^':
      return own() >= 0 && below(caretBump(c.version));
  }
}

export function satisfiesGeneric(version: string, constraint: string): boolean {
  const v = parseGeneric(version);
  return parseGenericConstraint(constraint).some((all) =>
    all.every((c) => holdsGeneric(c, (bound) => compareGenericVersions(v, bound))),
  );
}

export const genericScheme: VersionScheme = Object.freeze({
  name: SCHEME,
  ...validatorsFrom((v: string) => parseGeneric(v)),
  compare: compareGeneric,
  satisfies: satisfiesGeneric,
});
