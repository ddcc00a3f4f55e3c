/**
 * OS package detection for one scan target (trivy:pkg/scan/ospkg and pkg/detector/ospkg): pick the driver
 * for the OS family, decide end of life, drop what no OS advisory describes (gpg-pubkey, third-party
 * packages), and run the driver.
 */
import { createAlmaDriver } from './drivers/alma.js';
import { createAlpineDriver } from './drivers/alpine.js';
import { createAmazonDriver } from './drivers/amazon.js';
import { createRollingApkDriver } from './drivers/apk-rolling.js';
import { createAzureDriver } from './drivers/azure.js';
import { createBottlerocketDriver } from './drivers/bottlerocket.js';
import { createCoreOsDriver } from './drivers/coreos.js';
import { createDebianDriver } from './drivers/debian.js';
import type { DriverContext, OsDriver } from './drivers/driver.js';
import { createEchoDriver } from './drivers/echo.js';
import { createOracleDriver } from './drivers/oracle.js';
import { createPhotonDriver } from './drivers/photon.js';
import { createRedHatDriver } from './drivers/redhat.js';
import { createRockyDriver } from './drivers/rocky.js';
import { createSuseDriver } from './drivers/suse.js';
import { createUbuntuDriver } from './drivers/ubuntu.js';
import type { DetectedVulnerability, DetectionResult, Package, ScanTarget } from './types.js';

/** Trivy's drivers by OS family (pkg/detector/ospkg/detect.go). */
export function createOsDrivers(): ReadonlyMap<string, OsDriver> {
  const redhat = createRedHatDriver();
  return new Map<string, OsDriver>([
    ['alpine', createAlpineDriver()],
    ['alma', createAlmaDriver()],
    ['amazon', createAmazonDriver()],
    ['azurelinux', createAzureDriver('azurelinux')],
    ['bottlerocket', createBottlerocketDriver()],
    ['cbl-mariner', createAzureDriver('cbl-mariner')],
    ['debian', createDebianDriver()],
    ['ubuntu', createUbuntuDriver()],
    ['redhat', redhat],
    ['centos', redhat],
    ['rocky', createRockyDriver()],
    ['oracle', createOracleDriver()],
    ['opensuse-tumbleweed', createSuseDriver('opensuse-tumbleweed')],
    ['opensuse-leap', createSuseDriver('opensuse-leap')],
    ['sles', createSuseDriver('sles')],
    ['slem', createSuseDriver('sle-micro')],
    ['photon', createPhotonDriver()],
    ['wolfi', createRollingApkDriver('wolfi')],
    ['chainguard', createRollingApkDriver('chainguard')],
    ['echo', createEchoDriver()],
    ['minimos', createRollingApkDriver('minimos')],
    ['coreos', createCoreOsDriver()],
  ]);
}

/** OS families whose images carry only language packages (pkg/fanal/types OSType.HasOSPackages). */
const WITHOUT_OS_PACKAGES = new Set(['activestate']);

/** Trivy's Packages.Less: relationship (unknown last), then name, version, ID and file path. */
export function comparePackages(a: Package, b: Package): number {
  const ra = a.Relationship ?? 0;
  const rb = b.Relationship ?? 0;
  if (ra !== rb) {
    if (ra === 0) return 1;
    if (rb === 0) return -1;
    return ra - rb;
  }
  return (
    compareText(a.Name, b.Name) ||
    compareText(a.Version, b.Version) ||
    compareText(a.ID ?? '', b.ID ?? '') ||
    compareText(a.FilePath ?? '', b.FilePath ?? '')
  );
}

/** Go's string order: by UTF-8 bytes. */
export function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export interface OsDetection {
  /** Undefined when there is no OS result (no OS detected, no OS packages, or an unsupported family). */
  result: DetectionResult | undefined;
  /** The OS version has reached its vendor's end of life. */
  eosl: boolean;
}

/**
 * The OS result of a target, as Trivy's ospkg scanner builds it: target "<name> (<family> <version>)"
 * (with "-ESM" appended when Ubuntu ESM is enabled), packages sorted, vulnerabilities from the driver.
 * An unsupported family yields no result at all, so its packages are not listed either.
 */
export async function detectOsPackages(
  ctx: DriverContext,
  drivers: ReadonlyMap<string, OsDriver>,
  target: Pick<ScanTarget, 'Name' | 'OS' | 'Repository' | 'Packages'>,
  options: { detectVulnerabilities: boolean },
): Promise<OsDetection> {
  const family = target.OS.Family;
  if (family === '') {
    ctx.logger.debug('Detected OS: unknown');
    return { result: undefined, eosl: false };
  }
  ctx.logger.info('Detected OS', { family, version: target.OS.Name });
  if (WITHOUT_OS_PACKAGES.has(family)) {
    ctx.logger.debug('Skipping OS package scanning', { family });
    return { result: undefined, eosl: false };
  }
  const osVersion = target.OS.Extended ? `${target.OS.Name}-ESM` : target.OS.Name;
  const result: DetectionResult = {
    Target: `${target.Name} (${family} ${osVersion})`,
    Class: 'os-pkgs',
    Type: family,
    Packages: [...target.Packages].sort(comparePackages),
    Vulnerabilities: [],
  };
  if (!options.detectVulnerabilities) return { result, eosl: false };

  const driver = drivers.get(family);
  if (driver === undefined) {
    ctx.logger.warn('Unsupported os', { family });
    return { result: undefined, eosl: false };
  }
  const eosl = !driver.isSupportedVersion(ctx, family, osVersion);
  // gpg-pubkey carries no real version: matching it against any advisory is meaningless.
  let packages = result.Packages.filter((pkg) => pkg.Name !== 'gpg-pubkey');
  if (!driver.keepsThirdPartyPackages) {
    const skipped = packages.filter((pkg) => pkg.Repository?.Class === 'third-party').map((pkg) => pkg.Name);
    if (skipped.length > 0) {
      ctx.logger.debug('Skipping third-party packages', { packages: skipped });
      packages = packages.filter((pkg) => pkg.Repository?.Class !== 'third-party');
    }
  }
  const vulnerabilities: DetectedVulnerability[] = await driver.detect(
    ctx,
    osVersion,
    target.Repository,
    packages,
  );
  result.Vulnerabilities = vulnerabilities;
  return { result, eosl };
}
