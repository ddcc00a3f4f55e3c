/**
 * Oracle Linux (trivy:pkg/detector/ospkg/oracle with trivy-db's oracle-oval reader): bucket
 * "Oracle Linux <major>", binary package names, per-architecture entries. Oracle ships "flavours" of a
 * package (normal, FIPS "_fips", ksplice userspace ".ksplice"); only fixes of the installed flavour apply.
 */
import { decodeAdvisories } from '../../vulndb/index.js';
import { eolTable, major, supported } from '../os-version.js';
import type { DetectedVulnerability } from '../types.js';
import { formatVersion, rpmLessThan } from '../versions.js';
import { archAdvisories } from './arch-advisories.js';
import { findingOf, type OsDriver } from './driver.js';

const EOL = eolTable([
  ['3', 2011, 12, 31],
  ['4', 2013, 12, 31],
  ['5', 2017, 12, 31],
  ['6', 2021, 3, 21],
  ['7', 2024, 12, 31],
  ['8', 2029, 7, 18],
  ['9', 2032, 7, 18],
]);

type Flavor = 'normal' | 'fips' | 'ksplice';

export function packageFlavor(version: string): Flavor {
  const v = version.toLowerCase();
  if (v.endsWith('_fips')) return 'fips';
  return v.split('.').some((part) => part.startsWith('ksplice')) ? 'ksplice' : 'normal';
}

export function createOracleDriver(): OsDriver {
  return {
    async detect(ctx, osVersion, _repository, packages) {
      const release = major(osVersion);
      ctx.logger.info('Detecting vulnerabilities...', { os_version: release, pkg_num: packages.length });
      const bucket = `Oracle Linux ${release}`;
      const vulns: DetectedVulnerability[] = [];
      for (const pkg of packages) {
        const advisories = await archAdvisories(ctx, bucket, pkg.Name, pkg.Arch ?? '', decodeAdvisories);
        const installed = formatVersion(pkg);
        for (const adv of advisories) {
          if (packageFlavor(adv.fixedVersion) !== packageFlavor(pkg.Release ?? '')) continue;
          if (!rpmLessThan(installed, adv.fixedVersion)) continue;
          vulns.push(
            findingOf(pkg, {
              id: adv.vulnerabilityId,
              installed,
              fixed: adv.fixedVersion,
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
