/**
 * The rolling apk distributions Wolfi, Chainguard and MinimOS (trivy:pkg/detector/ospkg/{wolfi,chainguard,
 * minimos}): one version-less bucket each, origin (source) package names, the binary version compared, only
 * fixed issues, no end of life.
 */
import type { DetectedVulnerability } from '../types.js';
import { apkVersions, formatVersion } from '../versions.js';
import { advisoriesOf, findingOf, type OsDriver } from './driver.js';

export type RollingApkDistribution = 'wolfi' | 'chainguard' | 'minimos';

export function createRollingApkDriver(distribution: RollingApkDistribution): OsDriver {
  return {
    async detect(ctx, _osVersion, _repository, packages) {
      ctx.logger.info('Detecting vulnerabilities...', { pkg_num: packages.length });
      const vulns: DetectedVulnerability[] = [];
      for (const pkg of packages) {
        const advisories = await advisoriesOf(ctx, distribution, pkg.SrcName || pkg.Name);
        const installed = formatVersion(pkg);
        if (!apkVersions.valid(installed)) {
          ctx.logger.debug('Failed to parse the installed package version', { version: installed });
          continue;
        }
        for (const adv of advisories) {
          const fixed = adv.FixedVersion ?? '';
          if (!apkVersions.valid(fixed)) {
            ctx.logger.debug('Failed to parse the fixed version', { version: fixed });
            continue;
          }
          if (!apkVersions.lessThan(installed, fixed)) continue;
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
