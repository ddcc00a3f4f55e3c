import { invalidConstraint } from './errors.js';
import type { Ordering } from './types.js';

export type Relation = '=' | '!=' | '<' | '<=' | '>' | '>=';

export interface Comparator {
  readonly relation: Relation;
  readonly version: string;
}

/** True when `order` (version compared with the comparator's version) satisfies `relation`. */
export function holds(relation: Relation, order: Ordering): boolean {
  switch (relation) {
    case '=':
      return order === 0;
    case '!=':
      return order !== 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
  }
}

// Longest spellings first so that "<=" is never read as "<" followed by "=...".
const SPELLINGS: ReadonlyArray<readonly [string, Relation]> = [
  ['<<', '<'],
  ['>>', '>'],
  ['<=', '<='],
  ['=<', '<='],
  ['>=', '>='],
  ['=>', '>='],
  ['==', '='],
  ['!=', '!='],
  ['<', '<'],
  ['>', '>'],
  ['=', '='],
];

/**
 * Reads the constraint syntax Vigil uses for OS package schemes (dpkg, rpm, apk). Trivy's OS drivers never
 * parse constraints (they compare the installed version with FixedVersion), so this is Vigil's own small
 * syntax, shaped like the language ones so detectors can treat all schemes alike:
 * `||` separates alternatives; inside one, comparators are separated by commas and/or whitespace; a
 * comparator is an optional relation (`<`, `<=`, `=`, `==`, `!=`, `>=`, `>`, and dpkg's `<<`, `>>`) followed by
 * a version (no relation means equality). Example: `>= 1:2.3-1, << 1:2.4 || = 3.0-1`.
 */
export function parseRelational(scheme: string, constraint: string): Comparator[][] {
  return constraint.split('||').map((alternative) => {
    const comparators: Comparator[] = [];
    let i = 0;
    const skipSeparators = () => {
      while (i < alternative.length && /[\s,]/.test(alternative.charAt(i))) i++;
    };
    skipSeparators();
    while (i < alternative.length) {
      let relation: Relation = '=';
      for (const [spelling, rel] of SPELLINGS) {
        if (alternative.startsWith(spelling, i)) {
          relation = rel;
          i += spelling.length;
          break;
        }
      }
      while (i < alternative.length && /\s/.test(alternative.charAt(i))) i++;
      const start = i;
      while (i < alternative.length && !/[\s,<>=!|]/.test(alternative.charAt(i))) i++;
      const version = alternative.slice(start, i);
      if (version === '') {
        throw invalidConstraint(scheme, constraint, `a relation at offset ${start} has no version after it`);
      }
      comparators.push({ relation, version });
      skipSeparators();
    }
    if (comparators.length === 0) throw invalidConstraint(scheme, constraint, 'an alternative is empty');
    return comparators;
  });
}

/** Evaluates parsed alternatives with a scheme's own ordering. */
export function satisfiesRelational(
  scheme: string,
  version: string,
  constraint: string,
  compare: (a: string, b: string) => Ordering,
): boolean {
  const alternatives = parseRelational(scheme, constraint);
  return alternatives.some((all) => all.every((c) => holds(c.relation, compare(version, c.version))));
}
