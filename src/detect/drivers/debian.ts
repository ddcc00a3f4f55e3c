/**
 * Debian (trivy:pkg/detector/ospkg/debian): advisories are per source package in bucket "debian <major>";
 * the source version is compared, the binary version shown. An advisory without a fixed version is reported
 * as it is (affected, will_not_fix, fix_deferred, end_of_life …); a package-level severity (Debian's
 * urgency) makes Debian the severity source.
 */
import { severityName, statusName } from '../../vulndb/index.js';
import { eolTable, major, supported } from '../os-version.js';
import type { DetectedVulnerability } from '../types.js';
import { debVersions, formatSrcVersion, formatVersion } from '../versions.js';
import { advisoriesOf, copyList, copySource, type OsDriver } from './driver.js';

// Trivy's table (LTS end dates from 6.0 on).
const EOL = eolTable([
  ['1.1', 1997, 6, 5],
  ['1.2', 1998, 6, 5],
  ['1.3', 1999, 3, 9],
  ['2.0', 2000, 3, 9],
  ['2.1', 2000, 10, 30],
  ['2.2', 2003, 7, 30],
  ['3.0', 2006, 6, 30],
  ['3.1', 2008, 3, 30],
  ['4.0', 2010, 2, 15],
  ['5.0', 2012, 2, 6],
  ['6.0', 2016, 2, 29],
  ['7', 2018, 5, 31],
  ['8', 2020, 6, 30],
  ['9', 2022, 6, 30],
  ['10', 2024, 6, 30],
  ['11', 2026, 8, 14],
  ['12', 2028, 6, 10],
  ['13', 3000, 1, 1],
]);

export function createDebianDriver(): OsDriver {
  return {
    async detect(ctx, osVersion, _repository, packages) {
      const release = major(osVersion);
      const bucket = `debian ${release}`;
      ctx.logger.info('Detecting vulnerabilities...', { os_version: release, pkg_num: packages.length });
      const vulns: DetectedVulnerability[] = [];
      for (const pkg of packages) {
        const sourceVersion = formatSrcVersion(pkg);
        if (!debVersions.valid(sourceVersion)) {
          ctx.logger.debug('Installed package version error', { package: pkg.Name, version: sourceVersion });
          continue;
        }
        for (const adv of await advisoriesOf(ctx, bucket, pkg.SrcName ?? '')) {
          const vuln: DetectedVulnerability = {
            VulnerabilityID: adv.VulnerabilityID,
            VendorIDs: copyList(adv.VendorIDs),
            PkgID: pkg.ID,
            PkgName: pkg.Name,
            InstalledVersion: formatVersion(pkg),
            FixedVersion: adv.FixedVersion,
            PkgIdentifier: pkg.Identifier,
            Status: adv.Status === 0 ? undefined : statusName(adv.Status),
            Layer: pkg.Layer,
            Custom: adv.Custom,
            DataSource: copySource(adv.DataSource),
          };
          if (adv.Severity !== 0) {
            vuln.SeveritySource = 'debian';
            vuln.Severity = severityName(adv.Severity);
          }
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
      return supported(EOL, family, major(osVersion), ctx.now, ctx.logger);
    },
  };
}
