/**
 * Composer (PHP) package versions, ordered as Composer orders them: the version is first normalized by
 * Composer's VersionParser rules (optional `v`, up to four numbers padded to four, a stability suffix
 * `alpha`/`a`, `beta`/`b`, `RC`, `patch`/`pl`/`p` or `stable` with an optional number, and `-dev`; or a
 * date-like version such as 2023.01.15), then compared with PHP's version_compare(), which orders
 * dev < alpha < beta < RC < (release) < patch. So 1.0.0-RC1 > 1.0.0-alpha2 and 1.0.0-p1 > 1.0.0.
 * Branch names (`dev-main`, `1.x-dev`) are not versions and are rejected.
 *
 * Constraint syntax: the one Trivy accepts for Composer advisories, which it matches with
 * aquasecurity/go-version (see generic.ts), e.g. "< 1.8.4" or ">= 2.0.0, < 2.2.1"; Composer's own `^`/`~`
 * meaning is go-version's here. `comparatorFor('composer')` returns Trivy's generic semantics unless native
 * ones are asked for.
 */
import { invalidVersion } from './errors.js';
import { holdsGeneric, parseGenericConstraint } from './generic.js';
import { compareBigInt } from './numeric.js';
import { type Ordering, type VersionScheme, validatorsFrom } from './types.js';

const SCHEME = 'composer';

const MODIFIER = '[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?[0-9]+)*)?)?([.-]?dev)?';
const CLASSICAL = new RegExp(`^v?([0-9]{1,5})(\\.[0-9]+)?(\\.[0-9]+)?(\\.[0-9]+)?${MODIFIER}$`, 'i');
const DATE = new RegExp(`^v?([0-9]{4}(?:[.:-]?[0-9]{2}){1,6}(?:[.:-]?[0-9]{1,3}){0,2})${MODIFIER}$`, 'i');

function stabilitySuffix(
  stability: string | undefined,
  number: string | undefined,
  dev: string | undefined,
): string {
  let suffix = '';
  if (stability !== undefined && stability.toLowerCase() !== 'stable') {
    const s = stability.toLowerCase();
    const expanded =
      s === 'a' ? 'alpha' : s === 'b' ? 'beta' : s === 'p' || s === 'pl' ? 'patch' : s === 'rc' ? 'RC' : s;
    suffix = `-${expanded}${(number ?? '').replace(/^[.-]+/, '')}`;
  }
  if (dev !== undefined) suffix += '-dev';
  return suffix;
}

/** Composer's normalized form, e.g. "v1.2-beta2" → "1.2.0.0-beta2", "2.0.0p1" → "2.0.0.0-patch1". */
export function normalizeComposer(input: string): string {
  const text = input.trim();
  if (/^dev-|\.x(-dev)?$/i.test(text)) {
    throw invalidVersion(SCHEME, input, 'a development branch is not a comparable version');
  }
  const classical = CLASSICAL.exec(text);
  if (classical !== null) {
    const [, major = '0', minor = '.0', patch = '.0', extra = '.0', stability, number, dev] = classical;
    return `${major}${minor}${patch}${extra}${stabilitySuffix(stability, number, dev)}`;
  }
  const date = DATE.exec(text);
  if (date !== null) {
    const [, stamp = '', stability, number, dev] = date;
    return `${stamp.replace(/[.:-]/g, '.')}${stabilitySuffix(stability, number, dev)}`;
  }
  throw invalidVersion(SCHEME, input, 'expected a version such as 1.2.3, v1.2.3-beta1 or 1.2.3-p1');
}

// PHP version_compare's special forms, matched as prefixes ("patch" is "p"); any other word sorts first.
const SPECIAL_FORMS: ReadonlyArray<readonly [string, number]> = [
  ['dev', 0],
  ['alpha', 1],
  ['a', 1],
  ['beta', 2],
  ['b', 2],
  ['RC', 3],
  ['rc', 3],
  ['#', 4],
  ['pl', 5],
  ['p', 5],
];
const NUMBER_FORM = 4;

function specialForm(part: string): number {
  return SPECIAL_FORMS.find(([name]) => part.startsWith(name))?.[1] ?? -1;
}

const isDigit = (c: string) => c >= '0' && c <= '9';
const isNonDigit = (c: string) => !isDigit(c) && c !== '.';

/**
 * PHP's canonical form: `-`, `_`, `+` and other punctuation become single dots, and a dot is inserted
 * where digits meet other characters ("1.0rc1" → "1.0.rc.1").
 */
function canonicalParts(version: string): string[] {
  let out = version.charAt(0);
  let previous = version.charAt(0);
  for (const c of version.slice(1)) {
    const dot = out.endsWith('.') ? '' : '.';
    if (c === '-' || c === '_' || c === '+') out += dot;
    else if ((isNonDigit(previous) && isDigit(c)) || (isDigit(previous) && isNonDigit(c))) out += dot + c;
    else if (!/[0-9A-Za-z]/.test(c)) out += dot;
    else out += c;
    previous = c;
  }
  return out.split('.');
}

function comparePart(a: string, b: string): Ordering {
  if (isDigit(a.charAt(0)) && isDigit(b.charAt(0))) return compareBigInt(BigInt(a), BigInt(b));
  const x = isDigit(a.charAt(0)) ? NUMBER_FORM : specialForm(a);
  const y = isDigit(b.charAt(0)) ? NUMBER_FORM : specialForm(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** PHP's version_compare(). */
export function phpVersionCompare(a: string, b: string): Ordering {
  if (a === '' || b === '') return a === b ? 0 : a === '' ? -1 : 1;
  const pa = canonicalParts(a);
  const pb = canonicalParts(b);
  const common = Math.min(pa.length, pb.length);
  for (let i = 0; i < common; i++) {
    const order = comparePart(pa[i] ?? '', pb[i] ?? '');
    if (order !== 0) return order;
  }
  if (pa.length === pb.length) return 0;
  // The longer one wins with a further number; a further word is weighed against a plain release.
  const longerIsA = pa.length > pb.length;
  const next = (longerIsA ? pa : pb)[common] ?? '';
  const order: Ordering = isDigit(next.charAt(0)) ? 1 : specialForm(next) < NUMBER_FORM ? -1 : 1;
  return longerIsA ? order : (-order as Ordering);
}

export function compareComposer(a: string, b: string): Ordering {
  return phpVersionCompare(normalizeComposer(a), normalizeComposer(b));
}

export function satisfiesComposer(version: string, constraint: string): boolean {
  const v = normalizeComposer(version);
  return parseGenericConstraint(constraint, SCHEME).some((all) =>
    all.every((c) => holdsGeneric(c, (_bound, text) => phpVersionCompare(v, normalizeComposer(text)))),
  );
}

export const composerScheme: VersionScheme = Object.freeze({
  name: SCHEME,
  ...validatorsFrom(normalizeComposer),
  compare: compareComposer,
  satisfies: satisfiesComposer,
});
