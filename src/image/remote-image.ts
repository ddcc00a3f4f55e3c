// An image in a registry as an ImageSource: index → platform manifest → config; layers stream on demand.
import { ImageError } from './errors.js';
import { MAX_CONFIG_BYTES, parseConfig } from './image-config.js';
import type { ImageSource } from './image-source.js';
import type { Platform } from './platform.js';
import {
  DOCKER_HUB,
  familiarName,
  formatReference,
  type ImageReference,
  repositoryName,
} from './reference.js';
import type { RegistryClient, RequestOptions } from './registry-client.js';
import { resolveImageManifest } from './resolve.js';

export async function openRemoteImage(
  client: RegistryClient,
  ref: ImageReference,
  options: RequestOptions & { platform?: Platform | undefined },
): Promise<ImageSource> {
  const name = formatReference(ref);
  const top = await client.getManifest(ref, options);
  const { content, manifest, platform } = await resolveImageManifest(
    top,
    (descriptor) => client.getManifest(ref, { ...options, descriptor }),
    options.platform,
    name,
  );
  const configBytes = await client.readBlob(ref, manifest.config, { ...options, maxBytes: MAX_CONFIG_BYTES });
  const config = parseConfig(configBytes, name);
  const blobs = new Map(manifest.layers.map((layer) => [layer.digest, layer]));
  blobs.set(manifest.config.digest, manifest.config);
  const repo = ref.registry === DOCKER_HUB ? familiarName(ref) : repositoryName(ref);

  return {
    kind: 'remote',
    reference: name,
    digest: top.digest,
    manifestDigest: content.digest,
    manifest,
    manifestBytes: content.bytes,
    config,
    configBytes,
    configDigest: manifest.config.digest,
    layers: manifest.layers,
    platform,
    repoTags: ref.tag !== undefined && ref.digest === undefined ? [`${repo}:${ref.tag}`] : [],
    repoDigests: [`${repo}@${top.digest}`],
    async openLayer(digest, layerOptions = {}) {
      const descriptor = blobs.get(digest);
      if (descriptor === undefined) throw new ImageError('IMAGE_NOT_FOUND', `${name} has no layer ${digest}`);
      return client.openBlob(ref, descriptor, layerOptions);
    },
    async close() {},
  };
}
