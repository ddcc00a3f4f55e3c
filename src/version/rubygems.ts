/**
 * RubyGems versions and requirements (Gem::Version, Gem::Requirement), as Trivy matches them with
 * aquasecurity/go-gem-version for Bundler, gemspec and CocoaPods packages
 * (trivy:pkg/detector/library/compare/rubygems/compare.go). Learned from RubyGems' documentation and
 * go-gem-version's tests (which port rubygems' test_gem_version.rb and test_gem_requirement.rb).
 *
 * A version is numbers and letters separated by dots (`1.2.3`, `1.0.0.rc1`, `5.a`); a hyphen means
 * `.pre.` (`1.0.0-rc1` is `1.0.0.pre.rc1`); blank means 0. Any letter makes it a pre-release, which sorts
 * before the release. Comparison pads with zeros and drops trailing zeros of the release and pre-release
 * parts (1.0 = 1.0.0, 1.0.a < 1.0); numbers sort after letters. Like go-gem-version (and unlike RubyGems,
 * which reads a run of letters as one segment), letters are read one at a time, so `1.pre` > `1.preview`
 * where RubyGems says the opposite; the two agree whenever neither run of letters is a prefix of the other.
 *
 * Requirements: `||` separates alternatives (Trivy joins advisory ranges with it); within one, requirements
 * are separated by commas and/or whitespace. Operators: `=`/`==`/none, `!=`, `>`, `>=`/`=>`, `<`, `<=`/`=<`
 * and `~>` (pessimistic: ~> 1.2 means >= 1.2, < 2.0; ~> 1.2.3 means >= 1.2.3, < 1.3).
 */
import { invalidConstraint, invalidVersion } from './errors.js';
import { compileGrammar, isWellFormed, pickComparators } from './grammar.js';
import { compareBigInt, compareStrings } from './numeric.js';
import { type Ordering, type VersionScheme, validatorsFrom } from './types.js';

const SCHEME = 'rubygems';
const UINT64_MAX = 18446744073709551615n;

type Segment = bigint | string;

export interface GemVersion {
  /** Leading numeric segments, as written. */
  readonly release: readonly bigint[];
  /** Everything from the first letter on (letters one by one, and numbers). */
  readonly preRelease: readonly Segment[];
}

const VERSION_SOURCE = '[0-9]+(?:\\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?';
const VERSION_RE = new RegExp(`^[ \\t\\n\\f\\r]*(${VERSION_SOURCE})?[ \\t\\n\\f\\r]*$`);

export function parseGem(input: string): GemVersion {
  const m = VERSION_RE.exec(input);
  if (m === null)
    throw invalidVersion(
      SCHEME,
      input,
      'expected dot-separated numbers and letters, e.g. 1.2.3 or 1.0.0.rc1',
    );
  const text = (m[1] ?? '0').replaceAll('-', '.pre.');
  const release: bigint[] = [];
  const preRelease: Segment[] = [];
  for (const [token] of text.matchAll(/[0-9]+|[a-zA-Z]/g)) {
    const isNumber = /^[0-9]/.test(token) && BigInt(token) <= UINT64_MAX;
    if (isNumber && preRelease.length === 0) release.push(BigInt(token));
    else preRelease.push(isNumber ? BigInt(token) : token);
  }
  return { release, preRelease };
}

function trimZeros<T extends Segment>(segments: readonly T[]): T[] {
  let end = segments.length;
  while (end > 0 && segments[end - 1] === 0n) end--;
  return segments.slice(0, end);
}

function canonical(v: GemVersion): Segment[] {
  return [...trimZeros(v.release), ...trimZeros(v.preRelease)];
}

function compareSegment(a: Segment, b: Segment): Ordering {
  if (typeof a === 'bigint' && typeof b === 'bigint') return compareBigInt(a, b);
  if (typeof a === 'bigint') return 1;
  if (typeof b === 'bigint') return -1;
  return compareStrings(a, b);
}

export function compareGemVersions(a: GemVersion, b: GemVersion): Ordering {
  const x = canonical(a);
  const y = canonical(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const order = compareSegment(x[i] ?? 0n, y[i] ?? 0n);
    if (order !== 0) return order;
  }
  return 0;
}

export function compareGem(a: string, b: string): Ordering {
  return compareGemVersions(parseGem(a), parseGem(b));
}

/** Gem::Version#bump: drop the pre-release and the last number, then increment (5.3.1 → 5.4, 5 → 6). */
function bump(v: GemVersion): GemVersion {
  const kept = v.release.length <= 1 ? v.release.slice(0, 1) : v.release.slice(0, -1);
  const last = kept.length - 1;
  return { release: kept.map((s, i) => (i === last ? s + 1n : s)), preRelease: [] };
}

type Operator = '~>' | '>=' | '=>' | '<=' | '=<' | '==' | '!=' | '>' | '<' | '=' | '';
const OPERATORS: readonly Operator[] = ['~>', '>=', '=>', '<=', '=<', '==', '!=', '>', '<', '=', ''];
const GRAMMAR = compileGrammar({ operators: OPERATORS, version: VERSION_SOURCE });

interface Requirement {
  readonly operator: Operator;
  readonly version: GemVersion;
}

function parseAlternative(alternative: string, constraint: string): Requirement[] {
  if (!isWellFormed(GRAMMAR, alternative)) {
    throw invalidConstraint(
      SCHEME,
      constraint,
      `${JSON.stringify(alternative.trim())} is not a list of requirements`,
    );
  }
  const requirements = pickComparators(GRAMMAR, alternative).map(({ operator, version }) => ({
    operator: operator as Operator,
    version: parseGem(version),
  }));
  if (requirements.length === 0) throw invalidConstraint(SCHEME, constraint, 'an alternative is empty');
  return requirements;
}

function holds(v: GemVersion, r: Requirement): boolean {
  const order = compareGemVersions(v, r.version);
  switch (r.operator) {
    case '':
    case '=':
    case '==':
      return order === 0;
    case '!=':
      return order !== 0;
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
    case '~>':
      return order >= 0 && compareGemVersions({ release: v.release, preRelease: [] }, bump(r.version)) < 0;
  }
}

export function satisfiesGem(version: string, constraint: string): boolean {
  const v = parseGem(version);
  return constraint
    .split('||')
    .map((alternative) => parseAlternative(alternative, constraint))
    .some((all) => all.every((r) => holds(v, r)));
}

export const rubygemsScheme: VersionScheme = Object.freeze({
  name: SCHEME,
  ...validatorsFrom(parseGem),
  compare: compareGem,
  satisfies: satisfiesGem,
});
