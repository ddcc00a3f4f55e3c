/**
 * Azure Linux and CBL-Mariner (trivy:pkg/detector/ospkg/azure): buckets "Azure Linux <major.minor>" and
 * "CBL-Mariner <major.minor>", source package names and source versions; unfixed issues are reported too.
 * As in Trivy, the findings carry no PkgID, and every version counts as supported (no public end dates).
 */
import { minor } from '../os-version.js';
import type { DetectedVulnerability } from '../types.js';
import { formatRpm, formatSrcVersion, formatVersion, rpmLessThan } from '../versions.js';
import { advisoriesOf, copySource, type OsDriver } from './driver.js';

export type AzureDistribution = 'azurelinux' | 'cbl-mariner';

export function createAzureDriver(distribution: AzureDistribution): OsDriver {
  const prefix = distribution === 'azurelinux' ? 'Azure Linux' : 'CBL-Mariner';
  return {
    async detect(ctx, osVersion, _repository, packages) {
      const release = minor(osVersion);
      ctx.logger.info('Detecting vulnerabilities...', { os_version: release, pkg_num: packages.length });
      const bucket = `${prefix} ${release}`;
      const vulns: DetectedVulnerability[] = [];
      for (const pkg of packages) {
        const advisories = await advisoriesOf(ctx, bucket, pkg.SrcName ?? '');
        const sourceVersion = formatSrcVersion(pkg);
        for (const adv of advisories) {
          const vuln: DetectedVulnerability = {
            VulnerabilityID: adv.VulnerabilityID,
            PkgName: pkg.Name,
            InstalledVersion: formatVersion(pkg),
            PkgIdentifier: pkg.Identifier,
            Layer: pkg.Layer,
            DataSource: copySource(adv.DataSource),
            Custom: adv.Custom,
          };
          const fixed = adv.FixedVersion ?? '';
          if (fixed === '') {
            vulns.push(vuln);
            continue;
          }
          if (rpmLessThan(sourceVersion, fixed)) {
            vuln.FixedVersion = formatRpm(fixed);
            vulns.push(vuln);
          }
        }
      }
      return vulns;
    },
    isSupportedVersion() {
      return true;
    },
  };
}
