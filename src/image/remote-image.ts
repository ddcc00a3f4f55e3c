// An image in a registry as an ImageSource: index → platform manifest → config; layers stream on demand.
import { ImageError } from './errors.js';
import type { ImageConfig, ImageSource } from './image-source.js';
import { isIndexType, isObject } from './manifest.js';
import { IMAGE_CONFIG_MEDIA_TYPES, MANIFEST_MEDIA_TYPES, SCHEMA1_MEDIA_TYPES } from './media-types.js';
import { DEFAULT_PLATFORM, type Platform, selectPlatform } from './platform.js';
import { familiarName, formatReference, type ImageReference, repositoryName } from './reference.js';
import type { FetchedManifest, RegistryClient, RequestOptions } from './registry-client.js';

/** Indexes may nest (an index of indexes); deeper than this is a loop or an attack. */
const MAX_INDEX_DEPTH = 4;

export async function openRemoteImage(
  client: RegistryClient,
  ref: ImageReference,
  options: RequestOptions & { platform?: Platform | undefined },
): Promise<ImageSource> {
  const name = formatReference(ref);
  const top = await client.getManifest(ref, options);
  let current: FetchedManifest = top;
  let platform: Platform | undefined;
  for (let depth = 0; current.parsed.kind === 'index'; depth++) {
    if (depth >= MAX_INDEX_DEPTH) {
      throw new ImageError(
        'IMAGE_BAD_MANIFEST',
        `${name}: indexes nest more than ${MAX_INDEX_DEPTH} levels deep`,
      );
    }
    const wanted = options.platform ?? DEFAULT_PLATFORM;
    const entry = selectPlatform(current.parsed.index.manifests, wanted, name);
    platform = entry.platform;
    if (!isIndexType(entry.mediaType) && !isImageManifestType(entry.mediaType)) {
      throw new ImageError(
        'IMAGE_UNSUPPORTED',
        `${name}: the entry for ${entry.digest} has media type ${entry.mediaType}`,
      );
    }
    current = await client.getManifest(ref, { ...options, descriptor: entry });
  }
  if (current.parsed.kind !== 'manifest') throw new Error('unreachable: an index after resolution');
  const manifest = current.parsed.manifest;
  if (!IMAGE_CONFIG_MEDIA_TYPES.has(manifest.config.mediaType)) {
    throw new ImageError(
      'IMAGE_UNSUPPORTED',
      `${name} is not a container image but an OCI artifact (${
        manifest.artifactType ?? manifest.config.mediaType
      }); only images can be scanned`,
    );
  }
  const configBytes = await client.readBlob(ref, manifest.config, options);
  const config = parseConfig(configBytes, name);
  const digestOf = new Map(manifest.layers.map((layer) => [layer.digest, layer]));
  digestOf.set(manifest.config.digest, manifest.config);
  const repo = ref.registry === 'docker.io' ? familiarName(ref) : repositoryName(ref);

  return {
    kind: 'remote',
    reference: name,
    digest: top.digest,
    manifestDigest: current.digest,
    manifest,
    manifestBytes: current.bytes,
    config,
    configBytes,
    configDigest: manifest.config.digest,
    layers: manifest.layers,
    platform,
    repoTags: ref.tag !== undefined && ref.digest === undefined ? [`${repo}:${ref.tag}`] : [],
    repoDigests: [`${repo}@${top.digest}`],
    async openLayer(digest, layerOptions = {}) {
      const descriptor = digestOf.get(digest);
      if (descriptor === undefined) {
        throw new ImageError('IMAGE_NOT_FOUND', `${name} has no layer ${digest}`);
      }
      return client.openBlob(ref, descriptor, layerOptions);
    },
    async close() {},
  };
}

/** Schema 1 entries pass here so that fetching them gives the clear schema 1 error. */
function isImageManifestType(mediaType: string): boolean {
  return MANIFEST_MEDIA_TYPES.has(mediaType) || SCHEMA1_MEDIA_TYPES.has(mediaType);
}

export function parseConfig(bytes: Buffer, name: string): ImageConfig {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new ImageError('IMAGE_BAD_MANIFEST', `the config of ${name} is not valid JSON`, { cause: error });
  }
  if (!isObject(json))
    throw new ImageError('IMAGE_BAD_MANIFEST', `the config of ${name} is not a JSON object`);
  const rootfs = json.rootfs;
  if (rootfs !== undefined && (!isObject(rootfs) || !Array.isArray(rootfs.diff_ids))) {
    throw new ImageError('IMAGE_BAD_MANIFEST', `the config of ${name} has a rootfs without a diff_ids list`);
  }
  return json as ImageConfig;
}
