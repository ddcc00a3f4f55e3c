/**
 * Version handling as Trivy's OS drivers do it: how a package's version is spelled for comparison and
 * display (pkg/scan/utils FormatVersion / FormatSrcVersion), and the three OS version libraries with the
 * error behaviour each driver relies on.
 *
 * - deb and apk (go-deb-version, go-apk-version) reject invalid versions; drivers skip the package or the
 *   advisory then. `parse` returns undefined for those.
 * - rpm (go-rpm-version) never fails: a non-numeric epoch reads as 0 and anything else is compared
 *   segment by segment. src/version's rpm scheme rejects such input, so this module reads rpm versions
 *   leniently itself and reuses src/version's rpmvercmp for the segment comparison.
 */
import { apkScheme, dpkgScheme, type Ordering, rpmvercmp, type VersionScheme } from '../version/index.js';
import type { Package } from './types.js';

/** "[epoch:]version[-release]", the epoch only when it is not 0. */
function formatParts(epoch: number | undefined, version: string | undefined, release: string | undefined) {
  let v = version ?? '';
  if (release) v = `${v}-${release}`;
  if (epoch) v = `${epoch}:${v}`;
  return v;
}

/** The installed binary package version as Trivy prints it (InstalledVersion). */
export function formatVersion(pkg: Package): string {
  return formatParts(pkg.Epoch, pkg.Version, pkg.Release);
}

/** The source package version (what Debian, Ubuntu, Alpine and Azure Linux advisories are about). */
export function formatSrcVersion(pkg: Package): string {
  return formatParts(pkg.SrcEpoch, pkg.SrcVersion, pkg.SrcRelease);
}

/** A strict scheme whose invalid versions make drivers skip, not fail. */
export interface StrictVersions {
  /** True when `version` is valid; drivers skip what is not. */
  valid(version: string): boolean;
  /** a < b for two valid versions. */
  lessThan(a: string, b: string): boolean;
}

function strict(scheme: VersionScheme): StrictVersions {
  return {
    valid: (version) => scheme.isValid(version),
    lessThan: (a, b) => scheme.compare(a, b) < 0,
  };
}

export const debVersions: StrictVersions = Object.freeze(strict(dpkgScheme));
export const apkVersions: StrictVersions = Object.freeze(strict(apkScheme));

export interface LenientRpmVersion {
  readonly epoch: number;
  readonly version: string;
  readonly release: string;
}

const GO_INT = /^[+-]?[0-9]+$/;

/**
 * go-rpm-version's reading: the epoch is everything before the first ":" (0 unless it is an integer, leading
 * white space allowed), the release everything after the first "-" that follows.
 */
export function parseRpmLenient(text: string): LenientRpmVersion {
  let rest = text;
  let epoch = 0;
  const colon = text.indexOf(':');
  if (colon >= 0) {
    const epochText = text.slice(0, colon).replace(/^\s+/, '');
    const n = GO_INT.test(epochText) ? Number(epochText) : Number.NaN;
    epoch = Number.isSafeInteger(n) ? n : 0;
    rest = text.slice(colon + 1);
  }
  const hyphen = rest.indexOf('-');
  return hyphen >= 0
    ? { epoch, version: rest.slice(0, hyphen), release: rest.slice(hyphen + 1) }
    : { epoch, version: rest, release: '' };
}

export function compareRpmLenient(a: string, b: string): Ordering {
  const va = parseRpmLenient(a);
  const vb = parseRpmLenient(b);
  if (va.epoch !== vb.epoch) return va.epoch < vb.epoch ? -1 : 1;
  return rpmvercmp(va.version, vb.version) || rpmvercmp(va.release, vb.release);
}

export function rpmLessThan(a: string, b: string): boolean {
  return compareRpmLenient(a, b) < 0;
}

/** go-rpm-version's String(): drops a zero epoch ("0:1.0-1" prints as "1.0-1"). */
export function formatRpm(text: string): string {
  const v = parseRpmLenient(text);
  let out = v.epoch > 0 ? `${v.epoch}:${v.version}` : v.version;
  if (v.release !== '') out += `-${v.release}`;
  return out;
}
