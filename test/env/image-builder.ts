import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { Descriptor, LocalRegistry } from './registry.js';
import { runBuildScript } from './run-tool.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
export const DOCKER_LAYER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
export const OCI_LAYER_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
export const OCI_LAYER_PLAIN = 'application/vnd.oci.image.layer.v1.tar';

/** A tar layer on disk (gzip by default) with the two digests an image needs. */
export interface Layer {
  file: string;
  /** How the blob is compressed; decides the layer media type. Default gzip. */
  compression?: 'gzip' | 'zstd' | 'none';
  /** sha256 of the compressed blob (the manifest's layer digest). */
  digest: string;
  /** sha256 of the uncompressed tar (the config's rootfs.diff_ids). */
  diffId: string;
  size: number;
}

/** What a layer adds on top of the ones below it. */
export interface LayerContent {
  /** Files by absolute path in the image. */
  files?: Array<{ path: string; content: string | Buffer; mode?: number }>;
  /** Directory trees copied in: host directory → absolute path in the image (e.g. a node_modules tree). */
  trees?: Array<{ from: string; to: string }>;
  /** Paths deleted from lower layers (a whiteout file `.wh.<name>`). */
  delete?: string[];
  /** Directories whose lower-layer content is hidden (an opaque whiteout `.wh..wh..opq`). */
  opaque?: string[];
}

export interface PushedImage {
  /** registry/repository:tag */
  reference: string;
  /** registry/repository@sha256:… */
  digestReference: string;
  manifestDigest: string;
  manifest: { config: Descriptor; layers: Descriptor[]; mediaType: string; schemaVersion: 2 };
  config: Record<string, unknown>;
  configDigest: string;
  layers: Layer[];
}

export interface DebianBase {
  layer: Layer;
  /** Installed packages: name, version, source name, source version. */
  packages: Array<{ name: string; version: string; sourceName: string; sourceVersion: string }>;
}

/**
 * Builds the debootstrapped Debian bookworm layer once (tools/build-debian-rootfs.sh caches it outside the
 * repository) and returns it with its digests and package list.
 */
export async function debianBase(suite = 'bookworm'): Promise<DebianBase> {
  const dir = await runBuildScript('build-debian-rootfs.sh', [suite]);
  const file = join(dir, 'layer.tar.gz');
  const digestsFile = join(dir, 'digests.json');
  let digests: { digest: string; diffId: string; size: number };
  if (existsSync(digestsFile)) {
    digests = JSON.parse(await readFile(digestsFile, 'utf8')) as typeof digests;
  } else {
    digests = await layerDigests(file);
    await writeFile(digestsFile, JSON.stringify(digests));
  }
  const packages = (await readFile(join(dir, 'packages.tsv'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => {
      const [name = '', version = '', sourceName = '', sourceVersion = ''] = line.split('\t');
      return { name, version, sourceName: sourceName || name, sourceVersion: sourceVersion || version };
    });
  return { layer: { file, ...digests }, packages };
}

/** Writes a tar layer from a description, with deterministic order, owners and times; gzip unless told. */
export async function buildLayer(
  content: LayerContent,
  workDir?: string,
  compression: 'gzip' | 'zstd' | 'none' = 'gzip',
): Promise<Layer> {
  const work = await mkdtemp(join(workDir ?? tmpdir(), 'vigil-layer-'));
  const root = join(work, 'root');
  await mkdir(root);
  try {
    const inRoot = (path: string) => {
      const target = normalize(join(root, path));
      if (!target.startsWith(`${root}/`)) throw new Error(`layer path ${path} escapes the layer root`);
      return target;
    };
    for (const file of content.files ?? []) {
      const target = inRoot(file.path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, file.content, { mode: file.mode ?? 0o644 });
    }
    for (const tree of content.trees ?? []) {
      const target = inRoot(tree.to);
      await mkdir(dirname(target), { recursive: true });
      await cp(tree.from, target, { recursive: true, verbatimSymlinks: true });
    }
    for (const path of content.delete ?? []) {
      const target = inRoot(path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(join(dirname(target), `.wh.${target.slice(dirname(target).length + 1)}`), '');
    }
    for (const path of content.opaque ?? []) {
      const target = inRoot(path);
      await mkdir(target, { recursive: true });
      await writeFile(join(target, '.wh..wh..opq'), '');
    }
    const suffix = { gzip: '.tar.gz', zstd: '.tar.zst', none: '.tar' }[compression];
    const name = `vigil-layer-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}${suffix}`;
    const file = join(workDir ?? tmpdir(), name);
    const diffId = await tarDirectory(root, file, compression);
    const { digest, size } = await blobDigest(file);
    return { file, digest, diffId, size, compression };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Pushes an image made of layers (bottom first) and returns everything a test may check. */
export async function pushImage(
  registry: LocalRegistry,
  repository: string,
  tag: string,
  layers: Layer[],
  options: {
    format?: 'oci' | 'docker';
    env?: string[];
    cmd?: string[];
    architecture?: string;
    os?: string;
  } = {},
): Promise<PushedImage> {
  const docker = options.format === 'docker';
  for (const layer of layers) await registry.pushBlob(repository, { file: layer.file });
  const config = {
    architecture: options.architecture ?? 'amd64',
    os: options.os ?? 'linux',
    created: '2026-01-01T00:00:00Z',
    config: {
      Env: options.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      Cmd: options.cmd ?? ['bash'],
    },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((_, i) => ({ created: '2026-01-01T00:00:00Z', created_by: `vigil test layer ${i}` })),
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const configBlob = await registry.pushBlob(repository, configBytes);
  const manifest = {
    schemaVersion: 2 as const,
    mediaType: docker ? DOCKER_MANIFEST : OCI_MANIFEST,
    config: {
      mediaType: docker ? DOCKER_CONFIG : OCI_CONFIG,
      digest: configBlob.digest,
      size: configBlob.size,
    },
    layers: layers.map((l) => ({ mediaType: layerMediaType(l, docker), digest: l.digest, size: l.size })),
  };
  const manifestDigest = await registry.pushManifest(repository, tag, manifest, manifest.mediaType);
  return {
    reference: `${registry.host}/${repository}:${tag}`,
    digestReference: `${registry.host}/${repository}@${manifestDigest}`,
    manifestDigest,
    manifest,
    config,
    configDigest: configBlob.digest,
    layers,
  };
}

/** Pushes an OCI artifact: an empty or given config and opaque layers, as trivy-db is published. */
export async function pushArtifact(
  registry: LocalRegistry,
  repository: string,
  tag: string,
  artifact: {
    artifactType?: string;
    config?: { mediaType: string; content: Buffer };
    layers: Array<{
      mediaType: string;
      content: Buffer | { file: string };
      annotations?: Record<string, string>;
    }>;
    annotations?: Record<string, string>;
  },
): Promise<{ manifestDigest: string; manifest: Record<string, unknown> }> {
  const configContent = artifact.config?.content ?? Buffer.from('{}');
  const configBlob = await registry.pushBlob(repository, configContent);
  const layers: Descriptor[] = [];
  for (const layer of artifact.layers) {
    const blob = await registry.pushBlob(repository, layer.content);
    layers.push({
      mediaType: layer.mediaType,
      digest: blob.digest,
      size: blob.size,
      ...(layer.annotations ? { annotations: layer.annotations } : {}),
    });
  }
  const manifest: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    ...(artifact.artifactType ? { artifactType: artifact.artifactType } : {}),
    config: {
      mediaType: artifact.config?.mediaType ?? 'application/vnd.oci.empty.v1+json',
      digest: configBlob.digest,
      size: configBlob.size,
    },
    layers,
    ...(artifact.annotations ? { annotations: artifact.annotations } : {}),
  };
  const manifestDigest = await registry.pushManifest(repository, tag, manifest, OCI_MANIFEST);
  return { manifestDigest, manifest };
}

/** Pushes an OCI index over already-pushed manifests (a multi-platform image). */
export async function pushIndex(
  registry: LocalRegistry,
  repository: string,
  tag: string,
  manifests: Descriptor[],
): Promise<string> {
  return registry.pushManifest(
    repository,
    tag,
    { schemaVersion: 2, mediaType: OCI_INDEX, manifests },
    OCI_INDEX,
  );
}

function layerMediaType(layer: Layer, docker: boolean): string {
  const compression = layer.compression ?? 'gzip';
  if (compression === 'gzip') return docker ? DOCKER_LAYER_GZIP : OCI_LAYER_GZIP;
  if (docker)
    throw new Error(
      'Docker v2 manifests have no zstd or uncompressed layer media type here; use the OCI format',
    );
  return compression === 'zstd' ? OCI_LAYER_ZSTD : OCI_LAYER_PLAIN;
}

/** tar (GNU, sorted, numeric root owners) | sha256 (diff id) | gzip or zstd (Debian zstd) → file; returns the diff id. */
async function tarDirectory(
  root: string,
  file: string,
  compression: 'gzip' | 'zstd' | 'none',
): Promise<string> {
  const tar = spawn(
    'tar',
    [
      '--sort=name',
      '--numeric-owner',
      '--owner=0',
      '--group=0',
      '--mtime=@1767225600',
      '-C',
      root,
      '-cf',
      '-',
      '.',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  tar.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const hash = createHash('sha256');
  tar.stdout.on('data', (chunk: Buffer) => hash.update(chunk));
  const exited = new Promise<number>((resolve) => tar.on('close', (code) => resolve(code ?? 1)));
  if (compression === 'zstd') {
    const zstd = spawn('zstd', ['-q', '-3', '-c'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const zstdExited = new Promise<number>((resolve) => zstd.on('close', (code) => resolve(code ?? 1)));
    await Promise.all([pipeline(tar.stdout, zstd.stdin), pipeline(zstd.stdout, createWriteStream(file))]);
    if ((await zstdExited) !== 0) throw new Error('zstd failed');
  } else if (compression === 'none') {
    await pipeline(tar.stdout, createWriteStream(file));
  } else {
    await pipeline(tar.stdout, createGzip({ level: 6 }), createWriteStream(file));
  }
  if ((await exited) !== 0) throw new Error(`tar failed: ${stderr.trim()}`);
  return `sha256:${hash.digest('hex')}`;
}

async function blobDigest(file: string): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

/** Both digests of an existing gzip'd layer. */
export async function layerDigests(file: string): Promise<{ digest: string; diffId: string; size: number }> {
  const { digest, size } = await blobDigest(file);
  const hash = createHash('sha256');
  const gunzip = createReadStream(file).pipe(createGunzip());
  for await (const chunk of gunzip) hash.update(chunk as Buffer);
  return { digest, diffId: `sha256:${hash.digest('hex')}`, size };
}
