/**
 * The detecting half of a scan (Trivy's local scan service, which a scan server runs on the blobs its clients
 * sent): merge the layers' BlobInfos as ApplyLayers does, give every package its PURL and UID, detect
 * against trivy-db. Also the layer list a report shows. No filtering here: that is the client's job.
 */
import { applyLayers, type BlobInfo, checkArtifactDetail } from '../analyze/index.js';
import type { DetectionResult, Detector, Layer, OS, ScanOptions } from '../detect/index.js';
import type { Logger } from '../image/index.js';
import { silentLogger } from '../image/index.js';
import type { ArtifactInfo, LocalArtifactCache } from './artifact-cache.js';
import { messageOf, ScanError } from './errors.js';
import { scanTargetOf } from './identifiers.js';

export interface ScanBlobsOptions {
  detector: Detector;
  scan?: ScanOptions;
  logger?: Logger;
}

/** Trivy's ScanResponse: the OS (with Eosl), the results, and each layer's Size/Digest/DiffID/CreatedBy. */
export interface ScanResponse {
  os: OS;
  results: DetectionResult[];
  layers: Layer[];
}

export async function scanBlobs(
  target: string,
  _artifactInfo: ArtifactInfo | undefined,
  blobs: readonly BlobInfo[],
  options: ScanBlobsOptions,
): Promise<ScanResponse> {
  const logger = options.logger ?? silentLogger;
  const detail = applyLayers(blobs);
  const problem = checkArtifactDetail(detail);
  if (problem?.code === 'ANALYZE_UNKNOWN_OS') logger.debug('OS is not detected.');
  else if (problem?.code === 'ANALYZE_NO_PACKAGES') {
    logger.warn(
      "No OS package is detected. Make sure you haven't deleted any files that contain information about the installed packages.",
    );
  }
  const scanTarget = scanTargetOf(target, detail);
  let outcome: Awaited<ReturnType<Detector['scanTarget']>>;
  try {
    outcome = await options.detector.scanTarget(scanTarget, options.scan);
  } catch (error) {
    throw new ScanError('SCAN_DETECT', `${target}: detection failed: ${messageOf(error)}`, error);
  }
  if (outcome.os.Eosl) {
    logger.warn('This OS version is no longer supported by the distribution', {
      family: outcome.os.Family,
      version: outcome.os.Name,
    });
  }
  return { os: outcome.os, results: outcome.results, layers: blobs.map(layerOf).filter(nonEmpty) };
}

/** scanBlobs over blobs read from a cache; a missing one is Trivy's "layer cache missing". */
export async function scanCachedBlobs(
  cache: LocalArtifactCache,
  target: string,
  artifactId: string,
  blobIds: readonly string[],
  options: ScanBlobsOptions,
): Promise<ScanResponse> {
  const blobs: BlobInfo[] = [];
  for (const id of blobIds) {
    const blob = await cache.getBlob(id);
    if (blob === undefined) throw new ScanError('SCAN_CACHE', `layer cache missing: ${id}`);
    blobs.push(blob);
  }
  return scanBlobs(target, await cache.getArtifact(artifactId), blobs, options);
}

function layerOf(blob: BlobInfo): Layer {
  return {
    ...(blob.Size ? { Size: blob.Size } : {}),
    ...(blob.Digest ? { Digest: blob.Digest } : {}),
    ...(blob.DiffID ? { DiffID: blob.DiffID } : {}),
    ...(blob.CreatedBy ? { CreatedBy: blob.CreatedBy } : {}),
  };
}

function nonEmpty(layer: Layer): boolean {
  return Object.keys(layer).length > 0;
}
