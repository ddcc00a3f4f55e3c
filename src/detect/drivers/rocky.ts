/**
 * Rocky Linux (trivy:pkg/detector/ospkg/rocky with trivy-db's rocky reader): bucket "rocky <major>", binary
 * package names ("<module>:<stream>::<name>" for modular ones). Each stored value lists per-architecture
 * entries; only entries for the package's architecture count (values from old databases without entries
 * count as they are). Only fixed issues are reported.
 */
import { decodeAdvisories } from '../../vulndb/index.js';
import { eolTable, major, supported } from '../os-version.js';
import type { DetectedVulnerability } from '../types.js';
import { formatRpm, formatVersion, rpmLessThan } from '../versions.js';
import { archAdvisories } from './arch-advisories.js';
import { findingOf, modularName, type OsDriver } from './driver.js';

const EOL = eolTable([
  ['8', 2029, 5, 31],
  ['9', 2032, 5, 31],
]);

export function createRockyDriver(): OsDriver {
  return {
    async detect(ctx, osVersion, _repository, packages) {
      const release = major(osVersion);
      ctx.logger.info('Detecting vulnerabilities...', { os_version: release, pkg_num: packages.length });
      const bucket = `rocky ${release}`;
      const vulns: DetectedVulnerability[] = [];
      for (const pkg of packages) {
        const name = modularName(pkg.Name, pkg.Modularitylabel);
        const advisories = await archAdvisories(ctx, bucket, name, pkg.Arch ?? '', decodeAdvisories);
        const installed = formatVersion(pkg);
        for (const adv of advisories) {
          if (!rpmLessThan(installed, adv.fixedVersion)) continue;
          vulns.push(
            findingOf(pkg, {
              id: adv.vulnerabilityId,
              installed,
              fixed: formatRpm(adv.fixedVersion),
              custom: adv.custom,
              source: adv.source,
            }),
          );
        }
      }
      return vulns;
    },
    isSupportedVersion(ctx, family, osVersion) {
      return supported(EOL, family, major(osVersion), ctx.now, ctx.logger);
    },
  };
}
