/**
 * Cargo (crates.io) versions: strict Semantic Versioning 2.0.0 as the `semver` crate reads them
 * (MAJOR.MINOR.PATCH, no `v`, no leading zeros), ordered by SemVer precedence (build metadata ignored).
 *
 * Constraint syntax: the one Trivy accepts for Cargo advisories, which it matches with aquasecurity/go-version
 * (see generic.ts): `||` alternatives of `operator version` comparators such as ">= 2.1.3, < 3.0.0". Note that
 * a bare version there means "equal", not Cargo's default caret requirement. `comparatorFor('cargo')` returns
 * Trivy's generic semantics unless native ones are asked for.
 */
import { invalidVersion } from './errors.js';
import { holdsGeneric, parseGenericConstraint } from './generic.js';
import { compareSemVer, parseSemVer, type SemVer } from './semver.js';
import { type Ordering, type VersionScheme, validatorsFrom } from './types.js';

const SCHEME = 'cargo';

export function parseCargo(input: string): SemVer {
  const v = parseSemVer(input);
  if (v === undefined)
    throw invalidVersion(SCHEME, input, 'expected a SemVer version such as 1.2.3 or 1.2.3-alpha.1');
  return v;
}

export function compareCargo(a: string, b: string): Ordering {
  return compareSemVer(parseCargo(a), parseCargo(b));
}

/** Partial versions in advisories ("< 1.2") are zero-padded, as go-version does. */
function parseBound(text: string): SemVer {
  const m = /^([0-9]+)(?:\.([0-9]+))?$/.exec(text);
  if (m !== null) return parseCargo(`${m[1]}.${m[2] ?? '0'}.0`);
  return parseCargo(text);
}

export function satisfiesCargo(version: string, constraint: string): boolean {
  const v = parseCargo(version);
  return parseGenericConstraint(constraint, SCHEME).some((all) =>
    all.every((c) => holdsGeneric(c, (_bound, text) => compareSemVer(v, parseBound(text)))),
  );
}

export const cargoScheme: VersionScheme = Object.freeze({
  name: SCHEME,
  ...validatorsFrom(parseCargo),
  compare: compareCargo,
  satisfies: satisfiesCargo,
});
