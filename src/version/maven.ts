/**
 * Maven versions, ordered by Maven's ComparableVersion rules (maven-artifact, "Version Order
 * Specification"), and the constraint syntaxes Trivy accepts for Maven advisories through
 * masahiro331/go-mvn-version's NewComparer (trivy:pkg/detector/library/compare/maven/compare.go). Learned from
 * Maven's documentation and go-mvn-version's README and tests (which follow Maven's ComparableVersionTest).
 *
 * Versions: any string. Dots and hyphens separate components, and so does every change between digits and
 * letters (1.0alpha1 = 1.0-alpha-1); a hyphen (or such a change) starts a nested list, which makes it less
 * important than a dot. Trailing zeros, empty qualifiers and `ga`/`final`/`release` are dropped, so
 * 1.0-final = 1.0 = 1. Qualifiers order alpha (a) < beta (b) < milestone (m) < rc (cr) < snapshot < release
 * < sp < any other word (alphabetically, case-insensitive); numbers sort after words.
 *
 * Constraints: first tried as operator constraints — `||` alternatives of `operator version` separated by
 * commas and/or whitespace, operators `=`/`==`/none, `!=`, `<`, `<=`/`=<`, `>`, `>=`/`=>` (">= 2.0.0, <=
 * 2.9.10.3"). If that fails, the whole string is read as Maven ranges: every `[a,b]`, `(a,b)`, `[a,b)`,
 * `(,b]`, `[a,)`, `[v]` found in it is an alternative, and everything else (including `||` and any operator
 * constraint joined to a range) is ignored, as go-mvn-version does. Also as go-mvn-version does, an exact
 * range `[v]` compares against `v` without its last character (`[1.2.3]` is `[1.2.]`, i.e. 1.2).
 */
import { invalidConstraint, invalidVersion } from './errors.js';
import { compileGrammar, isWellFormed, pickComparators } from './grammar.js';
import { compareBigInt, compareStrings } from './numeric.js';
import { holds, type Relation } from './relational.js';
import { type Ordering, type VersionScheme, validatorsFrom } from './types.js';

const SCHEME = 'maven';

type Item =
  | { readonly kind: 'int'; readonly value: bigint }
  | { readonly kind: 'str'; readonly value: string }
  | ListItem;
interface ListItem {
  readonly kind: 'list';
  readonly items: Item[];
}

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const RELEASE_INDEX = String(QUALIFIERS.indexOf(''));
const ALIASES: Readonly<Record<string, string>> = { ga: '', final: '', release: '', cr: 'rc' };
const SHORT_QUALIFIERS: Readonly<Record<string, string>> = { a: 'alpha', b: 'beta', m: 'milestone' };

function stringItem(value: string, followedByDigit: boolean): Item {
  const expanded = followedByDigit ? (SHORT_QUALIFIERS[value] ?? value) : value;
  return { kind: 'str', value: ALIASES[expanded] ?? expanded };
}

function parseItem(isDigit: boolean, text: string): Item {
  return isDigit ? { kind: 'int', value: BigInt(text) } : stringItem(text, false);
}

function isNull(item: Item): boolean {
  if (item.kind === 'int') return item.value === 0n;
  if (item.kind === 'str') return item.value === '';
  return item.items.length === 0;
}

/** Drops trailing null items, looking past nested lists that are not null themselves. */
function normalize(list: ListItem): void {
  for (let i = list.items.length - 1; i >= 0; i--) {
    const item = list.items[i];
    if (item === undefined) continue;
    if (isNull(item)) list.items.splice(i, 1);
    else if (item.kind !== 'list') break;
  }
}

function isDigitChar(c: string): boolean {
  return c >= '0' && c <= '9';
}

export function parseMaven(input: string): ListItem {
  if (input.trim() === '') throw invalidVersion(SCHEME, input, 'it is empty');
  return parseItems(input);
}

function parseItems(input: string): ListItem {
  const text = input.toLowerCase();
  const root: ListItem = { kind: 'list', items: [] };
  const stack: ListItem[] = [root];
  let list = root;
  let isDigit = false;
  let start = 0;
  const descend = () => {
    const sub: ListItem = { kind: 'list', items: [] };
    list.items.push(sub);
    list = sub;
    stack.push(sub);
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === '.' || c === '-') {
      list.items.push(i === start ? { kind: 'int', value: 0n } : parseItem(isDigit, text.slice(start, i)));
      start = i + 1;
      if (c === '-') descend();
    } else if (isDigitChar(c)) {
      if (!isDigit && i > start) {
        list.items.push(stringItem(text.slice(start, i), true));
        start = i;
        descend();
      }
      isDigit = true;
    } else {
      if (isDigit && i > start) {
        list.items.push(parseItem(true, text.slice(start, i)));
        start = i;
        descend();
      }
      isDigit = false;
    }
  }
  if (text.length > start) list.items.push(parseItem(isDigit, text.slice(start)));
  for (let l = stack.pop(); l !== undefined; l = stack.pop()) normalize(l);
  return root;
}

function qualifierKey(value: string): string {
  const index = QUALIFIERS.indexOf(value);
  return index >= 0 ? String(index) : `${QUALIFIERS.length}-${value}`;
}

/** ComparableVersion's item order; `b` undefined stands for a missing item (padding). */
function compareItem(a: Item, b: Item | undefined): Ordering {
  switch (a.kind) {
    case 'int':
      if (b === undefined) return a.value === 0n ? 0 : 1;
      return b.kind === 'int' ? compareBigInt(a.value, b.value) : 1;
    case 'str':
      if (b === undefined) return compareStrings(qualifierKey(a.value), RELEASE_INDEX);
      if (b.kind === 'int') return -1;
      if (b.kind === 'list') return -1;
      return compareStrings(qualifierKey(a.value), qualifierKey(b.value));
    case 'list':
      if (b === undefined) {
        for (const item of a.items) {
          const order = compareItem(item, undefined);
          if (order !== 0) return order;
        }
        return 0;
      }
      if (b.kind === 'int') return -1;
      if (b.kind === 'str') return 1;
      for (let i = 0; i < Math.max(a.items.length, b.items.length); i++) {
        const x = a.items[i];
        const y = b.items[i];
        const order =
          x === undefined ? (y === undefined ? 0 : -compareItem(y, undefined)) : compareItem(x, y);
        if (order !== 0) return order as Ordering;
      }
      return 0;
  }
}

export function compareMaven(a: string, b: string): Ordering {
  return compareItem(parseMaven(a), parseMaven(b));
}

// Operator constraints.
const OPERATORS = ['>=', '=>', '<=', '=<', '==', '!=', '>', '<', '=', ''];
const RELATIONS: Readonly<Record<string, Relation>> = {
  '>=': '>=',
  '=>': '>=',
  '<=': '<=',
  '=<': '<=',
  '==': '=',
  '!=': '!=',
  '>': '>',
  '<': '<',
  '=': '=',
  '': '=',
};
const GRAMMAR = compileGrammar({ operators: OPERATORS, version: '[0-9A-Za-z~_.+-]+' });

interface Bound {
  readonly relation: Relation;
  readonly version: string;
}

function parseOperatorConstraint(constraint: string): Bound[][] | undefined {
  const alternatives: Bound[][] = [];
  for (const alternative of constraint.split('||')) {
    if (!isWellFormed(GRAMMAR, alternative)) return undefined;
    const bounds = pickComparators(GRAMMAR, alternative).map(({ operator, version }) => ({
      relation: RELATIONS[operator] ?? '=',
      version,
    }));
    if (bounds.length === 0) return undefined;
    alternatives.push(bounds);
  }
  return alternatives;
}

const OPEN_MIN = '-----1';
const OPEN_MAX = '99999999999999999999';

function parseRanges(constraint: string): Bound[][] {
  const text = constraint.replace(/\s+/g, '');
  const ranges = [...text.matchAll(/[[(][0-9A-Za-z.,-]+[\])]/g)].map((m) => m[0]);
  if (ranges.length === 0) {
    throw invalidConstraint(
      SCHEME,
      constraint,
      'neither "operator version" constraints nor Maven ranges like [1.0,2.0)',
    );
  }
  return ranges.map((range): Bound[] => {
    const parts = range.split(',');
    if (parts.length > 2)
      throw invalidConstraint(SCHEME, constraint, `range ${range} has more than two bounds`);
    const [lower = '', upper] = parts;
    // go-mvn-version reads the version of an exact range without its last character.
    if (upper === undefined) return [{ relation: '=', version: range.slice(1, -2) }];
    // An open end is go-mvn-version's stand-in minimum or maximum version, not "no bound": a few versions
    // (such as 0-M3 or 0.0.0.GA) sort below its minimum.
    return [
      { relation: lower.startsWith('[') ? '>=' : '>', version: lower.length > 1 ? lower.slice(1) : OPEN_MIN },
      {
        relation: upper.endsWith(']') ? '<=' : '<',
        version: upper.length > 1 ? upper.slice(0, -1) : OPEN_MAX,
      },
    ];
  });
}

export function parseMavenConstraint(constraint: string): Bound[][] {
  return parseOperatorConstraint(constraint) ?? parseRanges(constraint);
}

export function satisfiesMaven(version: string, constraint: string): boolean {
  const v = parseMaven(version);
  return parseMavenConstraint(constraint).some((all) =>
    all.every((b) => holds(b.relation, compareItem(v, parseItems(b.version)))),
  );
}

export const mavenScheme: VersionScheme = Object.freeze({
  name: SCHEME,
  ...validatorsFrom(parseMaven),
  compare: compareMaven,
  satisfies: satisfiesMaven,
});
