/**
 * Bottlerocket (trivy:pkg/detector/ospkg/bottlerocket): one version-less bucket, binary package names, rpm
 * ordering, only fixed issues, no end-of-life table.
 */
import type { DetectedVulnerability } from '../types.js';
import { formatVersion, rpmLessThan } from '../versions.js';
import { advisoriesOf, findingOf, type OsDriver } from './driver.js';

export function createBottlerocketDriver(): OsDriver {
  return {
    async detect(ctx, _osVersion, _repository, packages) {
      ctx.logger.info('Detecting vulnerabilities...', { pkg_num: packages.length });
      const vulns: DetectedVulnerability[] = [];
      for (const pkg of packages) {
        const advisories = await advisoriesOf(ctx, 'bottlerocket', pkg.Name);
        const installed = formatVersion(pkg);
        if (installed === '') continue;
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
    isSupportedVersion() {
      return true;
    },
  };
}
