// An OCI image layout (a directory, or the same packed as a tar) as an ImageSource: oci-layout says what it
// is, index.json lists the images, blobs/sha256/<hex> holds every manifest, config and layer.
import { createDigestVerifier, verifyBytes } from './digest.js';
import { ImageError } from './errors.js';
import type { FileStore } from './file-store.js';
import { MAX_CONFIG_BYTES, parseConfig } from './image-config.js';
import type { ImageSource } from './image-source.js';
import { type Descriptor, isObject, MAX_MANIFEST_BYTES, parseManifest } from './manifest.js';
import { DEFAULT_PLATFORM, type Platform, selectPlatform } from './platform.js';
import { type ManifestContent, resolveImageManifest } from './resolve.js';

const REF_NAME = 'org.opencontainers.image.ref.name';
const CONTAINERD_NAME = 'io.containerd.image.name';

export async function openOciLayout(
  store: FileStore,
  options: { name?: string | undefined; platform?: Platform | undefined } = {},
): Promise<ImageSource> {
  const label = store.label;
  const fail = (message: string) => new ImageError('IMAGE_ARCHIVE', `${label}: ${message}`);
  let layout: unknown;
  try {
    layout = JSON.parse((await store.read('oci-layout', 64 * 1024)).toString('utf8'));
  } catch (error) {
    if (error instanceof ImageError) throw error;
    throw fail('oci-layout is not valid JSON');
  }
  if (!isObject(layout) || typeof layout.imageLayoutVersion !== 'string') {
    throw fail('oci-layout has no imageLayoutVersion: this is not an OCI image layout');
  }
  const indexBytes = await store.read('index.json', MAX_MANIFEST_BYTES);
  const index = parseManifest(indexBytes, '', `${label} index.json`);
  if (index.kind !== 'index') throw fail('index.json is not an image index');

  const blobPath = (digest: string) => `blobs/${digest.replace(':', '/')}`;
  const readManifest = async (descriptor: Descriptor): Promise<ManifestContent> => {
    if (descriptor.size > MAX_MANIFEST_BYTES) throw fail(`manifest ${descriptor.digest} is too large`);
    const bytes = await store.read(blobPath(descriptor.digest), MAX_MANIFEST_BYTES);
    verifyBytes(bytes, {
      digest: descriptor.digest,
      size: descriptor.size,
      what: `${label}: manifest ${descriptor.digest}`,
    });
    return {
      digest: descriptor.digest,
      bytes,
      parsed: parseManifest(bytes, descriptor.mediaType, `${label}@${descriptor.digest}`),
    };
  };

  const top = chooseTop(index.index.manifests, options, label, fail);
  const topContent = await readManifest(top);
  const { content, manifest, platform } = await resolveImageManifest(
    topContent,
    readManifest,
    options.platform,
    label,
  );
  const configBytes = await store.read(blobPath(manifest.config.digest), MAX_CONFIG_BYTES);
  verifyBytes(configBytes, {
    digest: manifest.config.digest,
    size: manifest.config.size,
    what: `${label}: config`,
  });
  const config = parseConfig(configBytes, label);
  const blobs = new Map(manifest.layers.map((layer) => [layer.digest, layer]));
  blobs.set(manifest.config.digest, manifest.config);
  const name = top.annotations?.[REF_NAME] ?? top.annotations?.[CONTAINERD_NAME];

  return {
    kind: 'oci-layout',
    reference: label,
    digest: top.digest,
    manifestDigest: content.digest,
    manifest,
    manifestBytes: content.bytes,
    config,
    configBytes,
    configDigest: manifest.config.digest,
    layers: manifest.layers,
    platform,
    repoTags: name?.includes(':') ? [name] : [],
    repoDigests: [],
    async openLayer(digest) {
      const descriptor = blobs.get(digest);
      if (descriptor === undefined)
        throw new ImageError('IMAGE_NOT_FOUND', `${label} has no layer ${digest}`);
      const source = await store.open(blobPath(digest));
      const verifier = createDigestVerifier({
        digest,
        size: descriptor.size,
        what: `${label}: blob ${digest}`,
      });
      source.on('error', (error) => verifier.destroy(error));
      verifier.on('close', () => source.destroy());
      return source.pipe(verifier);
    },
    async close() {},
  };
}

/**
 * The entry of index.json to use: the one named (ref.name annotation, or containerd's image name ending in
 * ":<name>"), the only one, or — when all entries carry platforms — the one for the platform.
 */
function chooseTop(
  manifests: Descriptor[],
  options: { name?: string | undefined; platform?: Platform | undefined },
  label: string,
  fail: (message: string) => ImageError,
): Descriptor {
  const names = (d: Descriptor) =>
    [d.annotations?.[REF_NAME], d.annotations?.[CONTAINERD_NAME]].filter((n) => n !== undefined);
  if (manifests.length === 0) throw fail('index.json lists no images');
  if (options.name !== undefined) {
    const wanted = options.name;
    const match = manifests.find((d) => names(d).some((n) => n === wanted || n.endsWith(`:${wanted}`)));
    if (match === undefined) {
      throw fail(
        `no image named ${wanted}; index.json names ${manifests.flatMap(names).join(', ') || 'none'}`,
      );
    }
    return match;
  }
  if (manifests.length === 1) return manifests[0] as Descriptor;
  if (manifests.every((d) => d.platform !== undefined)) {
    // A flat multi-platform layout: index.json itself acts as the image index.
    return selectPlatform(manifests, options.platform ?? DEFAULT_PLATFORM, label);
  }
  throw fail(
    `index.json lists ${manifests.length} images (${manifests.map((d) => names(d)[0] ?? d.digest).join(', ')}); name one as <layout>:<ref.name>`,
  );
}
