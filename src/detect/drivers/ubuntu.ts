/**
 * Ubuntu (trivy:pkg/detector/ospkg/ubuntu): advisories per source package in bucket "ubuntu <version>".
 * With ESM enabled the scan passes "<version>-ESM"; that bucket is used only when the version is on the
 * end-of-life table as ESM, or the standard support of the base version has ended; otherwise the base
 * version's bucket still holds the advisories.
 */
import { eolTable, supported } from '../os-version.js';
import type { DetectedVulnerability } from '../types.js';
import { debVersions, formatSrcVersion, formatVersion } from '../versions.js';
import { advisoriesOf, copySource, type DriverContext, type OsDriver } from './driver.js';

const EOL = eolTable([
  ['4.10', 2006, 4, 30],
  ['5.04', 2006, 10, 31],
  ['5.10', 2007, 4, 13],
  ['6.06', 2011, 6, 1],
  ['6.10', 2008, 4, 25],
  ['7.04', 2008, 10, 19],
  ['7.10', 2009, 4, 18],
  ['8.04', 2013, 5, 9],
  ['8.10', 2010, 4, 30],
  ['9.04', 2010, 10, 23],
  ['9.10', 2011, 4, 29],
  ['10.04', 2015, 4, 29],
  ['10.10', 2012, 4, 10],
  ['11.04', 2012, 10, 28],
  ['11.10', 2013, 5, 9],
  ['12.04', 2019, 4, 26],
  ['12.04-ESM', 2019, 4, 28],
  ['12.10', 2014, 5, 16],
  ['13.04', 2014, 1, 27],
  ['13.10', 2014, 7, 17],
  ['14.04', 2022, 4, 25],
  ['14.04-ESM', 2024, 4, 25],
  ['14.10', 2015, 7, 23],
  ['15.04', 2016, 1, 23],
  ['15.10', 2016, 7, 22],
  ['16.04', 2021, 4, 21],
  ['16.04-ESM', 2026, 4, 29],
  ['16.10', 2017, 7, 20],
  ['17.04', 2018, 1, 13],
  ['17.10', 2018, 7, 19],
  ['18.04', 2023, 5, 31],
  ['18.04-ESM', 2028, 3, 31],
  ['18.10', 2019, 7, 18],
  ['19.04', 2020, 1, 18],
  ['19.10', 2020, 7, 17],
  ['20.04', 2025, 5, 31],
  ['20.04-ESM', 2030, 4, 30],
  ['20.10', 2021, 7, 22],
  ['21.04', 2022, 1, 20],
  ['21.10', 2022, 7, 14],
  ['22.04', 2027, 4, 23],
  ['22.10', 2023, 7, 20],
  ['23.04', 2024, 1, 20],
  ['23.10', 2024, 6, 30],
  ['24.04', 2034, 3, 31],
  ['24.10', 2025, 7, 9],
  ['25.04', 2026, 1, 16],
  ['25.10', 2026, 7, 1],
  ['26.04', 2031, 5, 31],
]);

/**
 * The version whose bucket and end-of-life date apply. Trivy trims the characters "-", "E", "S", "M" from
 * the right (Go's strings.TrimRight takes a set), which for real versions removes the "-ESM" suffix.
 */
function effectiveVersion(ctx: DriverContext, osVersion: string): string {
  if (EOL.has(osVersion)) return osVersion;
  const base = osVersion.replace(/[-ESM]+$/, '');
  const eol = EOL.get(base);
  return eol !== undefined && ctx.now < eol ? base : osVersion;
}

export function createUbuntuDriver(): OsDriver {
  return {
    async detect(ctx, osVersion, _repository, packages) {
      ctx.logger.info('Detecting vulnerabilities...', { os_version: osVersion, pkg_num: packages.length });
      const release = effectiveVersion(ctx, osVersion);
      const bucket = `ubuntu ${release}`;
      const vulns: DetectedVulnerability[] = [];
      for (const pkg of packages) {
        const advisories = await advisoriesOf(ctx, bucket, pkg.SrcName ?? '');
        const sourceVersion = formatSrcVersion(pkg);
        if (!debVersions.valid(sourceVersion)) {
          ctx.logger.debug('Failed to parse the installed package version', { version: sourceVersion });
          continue;
        }
        for (const adv of advisories) {
          const vuln: DetectedVulnerability = {
            VulnerabilityID: adv.VulnerabilityID,
            PkgID: pkg.ID,
            PkgName: pkg.Name,
            InstalledVersion: formatVersion(pkg),
            FixedVersion: adv.FixedVersion,
            PkgIdentifier: pkg.Identifier,
            Layer: pkg.Layer,
            Custom: adv.Custom,
            DataSource: copySource(adv.DataSource),
          };
          const fixed = adv.FixedVersion ?? '';
          if (fixed === '') {
            vulns.push(vuln);
            continue;
          }
          if (!debVersions.valid(fixed)) {
            ctx.logger.debug('Failed to parse the fixed version', { version: fixed });
            continue;
          }
          if (debVersions.lessThan(sourceVersion, fixed)) vulns.push(vuln);
        }
      }
      return vulns;
    },
    isSupportedVersion(ctx, family, osVersion) {
      return supported(EOL, family, effectiveVersion(ctx, osVersion), ctx.now, ctx.logger);
    },
  };
}
