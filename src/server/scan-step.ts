/**
 * The server's scan step over the scan pipeline's detecting half (src/scan scanBlobs: ApplyLayers, PURLs and
 * UIDs, detection). What Trivy's server does around that call (pkg/scan/local Scan and ToOptions) happens here:
 * which package kinds to scan and whether to detect or only list (scanners `vuln` / `sbom`), and the package
 * filters by relationship and dev flag. Those filters run on each layer's packages before the layers are
 * merged; ApplyLayers never looks at a package that a filter removes everywhere, so this is the same as
 * Trivy's filtering of the merged target.
 */
import type { BlobInfo } from '../analyze/index.js';
import {
  type DetectionResult,
  type Detector,
  createDetector as defaultCreateDetector,
  type Layer,
  type OS,
  type ScanOptions,
} from '../detect/index.js';
import type {
  RelationshipName,
  WireArtifactInfo,
  WireBlobInfo,
  WireScanOptions,
  WireScanResponse,
} from '../rpc/index.js';
import { RELATIONSHIPS } from '../rpc/index.js';
import type { TrivyDb } from '../vulndb/index.js';
import { applyDpkgLicenses } from './dpkg-licenses.js';
import type { ServerLogger } from './logger.js';
import type { ScanStep } from './services.js';

/** The shape of src/scan's scanBlobs. */
export type ScanBlobsFunction = (
  target: string,
  artifactInfo: never,
  blobs: readonly BlobInfo[],
  options: { detector: Detector; scan?: ScanOptions; logger?: ServerLogger },
) => Promise<{ os: OS; results: DetectionResult[]; layers: Layer[] }>;

export interface ScanStepOptions {
  scanBlobs: ScanBlobsFunction;
  logger: ServerLogger;
  /** Default: detect's createDetector over the leased DB. */
  createDetector?: (db: TrivyDb) => Detector;
}

/** Trivy's server: no `vuln` or `sbom` scanner means no package results at all; `sbom` alone lists packages. */
export function detectOptionsOf(options: WireScanOptions): ScanOptions {
  const vuln = options.scanners.includes('vuln');
  const sbom = options.scanners.includes('sbom');
  const pkgTypes = options.pkgTypes.filter((t): t is 'os' | 'library' => t === 'os' || t === 'library');
  return {
    pkgTypes: vuln || sbom ? pkgTypes : [],
    detectVulnerabilities: vuln,
    severitySources: options.vulnSeveritySources,
  };
}

function relationshipName(value: number | undefined): RelationshipName {
  return RELATIONSHIPS[value ?? 0] ?? 'unknown';
}

/** A copy of the blob without the packages the options exclude (relationship filter, dev dependencies). */
export function filterBlobPackages(blob: WireBlobInfo, options: WireScanOptions): BlobInfo {
  const allRelationships = options.pkgRelationships.length === RELATIONSHIPS.length;
  const keepRelationship = <P extends { Relationship?: number }>(p: P) =>
    allRelationships || options.pkgRelationships.includes(relationshipName(p.Relationship));
  const copy: BlobInfo = { ...blob, SchemaVersion: 2 } as BlobInfo;
  if (blob.PackageInfos) {
    copy.PackageInfos = blob.PackageInfos.map((info) => ({
      ...info,
      Packages: info.Packages.filter(keepRelationship),
    }));
  }
  if (blob.Applications) {
    copy.Applications = blob.Applications.map((app) => ({
      ...app,
      Packages: app.Packages.filter((p) => keepRelationship(p) && (options.includeDevDeps || !p.Dev)),
    }));
  }
  return copy;
}

export function createScanStep(options: ScanStepOptions): ScanStep {
  const detectors = new WeakMap<TrivyDb, Detector>();
  const makeDetector =
    options.createDetector ?? ((db: TrivyDb) => defaultCreateDetector({ db, logger: options.logger }));
  const detectorFor = (db: TrivyDb) => {
    let detector = detectors.get(db);
    if (detector === undefined) {
      detector = makeDetector(db);
      detectors.set(db, detector);
    }
    return detector;
  };
  return async (request): Promise<WireScanResponse> => {
    if (request.options.distro) {
      options.logger.warn('the distro override (--distro) is not supported; scanning the detected OS', {
        family: request.options.distro.Family,
        name: request.options.distro.Name,
      });
    }
    const blobs = applyDpkgLicenses(request.blobs).map((blob) => filterBlobPackages(blob, request.options));
    const response = await options.scanBlobs(
      request.target,
      request.artifactInfo as WireArtifactInfo as never,
      blobs,
      {
        detector: detectorFor(request.db),
        scan: detectOptionsOf(request.options),
        logger: options.logger,
      },
    );
    return { os: response.os, results: response.results, layers: response.layers };
  };
}
