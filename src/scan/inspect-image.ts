/**
 * The analysing half of a scan (Trivy's image artifact Inspect), which a scan-server client runs too: cache
 * keys for the image and each layer, the layers the cache lacks streamed and analysed (a few at a time) into
 * BlobInfos and stored, the image config's facts stored as ArtifactInfo, and the image's identity for the
 * report. Layers the cache has are not fetched at all.
 */
import { pipeline, type Readable, Transform } from 'node:stream';
import { type Analyzer, analyzeLayer, type BlobInfo } from '../analyze/index.js';
import type { Descriptor, ImageSource, Logger } from '../image/index.js';
import { silentLogger } from '../image/index.js';
import type { ArtifactCache, ArtifactInfo } from './artifact-cache.js';
import { calcKey } from './cache-key.js';
import { messageOf, ScanError } from './errors.js';
import { matchReference } from './image-metadata.js';
import { mapLimit } from './limit.js';

export const DEFAULT_LAYER_PARALLELISM = 3;

export interface ImageMetadata {
  /** The image ID (config digest). */
  id: string;
  diffIds: string[];
  repoTags: string[];
  repoDigests: string[];
  /** The RepoTag/RepoDigest matching the artifact name, and its repository context. */
  reference: string | undefined;
  repositoryContext: string | undefined;
  configFile: unknown;
}

/** Trivy's artifact.Reference for an image. */
export interface InspectedImage {
  /** The artifact name: the reference or --input path as the user typed it. */
  name: string;
  type: 'container_image';
  /** Cache key of the image (ArtifactInfo). */
  id: string;
  /** Cache keys of the layers, bottom first (one per diff id). */
  blobIds: string[];
  imageMetadata: ImageMetadata;
  /** Blobs analysed by this inspection, by key (so a local scan need not read them back). */
  analysed: Map<string, BlobInfo>;
  /** Per layer, the compressed digest this image reports for it ("" for an uncompressed archive layer). */
  layerDigests: string[];
}

export interface InspectOptions {
  cache: ArtifactCache;
  analyzers: readonly Analyzer[];
  /** Layers analysed at once (default 3). */
  parallel?: number;
  signal?: AbortSignal;
  logger?: Logger;
  /** Told how many stored bytes of layers to fetch, then of each chunk read. */
  progress?: LayerProgress;
}

export interface LayerProgress {
  start(layers: number, bytes: number): void;
  add(bytes: number): void;
  layerDone(): void;
  finish(): void;
}

export async function inspectImage(
  name: string,
  source: ImageSource,
  options: InspectOptions,
): Promise<InspectedImage> {
  const logger = options.logger ?? silentLogger;
  const config = source.config;
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== source.layers.length) {
    throw new ScanError(
      'SCAN_IMAGE',
      `${name}: the image config lists ${diffIds.length} layer diff ids but the manifest has ${source.layers.length} layers`,
    );
  }
  const createdBy = createdByOf(config.history ?? [], diffIds.length);
  const imageKey = calcKey(source.configDigest, { analyzers: [] });
  const layerKeys = diffIds.map((diffId) => calcKey(diffId, { analyzers: options.analyzers }));
  const layerDigests = source.layers.map((layer, i) => layerDigestOf(source, layer, diffIds[i] ?? ''));

  const missing = await options.cache.missingBlobs(imageKey, layerKeys);
  const missingKeys = new Set(missing.missingBlobIds);
  const todo: number[] = [];
  const seen = new Set<string>();
  layerKeys.forEach((key, i) => {
    if (missingKeys.has(key) && !seen.has(key)) {
      seen.add(key);
      todo.push(i);
    }
  });
  logger.debug('layer cache', {
    layers: layerKeys.length,
    cached: layerKeys.length - missing.missingBlobIds.length,
    missing: todo.length,
  });

  const analysed = new Map<string, BlobInfo>();
  const progress = options.progress;
  progress?.start(
    todo.length,
    todo.reduce((sum, i) => sum + (source.layers[i]?.size ?? 0), 0),
  );
  // One failed layer stops the others' downloads instead of letting them run to their end.
  const failed = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, failed.signal]) : failed.signal;
  try {
    await mapLimit(
      todo,
      options.parallel ?? DEFAULT_LAYER_PARALLELISM,
      async (i) => {
        const descriptor = source.layers[i] as Descriptor;
        const diffId = diffIds[i] ?? '';
        const blob = await analyzeOne(
          name,
          source,
          descriptor,
          diffId,
          createdBy[i],
          options,
          signal,
          logger,
        );
        blob.Digest = layerDigests[i] || undefined;
        if (!blob.Digest) delete blob.Digest;
        const key = layerKeys[i] as string;
        await options.cache.putBlob(key, blob);
        analysed.set(key, blob);
        progress?.layerDone();
      },
      () => failed.abort(),
    );
  } finally {
    progress?.finish();
  }
  if (missing.missingArtifact) await options.cache.putArtifact(imageKey, artifactInfoOf(config));

  const repoTags = [...source.repoTags];
  const repoDigests = [...source.repoDigests];
  const matched = matchReference(name, repoTags, repoDigests);
  return {
    name,
    type: 'container_image',
    id: imageKey,
    blobIds: layerKeys,
    imageMetadata: {
      id: source.configDigest,
      diffIds: [...diffIds],
      repoTags,
      repoDigests,
      reference: matched?.reference,
      repositoryContext: matched?.context,
      configFile: config,
    },
    analysed,
    layerDigests,
  };
}

async function analyzeOne(
  name: string,
  source: ImageSource,
  descriptor: Descriptor,
  diffId: string,
  createdBy: string | undefined,
  options: InspectOptions,
  signal: AbortSignal,
  logger: Logger,
): Promise<BlobInfo> {
  let stream: Readable;
  try {
    stream = await source.openLayer(descriptor.digest, { signal });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new ScanError(
      'SCAN_LAYER',
      `${name}: cannot fetch layer ${descriptor.digest}: ${messageOf(error)}`,
      error,
    );
  }
  if (options.progress) {
    const progress = options.progress;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        progress.add(chunk.length);
        done(null, chunk);
      },
    });
    // pipeline() hands the blob's errors (a digest mismatch at its end) on to the counter's reader.
    stream = pipeline(stream, counter, () => {});
  }
  logger.debug('analysing layer', { diffId, digest: descriptor.digest, bytes: descriptor.size });
  try {
    const result = await analyzeLayer(
      stream,
      { digest: descriptor.digest, diffId, ...(createdBy ? { createdBy } : {}) },
      {
        analyzers: options.analyzers,
        onAnalyzerError: (analyzer, path, error) =>
          logger.debug('a file could not be analysed', { analyzer, path, error: messageOf(error) }),
      },
    );
    if (result.problems.length > 0) {
      logger.debug('skipped entries in a layer', { diffId, problems: result.problems.length });
    }
    if (result.computedDiffId !== diffId) {
      throw new ScanError(
        'SCAN_LAYER',
        `${name}: layer ${descriptor.digest} unpacks to ${result.computedDiffId}, not to the diff id ${diffId} the image config names; the image is damaged`,
      );
    }
    return result.blob;
  } catch (error) {
    stream.destroy();
    if (error instanceof ScanError || options.signal?.aborted) throw error;
    throw new ScanError('SCAN_LAYER', `${name}: ${messageOf(error)}`, error);
  }
}

/**
 * Trivy's history → CreatedBy per layer: non-empty history entries, "/bin/sh -c " and "#(nop) " trimmed;
 * none at all when their count differs from the layers'.
 */
export function createdByOf(
  history: ReadonlyArray<{ created_by?: string; empty_layer?: boolean }>,
  layers: number,
): Array<string | undefined> {
  const entries = history
    .filter((h) => !h.empty_layer)
    .map((h) => {
      let text = h.created_by ?? '';
      if (text.startsWith('/bin/sh -c ')) text = text.slice('/bin/sh -c '.length);
      if (text.startsWith('#(nop) ')) text = text.slice('#(nop) '.length);
      return text;
    });
  return entries.length === layers ? entries : new Array(layers).fill(undefined);
}

/**
 * The compressed digest Trivy reports for a layer: go-containerregistry treats registry and OCI-layout layers
 * as compressed whatever their media type, and docker-archive layers stored uncompressed (addressed here by
 * their diff id) as uncompressed, which have none.
 */
function layerDigestOf(source: ImageSource, layer: Descriptor, diffId: string): string {
  return source.kind === 'docker-archive' && layer.digest === diffId ? '' : layer.digest;
}

function artifactInfoOf(config: ImageSource['config']): ArtifactInfo {
  const dockerVersion = config.docker_version;
  return {
    SchemaVersion: 1,
    ...(config.architecture ? { Architecture: config.architecture } : {}),
    ...(config.created ? { Created: config.created } : {}),
    ...(typeof dockerVersion === 'string' && dockerVersion ? { DockerVersion: dockerVersion } : {}),
    ...(config.os ? { OS: config.os } : {}),
  };
}
