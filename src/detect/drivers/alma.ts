/**
 * AlmaLinux (trivy:pkg/detector/ospkg/alma): advisories per binary package ("<module>:<stream>::<name>" for
 * modular ones) in bucket "alma <major>". Only fixed issues are reported. Packages built for a module but
 * without a modularity label are skipped: AlmaLinux's errata cannot be matched to them reliably.
 */
import { eolTable, major, supported } from '../os-version.js';
import type { DetectedVulnerability } from '../types.js';
import { formatRpm, formatVersion, rpmLessThan } from '../versions.js';
import { advisoriesOf, findingOf, modularName, type OsDriver } from './driver.js';

const EOL = eolTable([
  ['8', 2029, 3, 1],
  ['9', 2032, 5, 31],
  ['10', 2035, 5, 31],
]);

export function createAlmaDriver(): OsDriver {
  return {
    async detect(ctx, osVersion, _repository, packages) {
      const release = major(osVersion);
      ctx.logger.info('Detecting vulnerabilities...', { os_version: release, pkg_num: packages.length });
      const bucket = `alma ${release}`;
      const vulns: DetectedVulnerability[] = [];
      const skipped: string[] = [];
      for (const pkg of packages) {
        if ((pkg.Release ?? '').includes('.module_el') && !pkg.Modularitylabel) {
          skipped.push(pkg.Name);
          continue;
        }
        const advisories = await advisoriesOf(ctx, bucket, modularName(pkg.Name, pkg.Modularitylabel));
        const installed = formatVersion(pkg);
        for (const adv of advisories) {
          const fixed = adv.FixedVersion ?? '';
          if (!rpmLessThan(installed, fixed)) continue;
          vulns.push(
            findingOf(pkg, {
              id: adv.VulnerabilityID,
              installed,
              fixed: formatRpm(fixed),
              custom: adv.Custom,
              source: adv.DataSource,
            }),
          );
        }
      }
      if (skipped.length > 0) {
        ctx.logger.info(
          'Skipped detection of modular packages without a modularity label (AlmaLinux bug https://bugs.almalinux.org/view.php?id=173)',
          { packages: skipped },
        );
      }
      return vulns;
    },
    isSupportedVersion(ctx, family, osVersion) {
      return supported(EOL, family, major(osVersion), ctx.now, ctx.logger);
    },
  };
}
