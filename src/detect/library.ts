/**
 * Language package detection (trivy:pkg/detector/library and pkg/scan/langpkg): each package type maps to
 * a trivy-db ecosystem; every root bucket "<eco>::…" is consulted with the package name normalised as
 * trivy-db stores it, and an advisory applies when the installed version matches its vulnerable ranges and
 * none of its patched or unaffected ranges, compared with the ecosystem's version scheme (src/version).
 */

import { comparatorFor, type VersionScheme } from '../version/index.js';
import type { Advisory } from '../vulndb/index.js';
import { advisoriesOf, copyList, copySource, type DriverContext } from './drivers/driver.js';
import { comparePackages, compareText } from './os-detector.js';
import type { Application, DetectedVulnerability, DetectionResult, Package } from './types.js';

/** Package type → trivy-db ecosystem (the "<eco>::" bucket prefix). */
const ECOSYSTEMS: ReadonlyMap<string, string> = new Map([
  ...['bundler', 'gemspec'].map((t) => [t, 'rubygems'] as const),
  ...['rustbinary', 'cargo'].map((t) => [t, 'cargo'] as const),
  ...['composer', 'composer-vendor'].map((t) => [t, 'composer'] as const),
  ...['gobinary', 'gomod'].map((t) => [t, 'go'] as const),
  ...['jar', 'pom', 'gradle', 'sbt'].map((t) => [t, 'maven'] as const),
  ...['npm', 'yarn', 'pnpm', 'bun', 'node-pkg', 'javascript'].map((t) => [t, 'npm'] as const),
  ...['nuget', 'dotnet-core', 'packages-props'].map((t) => [t, 'nuget'] as const),
  ...['pipenv', 'poetry', 'pip', 'python-pkg', 'uv', 'pylock'].map((t) => [t, 'pip'] as const),
  ['pub', 'pub'],
  ['hex', 'erlang'],
  ['conan', 'conan'],
  ['swift', 'swift'],
  ['cocoapods', 'cocoapods'],
  ['kubernetes', 'k8s'],
  ['julia', 'julia'],
  ['bitnami', 'bitnami'],
]);

/** Aggregated application types get a fixed target name instead of a file path. */
const AGGREGATED_TARGETS: ReadonlyMap<string, string> = new Map([
  ['python-pkg', 'Python'],
  ['conda-pkg', 'Conda'],
  ['gemspec', 'Ruby'],
  ['node-pkg', 'Node.js'],
  ['jar', 'Java'],
  ['kubernetes', 'Kubernetes'],
]);

/** Trivy's result target for an application: its file path, or the type's fixed name when it has none. */
export function applicationTarget(app: Pick<Application, 'Type' | 'FilePath'>): string {
  const fixed = AGGREGATED_TARGETS.get(app.Type);
  return fixed !== undefined && !app.FilePath ? fixed : (app.FilePath ?? '');
}

/**
 * trivy-db's NormalizePkgName: Python names are compared case-insensitively with "_" and "-" equivalent;
 * Go, CocoaPods and Julia keep their case; Swift drops "https://" and ".git"; everything else is lowercase.
 */
export function normalizePackageName(ecosystem: string, name: string): string {
  switch (ecosystem) {
    case 'pip':
      return name.toLowerCase().replaceAll('_', '-');
    case 'swift':
      return name.replace(/^https:\/\//, '').replace(/\.git$/, '');
    case 'go':
    case 'cocoapods':
    case 'julia':
      return name;
    default:
      return name.toLowerCase();
  }
}

export interface LanguageDriver {
  readonly ecosystem: string;
  readonly scheme: VersionScheme;
}

/** The driver for a package type, or undefined when Trivy does not detect vulnerabilities for it. */
export function languageDriver(type: string): LanguageDriver | undefined {
  const ecosystem = ECOSYSTEMS.get(type);
  if (ecosystem === undefined) return undefined;
  try {
    return { ecosystem, scheme: comparatorFor(ecosystem) };
  } catch {
    // An ecosystem without a version scheme in src/version (Bitnami) cannot be matched.
    return undefined;
  }
}

function matches(ctx: DriverContext, scheme: VersionScheme, version: string, constraints: readonly string[]) {
  try {
    return scheme.satisfies(version, constraints.join(' || '));
  } catch (error) {
    ctx.logger.warn('Version matching error', {
      error: error instanceof Error ? error.message : String(error),
    });
    return undefined;
  }
}

/**
 * Trivy's IsVulnerable: an empty range matches anything; otherwise the version must be in a vulnerable range
 * (when there are any) and in no patched or unaffected range. An unreadable version or range never matches.
 */
export function isVulnerable(
  ctx: DriverContext,
  scheme: VersionScheme,
  version: string,
  advisory: Pick<Advisory, 'VulnerableVersions' | 'PatchedVersions' | 'UnaffectedVersions'>,
): boolean {
  const vulnerable = advisory.VulnerableVersions ?? [];
  const patched = advisory.PatchedVersions ?? [];
  if ([...vulnerable, ...patched].includes('')) return true;
  let matched = false;
  if (vulnerable.length > 0) {
    const m = matches(ctx, scheme, version, vulnerable);
    if (m !== true) return false;
    matched = true;
  }
  const secure = [...patched, ...(advisory.UnaffectedVersions ?? [])];
  if (secure.length === 0) return matched;
  const m = matches(ctx, scheme, version, secure);
  return m === false;
}

/**
 * The FixedVersion Trivy reports: the patched versions, or else the exclusive upper bounds ("<X", not
 * "<=X") of the vulnerable ranges; unique, in order, joined by ", ".
 */
export function fixedVersionOf(advisory: Pick<Advisory, 'VulnerableVersions' | 'PatchedVersions'>): string {
  const patched = advisory.PatchedVersions ?? [];
  if (patched.length > 0) return [...new Set(patched)].join(', ');
  const bounds: string[] = [];
  for (const range of advisory.VulnerableVersions ?? []) {
    for (const part of range.split(',')) {
      const s = part.trim();
      if (s.startsWith('<') && !s.startsWith('<=')) bounds.push(s.slice(1).trim());
    }
  }
  return [...new Set(bounds)].join(', ');
}

async function detectPackage(
  ctx: DriverContext,
  driver: LanguageDriver,
  pkg: Package,
): Promise<DetectedVulnerability[]> {
  const name = normalizePackageName(driver.ecosystem, pkg.Name);
  const vulns: DetectedVulnerability[] = [];
  for (const adv of await advisoriesOf(ctx, `${driver.ecosystem}::`, name)) {
    if (!isVulnerable(ctx, driver.scheme, pkg.Version, adv)) continue;
    vulns.push({
      VulnerabilityID: adv.VulnerabilityID,
      VendorIDs: copyList(adv.VendorIDs),
      PkgID: pkg.ID,
      PkgName: pkg.Name,
      PkgPath: pkg.FilePath,
      PkgIdentifier: pkg.Identifier,
      InstalledVersion: pkg.Version,
      FixedVersion: fixedVersionOf(adv),
      Layer: pkg.Layer,
      DataSource: copySource(adv.DataSource),
      Custom: adv.Custom,
    });
  }
  return vulns;
}

/** Vulnerabilities of one application's packages (packages without a version are skipped). */
export async function detectApplication(
  ctx: DriverContext,
  app: Application,
): Promise<DetectedVulnerability[]> {
  const driver = languageDriver(app.Type);
  if (driver === undefined) {
    ctx.logger.warn('The library type is not supported for vulnerability scanning', { type: app.Type });
    return [];
  }
  const vulns: DetectedVulnerability[] = [];
  for (const pkg of app.Packages) {
    if (pkg.Version === '') {
      ctx.logger.debug('Skipping vulnerability scan as no version is detected for the package', {
        name: pkg.Name,
      });
      continue;
    }
    vulns.push(...(await detectPackage(ctx, driver, pkg)));
  }
  return vulns;
}

/**
 * The language results of a target, as Trivy's langpkg scanner builds them: one per application with
 * packages, packages sorted, results sorted by target.
 */
export async function detectApplications(
  ctx: DriverContext,
  applications: readonly Application[],
  options: { detectVulnerabilities: boolean },
): Promise<DetectionResult[]> {
  const results: DetectionResult[] = [];
  for (const app of applications) {
    if (app.Packages.length === 0) continue;
    const result: DetectionResult = {
      Target: applicationTarget(app),
      Class: 'lang-pkgs',
      Type: app.Type,
      Packages: [...app.Packages].sort(comparePackages),
      Vulnerabilities: options.detectVulnerabilities ? await detectApplication(ctx, app) : [],
    };
    if (result.Packages.length === 0 && result.Vulnerabilities.length === 0) continue;
    results.push(result);
  }
  // Stable, like Go's sort.Slice on distinct targets; equal targets keep their order here.
  return results.sort((a, b) => compareText(a.Target, b.Target));
}
