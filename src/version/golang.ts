/**
 * Go module versions, ordered as golang.org/x/mod/semver orders them: Semantic Versioning with a `v`
 * prefix, where `vMAJOR` and `vMAJOR.MINOR` are shorthands for `vMAJOR.0.0` and `vMAJOR.MINOR.0`. Build
 * metadata such as `+incompatible` (a v2+ module without a go.mod) is ignored. Pseudo-versions
 * (`v0.0.0-20191109021931-daa7c04131f5`, `v1.2.4-0.20191109021931-daa7c04131f5`,
 * `v1.2.3-pre.0.20191109021931-daa7c04131f5`) are pre-releases and need no special rule to sort: they fall
 * after the version they are based on and before the next release.
 *
 * The `v` is optional here because advisory ranges omit it ("< 0.3.7") while module versions carry it.
 *
 * Constraint syntax: the one Trivy accepts for Go advisories, which it matches with aquasecurity/go-version
 * (see generic.ts): `||` alternatives of `operator version` comparators; this module applies it with Go's
 * own ordering. `comparatorFor('go')` returns Trivy's generic semantics unless native ones are asked for.
 */
import { invalidVersion } from './errors.js';
import { holdsGeneric, parseGenericConstraint } from './generic.js';
import { compareSemVer, parseSemVer, SEMVER_BUILD, SEMVER_PRE, type SemVer } from './semver.js';
import { type Ordering, type VersionScheme, validatorsFrom } from './types.js';

const SCHEME = 'go';
const SHORTHAND = /^(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*))?$/;

export function parseGo(input: string): SemVer {
  const text = input.startsWith('v') ? input.slice(1) : input;
  const full = parseSemVer(text);
  if (full !== undefined) return full;
  const m = SHORTHAND.exec(text);
  if (m !== null) {
    return { major: BigInt(m[1] ?? '0'), minor: BigInt(m[2] ?? '0'), patch: 0n, preRelease: [], build: '' };
  }
  throw invalidVersion(
    SCHEME,
    input,
    'expected a module version such as v1.2.3, v1.2.3-pre+incompatible or v1.2',
  );
}

const PSEUDO = new RegExp(
  `^v?([0-9]+\\.[0-9]+\\.[0-9]+)-(?:(${SEMVER_PRE})\\.)?([0-9]{14})-([0-9A-Za-z]+)(?:\\+${SEMVER_BUILD})?$`,
);

export interface PseudoVersion {
  /** The release the pseudo-version counts from, as written before the timestamp (e.g. "1.2.4-0"). */
  readonly base: string;
  /** UTC commit time, yyyymmddhhmmss. */
  readonly timestamp: string;
  /** Abbreviated commit hash. */
  readonly revision: string;
}

/** Splits a pseudo-version into its parts; undefined for ordinary versions. */
export function parsePseudoVersion(version: string): PseudoVersion | undefined {
  const m = PSEUDO.exec(version);
  if (m === null) return undefined;
  const [, release = '', pre, timestamp = '', revision = ''] = m;
  const base = pre === undefined ? release : `${release}-${pre}`;
  // The three forms: vX.0.0-<time>-<rev>, vX.Y.(Z+1)-0.<time>-<rev>, vX.Y.Z-pre.0.<time>-<rev>.
  if (pre === undefined ? !/\.0\.0$/.test(release) && !/^0\.0\.0$/.test(release) : !/(^|\.)0$/.test(pre)) {
    return undefined;
  }
  return { base, timestamp, revision };
}

export function compareGo(a: string, b: string): Ordering {
  return compareSemVer(parseGo(a), parseGo(b));
}

export function satisfiesGo(version: string, constraint: string): boolean {
  const v = parseGo(version);
  return parseGenericConstraint(constraint, SCHEME).some((all) =>
    all.every((c) => holdsGeneric(c, (_bound, text) => compareSemVer(v, parseGo(text)))),
  );
}

export const goScheme: VersionScheme = Object.freeze({
  name: SCHEME,
  ...validatorsFrom(parseGo),
  compare: compareGo,
  satisfies: satisfiesGo,
});
