/**
 * Client-side filtering of a report (trivy:pkg/result/filter.go): keep the requested severities, drop the
 * ignored statuses (--ignore-unfixed ignores every status but "fixed") and what the ignore file names, collapse duplicates (same ID,
 * package and path: the larger fixed version wins) and sort as Trivy's BySeverity does.
 */
import type { DetectedVulnerability } from '../detect/index.js';
import { SEVERITIES, STATUSES, type StatusName } from '../vulndb/index.js';
import type { IgnoreCandidate, IgnoreEntry } from './ignore.js';
import type { Report, Result } from './model.js';

export const ALL_SEVERITIES: readonly string[] = SEVERITIES;

export interface FilterOptions {
  /** --severity; default every severity. */
  severities?: readonly string[];
  /** --ignore-status; wins over ignoreUnfixed, as in Trivy. */
  ignoreStatuses?: readonly StatusName[];
  /** --ignore-unfixed: shorthand for ignoring every status except "fixed". */
  ignoreUnfixed?: boolean;
  /** --ignorefile rules (createIgnoreMatcher): a vulnerability they match is left out. */
  ignore?: (candidate: IgnoreCandidate) => IgnoreEntry | undefined;
}

/** The statuses a filter ignores, as Trivy derives them from its flags. */
export function ignoredStatuses(options: FilterOptions): readonly StatusName[] {
  if (options.ignoreStatuses && options.ignoreStatuses.length > 0) return options.ignoreStatuses;
  if (options.ignoreUnfixed) return STATUSES.filter((s) => s !== 'fixed');
  return [];
}

function byteCompare(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function severityRank(name: string | undefined): number {
  const i = SEVERITIES.indexOf((name ?? '') as (typeof SEVERITIES)[number]);
  return Math.max(i, 0);
}

/** Trivy's BySeverity: package name, package ID, installed version, severity (highest first), ID, path. */
export function compareVulnerabilities(a: DetectedVulnerability, b: DetectedVulnerability): number {
  return (
    byteCompare(a.PkgName ?? '', b.PkgName ?? '') ||
    byteCompare(a.PkgID ?? '', b.PkgID ?? '') ||
    byteCompare(a.InstalledVersion ?? '', b.InstalledVersion ?? '') ||
    severityRank(b.Severity) - severityRank(a.Severity) ||
    byteCompare(a.VulnerabilityID, b.VulnerabilityID) ||
    byteCompare(a.PkgPath ?? '', b.PkgPath ?? '')
  );
}

export function filterVulnerabilities(
  vulns: readonly DetectedVulnerability[],
  options: FilterOptions = {},
  /** The result's Target, which ignore-file paths are matched against first. */
  target = '',
): DetectedVulnerability[] {
  const severities = new Set(options.severities ?? ALL_SEVERITIES);
  const ignored = new Set<string>(ignoredStatuses(options));
  const unique = new Map<string, DetectedVulnerability>();
  for (const original of vulns) {
    const v = original.Severity ? original : { ...original, Severity: 'UNKNOWN' };
    if (!severities.has(v.Severity ?? '')) continue;
    if (ignored.has(v.Status ?? 'unknown')) continue;
    if (
      options.ignore?.({
        id: v.VulnerabilityID,
        target,
        pkgPath: v.PkgPath,
        purl: v.PkgIdentifier?.PURL,
      })
    )
      continue;
    const key = [
      v.VulnerabilityID,
      v.PkgID ?? '',
      v.PkgName ?? '',
      v.InstalledVersion ?? '',
      v.PkgPath ?? '',
    ].join('/');
    const seen = unique.get(key);
    // The same one must win whatever the input order: the larger fixed version (byte order).
    if (seen !== undefined && byteCompare(seen.FixedVersion ?? '', v.FixedVersion ?? '') >= 0) continue;
    unique.set(key, v);
  }
  return [...unique.values()].sort(compareVulnerabilities);
}

export function filterResult(result: Result, options: FilterOptions = {}): Result {
  const vulns = filterVulnerabilities(result.Vulnerabilities ?? [], options, result.Target);
  return { ...result, Vulnerabilities: vulns.length > 0 ? vulns : undefined };
}

/** A filtered copy of the report (Trivy filters before writing, in every output format). */
export function filterReport(report: Report, options: FilterOptions = {}): Report {
  return { ...report, Results: report.Results?.map((r) => filterResult(r, options)) };
}
