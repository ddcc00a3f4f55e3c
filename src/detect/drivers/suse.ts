/**
 * SUSE distributions (trivy:pkg/detector/ospkg/suse with trivy-db's suse-cvrf reader): binary package names,
 * the OS version as detected (no normalisation) in buckets "SUSE Linux Enterprise <v>",
 * "SUSE Linux Enterprise Micro <v>", "openSUSE Leap <v>" and the version-less "openSUSE Tumbleweed".
 * Only fixed issues are reported.
 */
import { type EolDates, eolTable, supported } from '../os-version.js';
import type { DetectedVulnerability } from '../types.js';
import { formatVersion, rpmLessThan } from '../versions.js';
import { advisoriesOf, findingOf, type OsDriver } from './driver.js';

const SLES_EOL = eolTable([
  ['10', 2007, 12, 31],
  ['10.1', 2008, 11, 30],
  ['10.2', 2010, 4, 11],
  ['10.3', 2011, 10, 11],
  ['10.4', 2013, 7, 31],
  ['11', 2010, 12, 31],
  ['11.1', 2012, 8, 31],
  ['11.2', 2014, 1, 31],
  ['11.3', 2016, 1, 31],
  ['11.4', 2019, 3, 31],
  ['12', 2016, 6, 30],
  ['12.1', 2017, 5, 31],
  ['12.2', 2018, 3, 31],
  ['12.3', 2019, 1, 30],
  ['12.4', 2020, 6, 30],
  ['12.5', 2024, 10, 31],
  ['15', 2019, 12, 31],
  ['15.1', 2021, 1, 31],
  ['15.2', 2021, 12, 31],
  ['15.3', 2022, 12, 31],
  ['15.4', 2023, 12, 31],
  ['15.5', 2024, 12, 31],
  ['15.6', 2025, 12, 31],
  ['15.7', 2031, 7, 31],
  ['16.0', 2027, 11, 30],
  ['16.1', 2028, 11, 30],
]);

const SLE_MICRO_EOL = eolTable([
  ['5.0', 2022, 3, 31],
  ['5.1', 2025, 10, 31],
  ['5.2', 2026, 4, 30],
  ['5.3', 2026, 10, 30],
  ['5.4', 2027, 4, 30],
  ['5.5', 2027, 10, 31],
  ['6.0', 2028, 6, 30],
  ['6.1', 2028, 11, 30],
]);

const OPENSUSE_EOL = eolTable([
  ['42.1', 2017, 5, 17],
  ['42.2', 2018, 1, 26],
  ['42.3', 2019, 6, 30],
  ['15.0', 2019, 12, 3],
  ['15.1', 2020, 11, 30],
  ['15.2', 2021, 11, 30],
  ['15.3', 2022, 11, 30],
  ['15.4', 2023, 11, 30],
  ['15.5', 2024, 12, 31],
  ['15.6', 2025, 12, 31],
  ['16.0', 2027, 10, 31],
]);

export type SuseVariant = 'sles' | 'sle-micro' | 'opensuse-leap' | 'opensuse-tumbleweed';

const VARIANTS: Readonly<Record<SuseVariant, { bucket: (v: string) => string; eol: EolDates | 'rolling' }>> =
  {
    sles: { bucket: (v) => `SUSE Linux Enterprise ${v}`, eol: SLES_EOL },
    'sle-micro': { bucket: (v) => `SUSE Linux Enterprise Micro ${v}`, eol: SLE_MICRO_EOL },
    'opensuse-leap': { bucket: (v) => `openSUSE Leap ${v}`, eol: OPENSUSE_EOL },
    'opensuse-tumbleweed': { bucket: () => 'openSUSE Tumbleweed', eol: 'rolling' },
  };

export function createSuseDriver(variant: SuseVariant): OsDriver {
  const { bucket, eol } = VARIANTS[variant];
  return {
    async detect(ctx, osVersion, _repository, packages) {
      ctx.logger.info('Detecting vulnerabilities...', { os_version: osVersion, pkg_num: packages.length });
      const name = bucket(osVersion);
      const vulns: DetectedVulnerability[] = [];
      for (const pkg of packages) {
        const advisories = await advisoriesOf(ctx, name, pkg.Name);
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
      // Tumbleweed is a rolling release without versions or an end of life.
      if (eol === 'rolling') return true;
      return supported(eol, family, osVersion, ctx.now, ctx.logger);
    },
  };
}
