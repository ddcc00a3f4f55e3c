/**
 * The contract of an OS driver (trivy:pkg/detector/ospkg/driver): given the OS version, the package
 * repository and the OS packages, find the advisories that apply; and say whether the OS version is still
 * supported by its vendor.
 */
import type { AdvisoryRecord, DataSource, TrivyDb } from '../../vulndb/index.js';
import { DetectError } from '../errors.js';
import type { DetectedVulnerability, Logger, Package, Repository } from '../types.js';

export interface DriverContext {
  readonly db: TrivyDb;
  readonly logger: Logger;
  /** "Now" for end-of-life decisions (epoch milliseconds). */
  readonly now: number;
}

export interface OsDriver {
  detect(
    ctx: DriverContext,
    osVersion: string,
    repository: Repository | undefined,
    packages: readonly Package[],
  ): Promise<DetectedVulnerability[]>;
  isSupportedVersion(ctx: DriverContext, family: string, osVersion: string): boolean;
  /**
   * Drivers whose feed covers third-party packages keep them (Echo); all others drop packages from
   * third-party repositories, which an OS vendor's advisories do not describe.
   */
  readonly keepsThirdPartyPackages?: boolean;
}

/** Trivy's GetAdvisories(bucket, pkgName) as a list; wraps database failures in a DetectError. */
export async function advisoriesOf(
  ctx: DriverContext,
  bucket: string,
  pkgName: string,
): Promise<AdvisoryRecord['advisory'][]> {
  try {
    const records = await ctx.db.getAdvisories(bucket, pkgName);
    return [...records.values()].map((record) => record.advisory);
  } catch (error) {
    throw dbError(`cannot read advisories of ${JSON.stringify(pkgName)} in ${JSON.stringify(bucket)}`, error);
  }
}

/** A raw advisory value with its vulnerability ID and data source, as Trivy's ForEachAdvisory gives it. */
export interface RawAdvisory {
  readonly id: string;
  /** The stored JSON text. */
  readonly raw: string;
  /** Never missing: drivers built on ForEachAdvisory attach the (possibly empty) source struct. */
  readonly source: DataSource;
}

export async function rawAdvisoriesOf(
  ctx: DriverContext,
  bucket: string,
  pkgName: string,
): Promise<RawAdvisory[]> {
  let values: Awaited<ReturnType<TrivyDb['forEachAdvisory']>>;
  try {
    values = await ctx.db.forEachAdvisory([bucket], pkgName);
  } catch (error) {
    throw dbError(`cannot read advisories of ${JSON.stringify(pkgName)} in ${JSON.stringify(bucket)}`, error);
  }
  const out: RawAdvisory[] = [];
  for (const [id, value] of values) {
    out.push({ id, raw: value.content.toString('utf8'), source: value.source ?? {} });
  }
  return out;
}

/** Decodes a raw value with `decode`, naming the advisory when the stored JSON is not what Trivy accepts. */
export function decodeRaw<T>(advisory: RawAdvisory, bucket: string, decode: (raw: string) => T): T {
  try {
    return decode(advisory.raw);
  } catch (error) {
    throw dbError(`cannot decode advisory ${advisory.id} in ${JSON.stringify(bucket)}`, error);
  }
}

export function dbError(message: string, cause: unknown): DetectError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new DetectError('DETECT_DB', `${message}${detail}`, cause);
}

/** A copy of an advisory's data source, as each detected vulnerability carries its own. */
export function copySource(source: DataSource | undefined): DataSource | undefined {
  return source === undefined ? undefined : { ...source };
}

/** What an advisory says about one installed package, in the words every simple driver uses. */
export interface AdvisoryMatch {
  readonly id: string;
  readonly installed: string;
  readonly fixed: string;
  readonly custom: unknown;
  readonly source: DataSource | undefined;
}

/** The finding for a package an advisory applies to; the source is copied so findings never share it. */
export function findingOf(pkg: Package, match: AdvisoryMatch): DetectedVulnerability {
  return {
    VulnerabilityID: match.id,
    PkgID: pkg.ID,
    PkgName: pkg.Name,
    InstalledVersion: match.installed,
    FixedVersion: match.fixed,
    PkgIdentifier: pkg.Identifier,
    Layer: pkg.Layer,
    Custom: match.custom,
    DataSource: copySource(match.source),
  };
}

/** "nodejs:12:8030020201124152102:229f0a1c" + "npm" → "nodejs:12::npm" (Red Hat, Alma and Rocky). */
export function modularName(name: string, modularityLabel: string | undefined): string {
  if (!modularityLabel) return name;
  const first = modularityLabel.indexOf(':');
  const second = first < 0 ? -1 : modularityLabel.indexOf(':', first + 1);
  return second < 0 ? name : `${modularityLabel.slice(0, second)}::${name}`;
}

/** A copy of a stored list (records from the database are frozen and shared). */
export function copyList<T>(list: readonly T[] | undefined): T[] | undefined {
  return list === undefined ? undefined : [...list];
}
