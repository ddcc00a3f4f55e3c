/**
 * A standalone image scan from start to end: the image (registry or --input) → the DB made ready → layers
 * analysed through the layer cache → blobs merged and detected → Trivy's report (not yet filtered: filtering
 * is the caller's, as in Trivy). One scanner per process or per scan; it holds no state between scans but
 * what it was given.
 */
import { join } from 'node:path';
import { type Analyzer, type BlobInfo, createImageAnalyzers } from '../analyze/index.js';
import type { Layer, OS } from '../detect/index.js';
import { createDetector, type ScanOptions } from '../detect/index.js';
import {
  type Clock,
  createRegistryClient,
  ImageError,
  type ImageSource,
  type Logger,
  openImageInput,
  type Platform,
  type RegistryClientOptions,
  silentLogger,
  systemClock,
} from '../image/index.js';
import { buildReport, type Report, type Result } from '../report/index.js';
import {
  createRemoteCache,
  createRemoteScanner,
  RELATIONSHIPS,
  type RemoteOptions,
  TwirpError,
} from '../rpc/index.js';
import type { LocalArtifactCache } from './artifact-cache.js';
import { messageOf, ScanError } from './errors.js';
import { createFsCache, type FsCacheStats } from './fs-cache.js';
import { formatGoDuration } from './go-duration.js';
import { type InspectedImage, inspectImage, type LayerProgress } from './inspect-image.js';
import { scanBlobs } from './scan-blobs.js';
import { corruptDb, isDbReadError, openScanDb } from './scan-db.js';

export interface ImageScannerOptions {
  /** Trivy's cache directory: the DB in `db/`, the layer cache in `fanal/`. */
  cacheDir: string;
  /** How registries are reached (credentials, --insecure, transport); used for the image and the DB. */
  registry: RegistryClientOptions;
  /** --db-repository, tried in order. */
  dbRepositories: readonly string[];
  /** --skip-db-update. */
  skipDbUpdate: boolean;
  /** Layers analysed at once (default 3). */
  parallel?: number;
  /** Bound on the layer cache (default 1 GiB). */
  cacheMaxBytes?: number;
  analyzers?: readonly Analyzer[];
  /** Report's Trivy.Version. */
  version?: string;
  clock?: Clock;
  logger?: Logger;
  progress?: LayerProgress;
  /**
   * Client mode (--server): analyse here, upload what the server lacks, let it detect. No local DB or layer
   * cache is used.
   */
  server?: RemoteOptions;
}

export interface ScanRequest {
  /** The reference as typed, or the --input path when `input` is set. */
  target: string;
  input?: boolean;
  platform?: Platform | undefined;
  scan?: ScanOptions;
  signal?: AbortSignal;
  /** For the timeout message: how long the signal allowed. */
  timeoutMs?: number;
}

export interface ScanOutcome {
  report: Report;
  cache: FsCacheStats;
}

export interface ImageScanner {
  scan(request: ScanRequest): Promise<ScanOutcome>;
}

export function createImageScanner(options: ImageScannerOptions): ImageScanner {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const analyzers = options.analyzers ?? createImageAnalyzers();

  // Trivy's client flow (pkg/fanal/artifact/image Inspect, then pkg/rpc/client Scan): the server's cache in
  // place of the local one, and its Scan in place of local detection.
  async function scanWithServer(request: ScanRequest, server: RemoteOptions): Promise<ScanOutcome> {
    const name = request.target;
    const signal = request.signal;
    const client = createRegistryClient({ ...options.registry, clock, logger });
    let source: ImageSource | undefined;
    try {
      const image = await openSource(name, request, client);
      source = image;
      const inspected = await inspectImage(name, image, {
        cache: createRemoteCache(server),
        analyzers,
        logger,
        ...(options.parallel === undefined ? {} : { parallel: options.parallel }),
        ...(signal ? { signal } : {}),
        ...(options.progress ? { progress: options.progress } : {}),
      });
      const scan = request.scan ?? {};
      const response = await createRemoteScanner(server).scan(
        {
          target: name,
          artifactId: inspected.id,
          blobIds: inspected.blobIds,
          options: {
            pkgTypes: [...(scan.pkgTypes ?? ['os', 'library'])],
            scanners: [scan.detectVulnerabilities === false ? 'sbom' : 'vuln'],
            pkgRelationships: [...RELATIONSHIPS],
            vulnSeveritySources: [...(scan.severitySources ?? [])],
          },
        },
        signal ? { signal } : {},
      );
      const report = reportOf(name, inspected, response);
      return { report, cache: { hits: 0, misses: 0, corrupt: 0, writes: 0, evicted: 0 } };
    } catch (error) {
      if (signal?.aborted) {
        const limit = request.timeoutMs === undefined ? '' : ` ${formatGoDuration(request.timeoutMs)}`;
        throw new ScanError(
          'SCAN_TIMEOUT',
          `scanning ${name} took longer than --timeout${limit}; allow more with --timeout (e.g. --timeout 15m)`,
          error,
        );
      }
      if (error instanceof TwirpError) {
        throw new ScanError(
          'SCAN_SERVER',
          `scanning ${name} with the server ${server.serverUrl} failed: ${serverHint(error)}`,
          error,
        );
      }
      throw error;
    } finally {
      await source?.close().catch(() => {});
      await client.close().catch(() => {});
    }
  }

  function reportOf(
    name: string,
    inspected: InspectedImage,
    response: { results: readonly Result[]; os: OS; layers: Layer[] },
  ): Report {
    const meta = inspected.imageMetadata;
    return buildReport({
      artifactName: name,
      artifactType: 'container_image',
      results: response.results,
      os: response.os,
      image: {
        ImageID: meta.id,
        DiffIDs: meta.diffIds,
        RepoTags: meta.repoTags.length > 0 ? meta.repoTags : undefined,
        RepoDigests: meta.repoDigests.length > 0 ? meta.repoDigests : undefined,
        Reference: meta.reference,
        RepositoryContext: meta.repositoryContext,
        ImageConfig: meta.configFile,
      },
      layers: response.layers,
      createdAt: new Date(clock.now()),
      ...(options.version ? { version: options.version } : {}),
    });
  }

  return {
    async scan(request) {
      if (options.server) return scanWithServer(request, options.server);
      const name = request.target;
      const signal = request.signal;
      const client = createRegistryClient({ ...options.registry, clock, logger });
      const cache = createFsCache({
        dir: join(options.cacheDir, 'fanal'),
        logger,
        now: clock.now,
        ...(options.cacheMaxBytes === undefined ? {} : { maxBytes: options.cacheMaxBytes }),
      });
      let source: ImageSource | undefined;
      try {
        const image = await openSource(name, request, client);
        source = image;
        logger.debug('image resolved', {
          image: name,
          digest: source.digest,
          platform: source.platform ? `${source.platform.os}/${source.platform.architecture}` : undefined,
          layers: source.layers.length,
        });
        const db = await openScanDb({
          cacheDir: options.cacheDir,
          skipUpdate: options.skipDbUpdate,
          repositories: options.dbRepositories,
          registry: { ...options.registry, clock, logger },
          clock,
          logger,
          ...(signal ? { signal } : {}),
        });
        try {
          const inspect = () =>
            inspectImage(name, image, {
              cache,
              analyzers,
              logger,
              ...(options.parallel === undefined ? {} : { parallel: options.parallel }),
              ...(signal ? { signal } : {}),
              ...(options.progress ? { progress: options.progress } : {}),
            });
          let inspected = await inspect();
          let blobs = await loadBlobs(inspected, cache);
          if (blobs === undefined) {
            // Another process sharing the cache evicted a layer between the two looks: analyse it again.
            logger.debug('a cached layer went missing; inspecting again');
            inspected = await inspect();
            blobs = await loadBlobs(inspected, cache);
          }
          if (blobs === undefined) {
            throw new ScanError(
              'SCAN_CACHE',
              `${name}: the layer cache in ${cache.dir} keeps losing entries; give it more room (--cache-max-size)`,
            );
          }
          const stats = cache.stats();
          logger.debug('layer cache use', { ...stats });
          const detector = createDetector({ db, now: clock.now, logger });
          let response: Awaited<ReturnType<typeof scanBlobs>>;
          try {
            response = await scanBlobs(name, undefined, blobs, {
              detector,
              logger,
              ...(request.scan ? { scan: request.scan } : {}),
            });
          } catch (error) {
            const cause = error instanceof ScanError ? error.cause : error;
            if (isDbReadError(cause)) throw corruptDb(join(options.cacheDir, 'db', 'trivy.db'), cause);
            throw error;
          }
          return { report: reportOf(name, inspected, response), cache: stats };
        } finally {
          await db.close();
        }
      } catch (error) {
        if (signal?.aborted) {
          const limit = request.timeoutMs === undefined ? '' : ` ${formatGoDuration(request.timeoutMs)}`;
          throw new ScanError(
            'SCAN_TIMEOUT',
            `scanning ${name} took longer than --timeout${limit}; allow more with --timeout (e.g. --timeout 15m)`,
            error,
          );
        }
        throw error;
      } finally {
        await source?.close().catch(() => {});
        await client.close().catch(() => {});
      }
    },
  };
}

/**
 * The blobs of every layer, this image's compressed digests in them (a cached blob may come from another
 * image with the same layer compressed differently); undefined when the cache lost one.
 */
async function loadBlobs(
  inspected: InspectedImage,
  cache: LocalArtifactCache,
): Promise<BlobInfo[] | undefined> {
  const blobs: BlobInfo[] = [];
  for (const [i, key] of inspected.blobIds.entries()) {
    const blob = inspected.analysed.get(key) ?? (await cache.getBlob(key));
    if (blob === undefined) return undefined;
    const digest = inspected.layerDigests[i];
    const { Digest: _digest, ...rest } = blob;
    blobs.push(digest ? { ...rest, Digest: digest } : rest);
  }
  return blobs;
}

async function openSource(
  name: string,
  request: ScanRequest,
  client: ReturnType<typeof createRegistryClient>,
): Promise<ImageSource> {
  try {
    if (request.input) return await openImageInput(name, { platform: request.platform });
    return await client.openImage(name, { platform: request.platform, signal: request.signal });
  } catch (error) {
    if (request.signal?.aborted) throw error;
    if (error instanceof ImageError) {
      throw new ScanError('SCAN_IMAGE', `cannot scan ${name}: ${hint(error)}`, error);
    }
    throw new ScanError('SCAN_IMAGE', `cannot scan ${name}: ${messageOf(error)}`, error);
  }
}

function serverHint(error: TwirpError): string {
  switch (error.code) {
    case 'unauthenticated':
      return `${error.message}; give the server's token with --token (and --token-header if it is not Trivy-Token)`;
    case 'unavailable':
      return `${error.message}; is the server running and reachable (and its vulnerability DB loaded)?`;
    default:
      return `${error.message} (${error.code})`;
  }
}

function hint(error: ImageError): string {
  switch (error.code) {
    case 'IMAGE_NETWORK':
      return `${error.message}; check the registry address, or whether it needs --insecure (plain HTTP or a self-signed certificate)`;
    default:
      return error.message;
  }
}
