/**
 * The detection entry point the scan pipeline (standalone and server) calls: Trivy's local scan service
 * for packages (trivy:pkg/scan/local ScanTarget): the OS result, then the language results, then details
 * and severities filled in from the database.
 */
import type { TrivyDb } from '../vulndb/index.js';
import type { DriverContext } from './drivers/driver.js';
import { fillInfo } from './fill-info.js';
import { detectApplications } from './library.js';
import { createOsDrivers, detectOsPackages } from './os-detector.js';
import { type DetectionResult, type Logger, type OS, type ScanTarget, silentLogger } from './types.js';

export interface DetectorOptions {
  db: TrivyDb;
  /** The clock for end-of-life decisions, in epoch milliseconds (default Date.now). */
  now?: () => number;
  logger?: Logger;
}

export interface ScanOptions {
  /** --pkg-types: which package kinds to report (default both). */
  pkgTypes?: readonly ('os' | 'library')[];
  /** False lists packages only (Trivy's SBOM-only scan); default true. */
  detectVulnerabilities?: boolean;
  /** --vuln-severity-source; default ["auto"]. */
  severitySources?: readonly string[];
}

export interface ScanOutcome {
  /** OS result first (when there is one), then language results sorted by target. */
  results: DetectionResult[];
  /** The target's OS with Eosl decided. */
  os: OS;
}

export interface Detector {
  scanTarget(target: ScanTarget, options?: ScanOptions): Promise<ScanOutcome>;
}

export function createDetector(options: DetectorOptions): Detector {
  const drivers = createOsDrivers();
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  return {
    async scanTarget(target, scan = {}) {
      const ctx: DriverContext = { db: options.db, logger, now: now() };
      const pkgTypes = scan.pkgTypes ?? ['os', 'library'];
      const detectVulnerabilities = scan.detectVulnerabilities ?? true;
      const results: DetectionResult[] = [];
      let eosl = false;
      if (pkgTypes.includes('os')) {
        const os = await detectOsPackages(ctx, drivers, target, { detectVulnerabilities });
        if (os.result !== undefined) {
          results.push(os.result);
          eosl = os.eosl;
        }
      }
      if (pkgTypes.includes('library')) {
        results.push(...(await detectApplications(ctx, target.Applications, { detectVulnerabilities })));
      }
      for (const result of results) {
        await fillInfo(options.db, result.Vulnerabilities, { severitySources: scan.severitySources, logger });
      }
      const os: OS = { ...target.OS };
      if (eosl) os.Eosl = true;
      else delete os.Eosl;
      return { results, os };
    },
  };
}
