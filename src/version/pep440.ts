/**
 * Python versions (PEP 440) and specifiers as Trivy matches them: aquasecurity/go-pep440-version with
 * WithPreRelease(true) (trivy:pkg/detector/library/compare/pep440/compare.go). Learned from PEP 440, pypa's
 * packaging documentation, and go-pep440-version's README and tests (which port pypa's test_version.py and
 * test_specifiers.py).
 *
 * Versions: `[v][N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`, case-insensitive, with PEP 440's alternative
 * spellings (alpha, beta, c, pre, preview, rev, r, `-N` for a post-release, `-`/`_`/`.` separators or none).
 * Ordering: epoch, release (zero-padded), then .devN < aN < bN < rcN < (release) < .postN, and a local
 * label sorts after its public version.
 *
 * Specifiers: `||` separates alternatives (go-pep440-version's extension for Trivy); within one, specifiers
 * are separated by commas and/or whitespace. Operators: `==` (also `=` or none), `!=`, `<`, `<=`, `>`, `>=`,
 * `~=`, `===`, and `==X.*`/`!=X.*` prefix matching; an alternative that is just `*` means any version.
 * Trivy's mode includes pre-releases, so `<2.0` matches 2.0rc1 (PEP 440's default would not). Kept as
 * go-pep440-version behaves, where it departs from pypa's packaging:
 * - specifiers are picked out with the first spelling that fits (grammar.ts), so a long pre-release
 *   spelling is cut short: "<1.0alpha1" reads as "<1.0a0" and "1", and "<2.0beta2" as "<2.0b0" and "2";
 * - prefix matching compares only the numeric components it keeps after truncation and pads the shorter
 *   side with half the missing zeros (`==1.0.*` does not match `1`);
 * - local labels are split on dots only.
 */
import { invalidConstraint, invalidVersion } from './errors.js';
import { compileGrammar, isWellFormed, pickComparators } from './grammar.js';
import { compareBigInt, compareStrings } from './numeric.js';
import { type Ordering, type VersionScheme, validatorsFrom } from './types.js';

const SCHEME = 'pep440';

export interface Pep440Version {
  readonly epoch: bigint;
  readonly release: readonly bigint[];
  readonly pre: { readonly letter: 'a' | 'b' | 'rc'; readonly n: bigint } | undefined;
  readonly post: bigint | undefined;
  readonly dev: bigint | undefined;
  readonly local: string;
}

const VERSION_SOURCE =
  'v?(?:(?:([0-9]+)!)?([0-9]+(?:\\.[0-9]+)*)' +
  '(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?([0-9]+)?)?' +
  '(?:-([0-9]+)|[-_.]?(post|rev|r)[-_.]?([0-9]+)?)?' +
  '(?:[-_.]?(dev)[-_.]?([0-9]+)?)?)' +
  '(?:\\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?';
const VERSION_RE = new RegExp(`^\\s*${VERSION_SOURCE}\\s*$`, 'i');

const PRE_LETTERS: Readonly<Record<string, 'a' | 'b' | 'rc'>> = {
  a: 'a',
  alpha: 'a',
  b: 'b',
  beta: 'b',
  c: 'rc',
  rc: 'rc',
  pre: 'rc',
  preview: 'rc',
};

export function parsePep440(input: string): Pep440Version {
  const m = VERSION_RE.exec(input);
  if (m === null)
    throw invalidVersion(SCHEME, input, 'not a PEP 440 version such as 1.2.3, 1.2rc1, 1.2.post1');
  const [, epoch, release, preLetter, preN, postN1, postMark, postN2, devMark, devN, local] = m;
  const hasPost = postN1 !== undefined || postMark !== undefined;
  return {
    epoch: BigInt(epoch ?? '0'),
    release: (release ?? '0').split('.').map((s) => BigInt(s)),
    pre:
      preLetter === undefined
        ? undefined
        : { letter: PRE_LETTERS[preLetter.toLowerCase()] ?? 'rc', n: BigInt(preN ?? '0') },
    post: hasPost ? BigInt(postN1 ?? postN2 ?? '0') : undefined,
    dev: devMark === undefined ? undefined : BigInt(devN ?? '0'),
    local: (local ?? '').toLowerCase(),
  };
}

/** PEP 440's normal form, e.g. "1!2.0rc1.post2.dev3+ubuntu.1". */
export function formatPep440(v: Pep440Version, withLocal = true): string {
  let s = v.epoch === 0n ? '' : `${v.epoch}!`;
  s += v.release.join('.');
  if (v.pre !== undefined) s += `${v.pre.letter}${v.pre.n}`;
  if (v.post !== undefined) s += `.post${v.post}`;
  if (v.dev !== undefined) s += `.dev${v.dev}`;
  if (withLocal && v.local !== '') s += `+${v.local}`;
  return s;
}

// Sentinels for the absent parts of PEP 440's sort key.
const LOW = -1;
const HIGH = 1;

function compareOptional<T>(
  a: T | undefined,
  b: T | undefined,
  whenAbsentA: number,
  whenAbsentB: number,
  cmp: (x: T, y: T) => Ordering,
): Ordering {
  if (a !== undefined && b !== undefined) return cmp(a, b);
  const x = a === undefined ? whenAbsentA : 0;
  const y = b === undefined ? whenAbsentB : 0;
  return x < y ? -1 : x > y ? 1 : 0;
}

function compareLocal(a: string, b: string): Ordering {
  if (a === b) return 0;
  if (a === '') return -1;
  if (b === '') return 1;
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const xNum = /^[0-9]+$/.test(x);
    const yNum = /^[0-9]+$/.test(y);
    // Numeric segments sort after alphanumeric ones.
    const order =
      xNum && yNum ? compareBigInt(BigInt(x), BigInt(y)) : xNum ? 1 : yNum ? -1 : compareStrings(x, y);
    if (order !== 0) return order;
  }
  return 0;
}

export function comparePep440Versions(a: Pep440Version, b: Pep440Version): Ordering {
  const epoch = compareBigInt(a.epoch, b.epoch);
  if (epoch !== 0) return epoch;
  for (let i = 0; i < Math.max(a.release.length, b.release.length); i++) {
    const order = compareBigInt(a.release[i] ?? 0n, b.release[i] ?? 0n);
    if (order !== 0) return order;
  }
  // A dev release of a final version (no pre, no post) sorts before its pre-releases.
  const preAbsent = (v: Pep440Version) => (v.post === undefined && v.dev !== undefined ? LOW - 1 : HIGH);
  const pre = compareOptional(a.pre, b.pre, preAbsent(a), preAbsent(b), (x, y) =>
    x.letter !== y.letter ? compareStrings(x.letter, y.letter) : compareBigInt(x.n, y.n),
  );
  if (pre !== 0) return pre;
  const post = compareOptional(a.post, b.post, LOW, LOW, compareBigInt);
  if (post !== 0) return post;
  const dev = compareOptional(a.dev, b.dev, HIGH, HIGH, compareBigInt);
  if (dev !== 0) return dev;
  return compareLocal(a.local, b.local);
}

export function comparePep440(a: string, b: string): Ordering {
  return comparePep440Versions(parsePep440(a), parsePep440(b));
}

const isPreRelease = (v: Pep440Version) => v.pre !== undefined || v.dev !== undefined;
const publicOf = (v: Pep440Version): Pep440Version => ({ ...v, local: '' });
const baseOf = (v: Pep440Version): Pep440Version => ({
  epoch: v.epoch,
  release: v.release,
  pre: undefined,
  post: undefined,
  dev: undefined,
  local: '',
});
const sameBase = (a: Pep440Version, b: Pep440Version) => comparePep440Versions(baseOf(a), baseOf(b)) === 0;

type Operator = '===' | '==' | '!=' | '<=' | '>=' | '~=' | '<' | '>' | '=' | '';
const OPERATORS: readonly Operator[] = ['===', '==', '!=', '<=', '>=', '~=', '<', '>', '=', ''];
const GRAMMAR = compileGrammar({ operators: OPERATORS, version: `${VERSION_SOURCE}(?:\\.\\*)?`, flags: 'i' });

interface Specifier {
  readonly operator: Operator;
  /** The version as written, without a trailing ".*". */
  readonly text: string;
  readonly version: Pep440Version;
  readonly wildcard: boolean;
}

/** Splits on dots and between a number and a pre-release glued to it ("1rc1" → "1", "rc1"). */
function versionSplit(s: string): string[] {
  return s.split('.').flatMap((part) => {
    const m = /^([0-9]+)((?:a|b|c|rc)[0-9]+)$/.exec(part);
    return m === null ? [part] : [m[1] ?? '', m[2] ?? ''];
  });
}

const isInteger = (s: string) => /^[+-]?[0-9]+$/.test(s);

/** Prefix matching ("==1.4.*") as go-pep440-version does it; see the module comment. */
function prefixMatches(prospective: Pep440Version, specText: string): boolean {
  const spec = versionSplit(specText);
  const candidate = versionSplit(formatPep440(prospective, false)).slice(0, spec.length);
  const left = spec.filter(isInteger);
  const right = candidate.filter(isInteger);
  const leftRest = spec.slice(left.length);
  const rightRest = spec.slice(right.length);
  const missing = Math.abs(left.length - right.length);
  const shorter = left.length < right.length ? left : right;
  for (let i = 0; i < Math.ceil(missing / 2); i++) shorter.push('0');
  const a = [...left, ...leftRest];
  const b = [...right, ...rightRest];
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function equal(prospective: Pep440Version, s: Specifier): boolean {
  if (s.wildcard) return prefixMatches(publicOf(prospective), s.text);
  const candidate = s.version.local === '' ? publicOf(prospective) : prospective;
  return comparePep440Versions(candidate, s.version) === 0;
}

function compatible(prospective: Pep440Version, s: Specifier): boolean {
  const kept: string[] = [];
  for (const part of versionSplit(formatPep440(s.version, false))) {
    if (part.startsWith('post') || part.startsWith('dev')) break;
    kept.push(part);
  }
  const prefix = kept.slice(0, -1).join('.');
  return (
    comparePep440Versions(publicOf(prospective), s.version) >= 0 &&
    prefixMatches(publicOf(prospective), prefix)
  );
}

function holds(prospective: Pep440Version, s: Specifier, includePreRelease: boolean): boolean {
  switch (s.operator) {
    case '':
    case '=':
    case '==':
      return equal(prospective, s);
    case '!=':
      return !equal(prospective, s);
    case '<': {
      // PEP 440: <V does not match V's own pre-releases unless V is one. Trivy includes pre-releases, which
      // turns that rule off, except that go-pep440-version re-reads a version with a local label for this
      // comparison and so loses the setting.
      let candidate = prospective;
      let included = includePreRelease;
      if (prospective.local !== '') {
        candidate = publicOf(prospective);
        included = false;
      }
      if (comparePep440Versions(candidate, s.version) >= 0) return false;
      return !(
        !included &&
        !isPreRelease(s.version) &&
        isPreRelease(candidate) &&
        sameBase(candidate, s.version)
      );
    }
    case '>':
      if (comparePep440Versions(prospective, s.version) <= 0) return false;
      // >V does not match V's post-releases (unless V is one) nor V with a local label.
      if (
        s.version.post === undefined &&
        prospective.post !== undefined &&
        sameBase(prospective, s.version)
      ) {
        return false;
      }
      return !(prospective.local !== '' && sameBase(prospective, s.version));
    case '<=':
      return comparePep440Versions(publicOf(prospective), s.version) <= 0;
    case '>=':
      return comparePep440Versions(publicOf(prospective), s.version) >= 0;
    case '~=':
      return compatible(prospective, s);
    case '===':
      return formatPep440(prospective).toLowerCase() === s.text.toLowerCase();
  }
}

function checkSpecifier(s: Specifier, constraint: string): void {
  const fail = (reason: string) => invalidConstraint(SCHEME, constraint, reason);
  if (s.operator === '===') return;
  if (s.operator === '' || s.operator === '=' || s.operator === '==' || s.operator === '!=') {
    if (s.wildcard && (s.version.dev !== undefined || s.version.local !== '')) {
      throw fail('prefix matching (.*) cannot be combined with a dev release or a local label');
    }
    return;
  }
  if (s.wildcard) throw fail(`"${s.operator}" does not allow a .* suffix`);
  if (s.version.local !== '') throw fail(`"${s.operator}" does not allow a local version label`);
  if (s.operator === '~=' && s.version.release.length < 2) {
    throw fail('"~=" needs at least two release numbers, e.g. ~=2.2');
  }
}

function parseAlternative(alternative: string, constraint: string): Specifier[] {
  const text = alternative.trim() === '*' ? '>=0.0.0' : alternative;
  if (!isWellFormed(GRAMMAR, text)) {
    throw invalidConstraint(
      SCHEME,
      constraint,
      `${JSON.stringify(alternative.trim())} is not a list of specifiers`,
    );
  }
  const specifiers = pickComparators(GRAMMAR, text).map(({ operator, version }) => {
    const wildcard = version.endsWith('.*');
    const versionText = wildcard ? version.slice(0, -2) : version;
    const specifier: Specifier = {
      operator: operator as Operator,
      text: versionText,
      version: parsePep440(versionText),
      wildcard,
    };
    checkSpecifier(specifier, constraint);
    return specifier;
  });
  if (specifiers.length === 0) throw invalidConstraint(SCHEME, constraint, 'an alternative is empty');
  return specifiers;
}

/**
 * `includePreRelease` is Trivy's setting and the default; false gives go-pep440-version's default mode,
 * in which `<V` excludes V's pre-releases as PEP 440 asks.
 */
export function satisfiesPep440(
  version: string,
  constraint: string,
  options?: { includePreRelease?: boolean },
): boolean {
  const v = parsePep440(version);
  const includePreRelease = options?.includePreRelease ?? true;
  return constraint
    .split('||')
    .map((alternative) => parseAlternative(alternative, constraint))
    .some((all) => all.every((s) => holds(v, s, includePreRelease)));
}

export const pep440Scheme: VersionScheme = Object.freeze({
  name: SCHEME,
  ...validatorsFrom(parsePep440),
  compare: comparePep440,
  satisfies: (version: string, constraint: string) => satisfiesPep440(version, constraint),
});
