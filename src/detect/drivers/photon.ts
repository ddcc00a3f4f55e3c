/**
 * Photon OS (trivy:pkg/detector/ospkg/photon): bucket "Photon OS <version>" with the version as detected,
 * source package names, the binary version compared. Only fixed issues are reported.
 */
import { eolTable, supported } from '../os-version.js';
import type { DetectedVulnerability } from '../types.js';
import { formatVersion, rpmLessThan } from '../versions.js';
import { advisoriesOf, findingOf, type OsDriver } from './driver.js';

const EOL = eolTable([
  ['1.0', 2022, 2, 28],
  ['2.0', 2022, 12, 31],
  ['3.0', 2024, 3, 31],
  ['4.0', 2026, 3, 31],
  ['5.0', 3000, 1, 1],
]);

export function createPhotonDriver(): OsDriver {
  return {
    async detect(ctx, osVersion, _repository, packages) {
      ctx.logger.info('Detecting vulnerabilities...', { os_version: osVersion, pkg_num: packages.length });
      const bucket = `Photon OS ${osVersion}`;
      const vulns: DetectedVulnerability[] = [];
      for (const pkg of packages) {
        const advisories = await advisoriesOf(ctx, bucket, pkg.SrcName ?? '');
        const installed = formatVersion(pkg);
        for (const adv of advisories) {
          const fixed = adv.FixedVersion ?? '';
          if (!rpmLessThan(installed, fixed)) continue;
          vulns.push(
            findingOf(pkg, {
              id: adv.VulnerabilityID,
              installed,
              fixed: fixed,
              custom: adv.Custom,
              source: adv.DataSource,
            }),
          );
        }
      }
      return vulns;
    },
    isSupportedVersion(ctx, family, osVersion) {
      return supported(EOL, family, osVersion, ctx.now, ctx.logger);
    },
  };
}
