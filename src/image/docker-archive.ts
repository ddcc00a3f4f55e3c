// `docker save` output as an ImageSource. The archive has no registry manifest: manifest.json lists, per
// image, the config file and the layer files (older Docker: "<id>/layer.tar", uncompressed; Docker 25+:
// "blobs/sha256/<hex>" inside an OCI layout). A Docker v2 manifest is made up for it. A layer's digest is
// its blob name when it has one; an uncompressed layer's digest is its diff id (the config says it); a
// compressed layer without a blob name is hashed once when the archive is opened.
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDigestVerifier, sha256Digest, verifyBytes } from './digest.js';
import { ImageError } from './errors.js';
import type { FileStore } from './file-store.js';
import { MAX_CONFIG_BYTES, parseConfig } from './image-config.js';
import type { ImageSource } from './image-source.js';
import { type Descriptor, type ImageManifest, isObject } from './manifest.js';
import {
  DOCKER_CONFIG,
  DOCKER_LAYER,
  DOCKER_LAYER_GZIP,
  DOCKER_MANIFEST,
  OCI_LAYER_ZSTD,
} from './media-types.js';

interface SavedImage {
  Config: string;
  RepoTags: string[];
  Layers: string[];
}

const BLOB_PATH = /(?:^|\/)blobs\/sha256\/([a-f0-9]{64})$/;

export async function openDockerArchive(
  store: FileStore,
  options: { tag?: string | undefined; signal?: AbortSignal | undefined } = {},
): Promise<ImageSource> {
  const label = store.label;
  const fail = (message: string) => new ImageError('IMAGE_ARCHIVE', `${label}: ${message}`);
  let list: unknown;
  try {
    list = JSON.parse((await store.read('manifest.json', 16 * 1024 * 1024)).toString('utf8'));
  } catch (error) {
    if (error instanceof ImageError) throw error;
    throw fail('manifest.json is not valid JSON');
  }
  if (!Array.isArray(list) || list.length === 0) throw fail('manifest.json lists no images');
  const images = list.map((item, i): SavedImage => {
    if (!isObject(item) || typeof item.Config !== 'string' || !Array.isArray(item.Layers)) {
      throw fail(`manifest.json entry ${i} needs "Config" and "Layers"`);
    }
    return {
      Config: item.Config,
      RepoTags: Array.isArray(item.RepoTags)
        ? item.RepoTags.filter((t): t is string => typeof t === 'string')
        : [],
      Layers: item.Layers.map((layer) => {
        if (typeof layer !== 'string') throw fail(`manifest.json entry ${i} has a layer that is not a path`);
        return layer;
      }),
    };
  });
  const image = chooseImage(images, options.tag, fail);

  const configBytes = await store.read(image.Config, MAX_CONFIG_BYTES);
  const configDigest = sha256Digest(configBytes);
  const named = BLOB_PATH.exec(image.Config);
  if (named)
    verifyBytes(configBytes, { digest: `sha256:${named[1]}`, what: `${label}: config ${image.Config}` });
  const config = parseConfig(configBytes, label);
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== image.Layers.length) {
    throw fail(
      `the config lists ${diffIds.length} layers (rootfs.diff_ids) but manifest.json ${image.Layers.length}`,
    );
  }

  const paths = new Map<string, string>();
  const layers: Descriptor[] = [];
  for (const [i, path] of image.Layers.entries()) {
    const size = await store.size(path);
    const magic = await readMagic(store, path);
    const compression = magic.subarray(0, 2).equals(Buffer.from([0x1f, 0x8b]))
      ? 'gzip'
      : magic.equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))
        ? 'zstd'
        : 'none';
    const blobName = BLOB_PATH.exec(path);
    let digest: string;
    if (blobName) digest = `sha256:${blobName[1]}`;
    else if (compression === 'none') digest = diffIds[i] as string;
    else digest = await hashFile(store, path);
    const mediaType =
      compression === 'gzip' ? DOCKER_LAYER_GZIP : compression === 'zstd' ? OCI_LAYER_ZSTD : DOCKER_LAYER;
    layers.push({ mediaType, digest, size });
    paths.set(digest, path);
  }
  paths.set(configDigest, image.Config);

  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: DOCKER_MANIFEST,
    config: { mediaType: DOCKER_CONFIG, digest: configDigest, size: configBytes.length },
    layers,
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const manifestDigest = sha256Digest(manifestBytes);
  const sizes = new Map(layers.map((l) => [l.digest, l.size]));
  sizes.set(configDigest, configBytes.length);

  return {
    kind: 'docker-archive',
    reference: label,
    digest: manifestDigest,
    manifestDigest,
    manifest,
    manifestBytes,
    config,
    configBytes,
    configDigest,
    layers,
    platform: undefined,
    repoTags: image.RepoTags,
    repoDigests: [],
    async openLayer(digest) {
      const path = paths.get(digest);
      if (path === undefined) throw new ImageError('IMAGE_NOT_FOUND', `${label} has no layer ${digest}`);
      const source = await store.open(path);
      const verifier = createDigestVerifier({
        digest,
        size: sizes.get(digest),
        what: `${label}: layer ${path}`,
      });
      source.on('error', (error) => verifier.destroy(error));
      verifier.on('close', () => source.destroy());
      return source.pipe(verifier);
    },
    async close() {},
  };
}

function chooseImage(
  images: SavedImage[],
  tag: string | undefined,
  fail: (message: string) => ImageError,
): SavedImage {
  if (tag !== undefined) {
    const match = images.find((image) => image.RepoTags.some((t) => t === tag || t.endsWith(`/${tag}`)));
    if (match === undefined) {
      throw fail(
        `no image tagged ${tag}; the archive has ${images.flatMap((i) => i.RepoTags).join(', ') || 'untagged images'}`,
      );
    }
    return match;
  }
  if (images.length === 1) return images[0] as SavedImage;
  throw fail(
    `the archive holds ${images.length} images (${images.map((i) => i.RepoTags.join(' ') || '<untagged>').join(', ')}); name one as <archive>:<repo:tag>`,
  );
}

async function readMagic(store: FileStore, path: string): Promise<Buffer> {
  const stream = await store.open(path);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= 4) break;
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, 4);
}

async function hashFile(store: FileStore, path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(
    await store.open(path),
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        callback();
      },
    }),
  );
  return `sha256:${hash.digest('hex')}`;
}
