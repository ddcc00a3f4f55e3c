/**
 * Orderings Trivy applies to analysis output, so that a blob Vigil computes lists what a Go client's would in
 * the same order: Packages.Less (relationship, unknown last; name; version; ID; file path) and the
 * AnalysisResult.Sort of package infos and applications. Strings compare by UTF-16 code units, which equals
 * Go's byte order for the ASCII names package managers use.
 */
import type { Application, Package, PackageInfo } from './types.js';

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function comparePackages(a: Package, b: Package): number {
  const ra = a.Relationship ?? 0;
  const rb = b.Relationship ?? 0;
  if (ra !== rb) {
    if (ra === 0) return 1;
    if (rb === 0) return -1;
    return ra - rb;
  }
  return (
    compareStrings(a.Name, b.Name) ||
    compareStrings(a.Version, b.Version) ||
    compareStrings(a.ID ?? '', b.ID ?? '') ||
    compareStrings(a.FilePath ?? '', b.FilePath ?? '')
  );
}

export function sortPackages(packages: Package[]): Package[] {
  return packages.sort(comparePackages);
}

export function sortPackageInfos(infos: PackageInfo[]): PackageInfo[] {
  infos.sort((a, b) => compareStrings(a.FilePath, b.FilePath));
  for (const info of infos) sortPackages(info.Packages);
  return infos;
}

/** AnalysisResult.Sort: by file path, then type. */
export function sortLayerApplications(apps: Application[]): Application[] {
  apps.sort((a, b) => compareStrings(a.FilePath ?? '', b.FilePath ?? '') || compareStrings(a.Type, b.Type));
  for (const app of apps) sortPackages(app.Packages);
  return apps;
}

/** Applications.Less used on the merged artifact: by type, then file path, then package count. */
export function sortMergedApplications(apps: Application[]): Application[] {
  apps.sort(
    (a, b) =>
      compareStrings(a.Type, b.Type) ||
      compareStrings(a.FilePath ?? '', b.FilePath ?? '') ||
      a.Packages.length - b.Packages.length,
  );
  return apps;
}
