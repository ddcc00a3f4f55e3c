/**
 * Fedora CoreOS (trivy:pkg/detector/ospkg/coreos): recognised, but Trivy has no advisories for it; the OS
 * result is still produced (with its packages) and nothing is detected.
 */
import { minor, supported } from '../os-version.js';
import type { OsDriver } from './driver.js';

export function createCoreOsDriver(): OsDriver {
  return {
    async detect(ctx) {
      ctx.logger.info('Vulnerability detection of CoreOS packages is currently not supported.');
      return [];
    },
    isSupportedVersion(ctx, family, osVersion) {
      return supported(undefined, family, minor(osVersion), ctx.now, ctx.logger);
    },
  };
}
