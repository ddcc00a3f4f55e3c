/**
 * Alpine (trivy:pkg/detector/ospkg/alpine): advisories per origin (source) package in bucket
 * "alpine <major.minor>". The release in /etc/apk/repositories wins over the OS version when they differ
 * (an image built from edge repositories on a 3.x base reads the "alpine edge" bucket). AffectedVersion,
 * when present, is the version that introduced the issue: older installs are not affected.
 */
import { eolTable, minor, supported } from '../os-version.js';
import type { DetectedVulnerability, Repository } from '../types.js';
import { apkVersions, formatSrcVersion, formatVersion } from '../versions.js';
import { advisoriesOf, copySource, type DriverContext, type OsDriver } from './driver.js';

const EOL = new Map([
  ...eolTable([
    ['2.0', 2012, 4, 1],
    ['2.1', 2012, 11, 1],
    ['2.2', 2013, 5, 1],
    ['2.3', 2013, 11, 1],
    ['2.4', 2014, 5, 1],
    ['2.5', 2014, 11, 1],
    ['2.6', 2015, 5, 1],
    ['2.7', 2015, 11, 1],
    ['3.0', 2016, 5, 1],
    ['3.1', 2016, 11, 1],
    ['3.2', 2017, 5, 1],
    ['3.3', 2017, 11, 1],
    ['3.4', 2018, 5, 1],
    ['3.5', 2018, 11, 1],
    ['3.6', 2019, 5, 1],
    ['3.7', 2019, 11, 1],
    ['3.8', 2020, 5, 1],
    ['3.9', 2020, 11, 1],
    ['3.10', 2021, 5, 1],
    ['3.11', 2021, 11, 1],
    ['3.12', 2022, 5, 1],
    ['3.13', 2022, 11, 1],
    ['3.14', 2023, 5, 1],
    ['3.15', 2023, 11, 1],
    ['3.16', 2024, 5, 23],
    ['3.17', 2024, 11, 22],
    ['3.18', 2025, 5, 9],
    ['3.19', 2025, 11, 1],
    ['3.20', 2026, 4, 1],
    ['3.21', 2026, 12, 5],
    ['3.22', 2027, 4, 30],
    ['3.23', 2027, 11, 1],
  ]),
  // Trivy notes edge as never ending, at midnight rather than at the end of a day.
  ['edge', Date.UTC(9999, 0, 1)],
]);

/** "3.10.2" → "3.10"; releases with at most one dot (and "edge") stay as they are. */
function repositoryRelease(repository: Repository | undefined): string {
  const release = repository?.Release ?? '';
  const dots = release.split('.').length - 1;
  return dots > 1 ? release.slice(0, release.lastIndexOf('.')) : release;
}

function isVulnerable(
  ctx: DriverContext,
  installed: string,
  fixedVersion: string | undefined,
  affectedVersion: string | undefined,
): boolean {
  if (affectedVersion) {
    if (!apkVersions.valid(affectedVersion)) {
      ctx.logger.debug('Failed to parse the affected package version', { version: affectedVersion });
      return false;
    }
    if (apkVersions.lessThan(installed, affectedVersion)) return false;
  }
  if (!fixedVersion) return true;
  if (!apkVersions.valid(fixedVersion)) {
    ctx.logger.debug('Failed to parse the fixed version', { version: fixedVersion });
    return false;
  }
  return apkVersions.lessThan(installed, fixedVersion);
}

export function createAlpineDriver(): OsDriver {
  return {
    async detect(ctx, osVersion, repository, packages) {
      const release = minor(osVersion);
      const repoRelease = repositoryRelease(repository);
      ctx.logger.info('Detecting vulnerabilities...', {
        os_version: release,
        repository: repoRelease,
        pkg_num: packages.length,
      });
      let stream = release;
      if (repoRelease !== '' && repoRelease !== release) {
        stream = repoRelease;
        if (repoRelease !== 'edge') {
          ctx.logger.warn('Mixing Alpine versions is unsupported', { os: release, repository: repoRelease });
        }
      }
      const bucket = `alpine ${stream}`;
      const vulns: DetectedVulnerability[] = [];
      for (const pkg of packages) {
        const advisories = await advisoriesOf(ctx, bucket, pkg.SrcName || pkg.Name);
        const sourceVersion = formatSrcVersion(pkg);
        if (!apkVersions.valid(sourceVersion)) {
          ctx.logger.debug('Failed to parse the installed package version', { version: sourceVersion });
          continue;
        }
        for (const adv of advisories) {
          if (!isVulnerable(ctx, sourceVersion, adv.FixedVersion, adv.AffectedVersion)) continue;
          vulns.push({
            VulnerabilityID: adv.VulnerabilityID,
            PkgID: pkg.ID,
            PkgName: pkg.Name,
            InstalledVersion: formatVersion(pkg),
            FixedVersion: adv.FixedVersion,
            Layer: pkg.Layer,
            PkgIdentifier: pkg.Identifier,
            Custom: adv.Custom,
            DataSource: copySource(adv.DataSource),
          });
        }
      }
      return vulns;
    },
    isSupportedVersion(ctx, family, osVersion) {
      return supported(EOL, family, minor(osVersion), ctx.now, ctx.logger);
    },
  };
}
