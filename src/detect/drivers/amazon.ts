/**
 * Amazon Linux (trivy:pkg/detector/ospkg/amazon): bucket "amazon linux 1|2|2022|2023" from the first word
 * of the OS name ("2 (Karoo)" → 2, "2023.4.20240401" → 2023, "AMI release 2018.03" → 1), binary package
 * names, and — unlike every other RPM distribution — Debian's version ordering, as Trivy uses it.
 */
import { eolTable, major, supported } from '../os-version.js';
import type { DetectedVulnerability } from '../types.js';
import { debVersions, formatVersion } from '../versions.js';
import { advisoriesOf, findingOf, type OsDriver } from './driver.js';

const EOL = eolTable([
  ['1', 2023, 12, 31],
  ['2', 2026, 6, 30],
  ['2023', 2028, 3, 15],
]);

function release(osVersion: string): string {
  const first = osVersion.trim().split(/\s+/)[0] ?? '';
  const m = major(first);
  return m === '2' || m === '2022' || m === '2023' ? m : '1';
}

export function createAmazonDriver(): OsDriver {
  return {
    async detect(ctx, osVersion, _repository, packages) {
      const rel = release(osVersion);
      ctx.logger.info('Detecting vulnerabilities...', { os_version: rel, pkg_num: packages.length });
      const bucket = `amazon linux ${rel}`;
      const vulns: DetectedVulnerability[] = [];
      for (const pkg of packages) {
        const advisories = await advisoriesOf(ctx, bucket, pkg.Name);
        const installed = formatVersion(pkg);
        if (installed === '') continue;
        if (!debVersions.valid(installed)) {
          ctx.logger.debug('Failed to parse the installed package version', { version: installed });
          continue;
        }
        for (const adv of advisories) {
          const fixed = adv.FixedVersion ?? '';
          if (!debVersions.valid(fixed)) {
            ctx.logger.debug('Failed to parse the fixed version', { version: fixed });
            continue;
          }
          if (!debVersions.lessThan(installed, fixed)) continue;
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
      return supported(EOL, family, release(osVersion), ctx.now, ctx.logger);
    },
  };
}
