/**
 * Echo (trivy:pkg/detector/ospkg/echo): a rolling Debian-based distribution whose feed also covers software
 * Debian does not ship, so third-party packages are kept. Bucket "echo", source names and source versions
 * (also shown as the installed version), Debian ordering, package-level severity and status. Unlike the
 * other drivers an unreadable version fails the detection, as in Trivy.
 */
import { severityName, statusName } from '../../vulndb/index.js';
import { DetectError } from '../errors.js';
import type { DetectedVulnerability } from '../types.js';
import { debVersions, formatSrcVersion } from '../versions.js';
import { advisoriesOf, copySource, type OsDriver } from './driver.js';

export function createEchoDriver(): OsDriver {
  return {
    keepsThirdPartyPackages: true,
    async detect(ctx, _osVersion, _repository, packages) {
      ctx.logger.info('Detecting vulnerabilities...', { pkg_num: packages.length });
      const vulns: DetectedVulnerability[] = [];
      for (const pkg of packages) {
        const advisories = await advisoriesOf(ctx, 'echo', pkg.SrcName ?? '');
        const installed = formatSrcVersion(pkg);
        if (!debVersions.valid(installed)) {
          throw new DetectError(
            'DETECT_VERSION',
            `echo: cannot parse installed version ${JSON.stringify(installed)} of ${pkg.Name}`,
          );
        }
        for (const adv of advisories) {
          const vuln: DetectedVulnerability = {
            PkgID: pkg.ID,
            VulnerabilityID: adv.VulnerabilityID,
            InstalledVersion: installed,
            FixedVersion: adv.FixedVersion,
            PkgName: pkg.Name,
            PkgIdentifier: pkg.Identifier,
            Status: adv.Status === 0 ? undefined : statusName(adv.Status),
            Layer: pkg.Layer,
            Custom: adv.Custom,
            DataSource: copySource(adv.DataSource),
          };
          if (adv.Severity !== 0) {
            vuln.SeveritySource = 'echo';
            vuln.Severity = severityName(adv.Severity);
          }
          const fixed = adv.FixedVersion ?? '';
          if (fixed !== '') {
            if (!debVersions.valid(fixed)) {
              throw new DetectError(
                'DETECT_VERSION',
                `echo: cannot parse fixed version ${JSON.stringify(fixed)} of ${adv.VulnerabilityID}`,
              );
            }
            if (!debVersions.lessThan(installed, fixed)) continue;
          }
          vulns.push(vuln);
        }
      }
      return vulns;
    },
    isSupportedVersion() {
      return true;
    },
  };
}
