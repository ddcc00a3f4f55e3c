// --input: docker-save archives (legacy and Docker 25+ layouts, plain and gzip'd, tar or directory) and OCI
// image layouts (directory or tar, nested indexes, several images), built here from real layers with GNU tar.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { buildLayer, type Layer } from '../../test/env/image-builder.js';
import { ImageError } from './errors.js';
import { openImageInput } from './input.js';
import {
  DOCKER_LAYER,
  DOCKER_LAYER_GZIP,
  OCI_CONFIG,
  OCI_INDEX,
  OCI_LAYER_GZIP,
  OCI_MANIFEST,
} from './media-types.js';
import { parsePlatform } from './platform.js';
import { drain, scratchDir } from './testkit.js';

const sha = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const hex = (digest: string) => digest.slice('sha256:'.length);

function imageConfig(layers: Layer[], architecture = 'amd64'): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture,
      os: 'linux',
      config: { Env: ['PATH=/usr/bin'], Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map(() => ({ created_by: 'test' })),
    }),
  );
}

function put(dir: string, path: string, content: Buffer | string): void {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), content);
}

function tarUp(dir: string, file: string, gzip = false): string {
  execFileSync('tar', [gzip ? '-czf' : '-cf', file, '-C', dir, '.']);
  return file;
}

describe('--input', () => {
  const scratch = scratchDir('input');
  let layers: Layer[];
  let uncompressed: Buffer[];

  before(async () => {
    layers = [
      await buildLayer({ files: [{ path: '/etc/os-release', content: 'ID=alpine\nVERSION_ID=3.19.1\n' }] }),
      await buildLayer({ files: [{ path: `/opt/${'deep/'.repeat(30)}file.txt`, content: 'long path\n' }] }),
    ];
    uncompressed = layers.map((l) => gunzipSync(readFileSync(l.file)));
  });
  after(async () => {
    for (const layer of layers ?? []) await rm(layer.file, { force: true });
    scratch.cleanup();
  });

  /** docker save before Docker 25: "<id>/layer.tar" (uncompressed), "<hex>.json", a symlinked duplicate. */
  function legacyArchive(name: string, tags: string[][]): string {
    const dir = join(scratch.dir, name);
    const config = imageConfig([...layers, layers[0]!]);
    put(dir, `${hex(sha(config))}.json`, config);
    put(dir, 'aaa/layer.tar', uncompressed[0]!);
    put(dir, 'bbb/layer.tar', uncompressed[1]!);
    mkdirSync(join(dir, 'ccc'));
    symlinkSync('../aaa/layer.tar', join(dir, 'ccc/layer.tar'));
    const entries = tags.map((RepoTags) => ({
      Config: `${hex(sha(config))}.json`,
      RepoTags,
      Layers: ['aaa/layer.tar', 'bbb/layer.tar', 'ccc/layer.tar'],
    }));
    put(dir, 'manifest.json', JSON.stringify(entries));
    return dir;
  }

  test('a legacy docker save archive (tar, tar.gz and unpacked) with uncompressed and symlinked layers', async () => {
    const dir = legacyArchive('legacy', [['example.com/app:1.0']]);
    const config = imageConfig([...layers, layers[0]!]);
    const inputs = [
      tarUp(dir, join(scratch.dir, 'legacy.tar')),
      tarUp(dir, join(scratch.dir, 'legacy.tar.gz'), true),
      dir,
    ];
    for (const input of inputs) {
      const image = await openImageInput(input);
      assert.equal(image.kind, 'docker-archive', input);
      assert.equal(image.reference, input);
      assert.equal(image.configDigest, sha(config));
      assert.deepEqual(image.configBytes, config);
      assert.deepEqual(image.repoTags, ['example.com/app:1.0']);
      assert.deepEqual(
        image.layers.map((l) => [l.mediaType, l.digest, l.size]),
        [
          [DOCKER_LAYER, layers[0]!.diffId, uncompressed[0]!.length],
          [DOCKER_LAYER, layers[1]!.diffId, uncompressed[1]!.length],
          [DOCKER_LAYER, layers[0]!.diffId, uncompressed[0]!.length],
        ],
        input,
      );
      assert.equal(image.digest, sha(image.manifestBytes));
      for (const [i, layer] of layers.entries()) {
        const bytes = await drain(await image.openLayer(layer.diffId));
        assert.deepEqual(bytes, uncompressed[i], `${input} layer ${i}`);
      }
      assert.deepEqual(await drain(await image.openLayer(image.configDigest)), config);
    }
  });

  test('several images in one archive: an error listing them, and archive:repo:tag to choose', async () => {
    const dir = legacyArchive('multi', [['example.com/app:1.0'], ['example.com/app:2.0', 'other:latest']]);
    const file = tarUp(dir, join(scratch.dir, 'multi.tar'));
    await assert.rejects(openImageInput(file), (error: unknown) => {
      assert.ok(ImageError.is(error, 'IMAGE_ARCHIVE'));
      assert.match(
        error.message,
        /holds 2 images \(example\.com\/app:1\.0, example\.com\/app:2\.0 other:latest\)/,
      );
      return true;
    });
    const chosen = await openImageInput(`${file}:other:latest`);
    assert.deepEqual(chosen.repoTags, ['example.com/app:2.0', 'other:latest']);
    await assert.rejects(openImageInput(`${file}:nope:1`), /no image tagged nope:1/);
  });

  test('a Docker 25+ save (OCI blobs beside manifest.json) with gzip layers', async () => {
    const dir = join(scratch.dir, 'docker25');
    const config = imageConfig(layers);
    put(dir, `blobs/sha256/${hex(sha(config))}`, config);
    for (const layer of layers) put(dir, `blobs/sha256/${hex(layer.digest)}`, readFileSync(layer.file));
    put(dir, 'oci-layout', '{"imageLayoutVersion":"1.0.0"}');
    put(dir, 'index.json', JSON.stringify({ schemaVersion: 2, manifests: [] }));
    put(
      dir,
      'manifest.json',
      JSON.stringify([
        {
          Config: `blobs/sha256/${hex(sha(config))}`,
          RepoTags: ['app:25'],
          Layers: layers.map((l) => `blobs/sha256/${hex(l.digest)}`),
        },
      ]),
    );
    const image = await openImageInput(tarUp(dir, join(scratch.dir, 'docker25.tar')));
    assert.equal(image.kind, 'docker-archive', 'manifest.json wins over the OCI layout beside it');
    assert.deepEqual(
      image.layers.map((l) => [l.mediaType, l.digest, l.size]),
      layers.map((l) => [DOCKER_LAYER_GZIP, l.digest, l.size]),
    );
    assert.deepEqual(await drain(await image.openLayer(layers[1]!.digest)), readFileSync(layers[1]!.file));
  });

  /** An OCI layout whose index.json names a multi-platform index (amd64 + arm64) and a second image. */
  function ociLayout(name: string): {
    dir: string;
    amdManifest: Buffer;
    armManifest: Buffer;
    innerIndex: Buffer;
  } {
    const dir = join(scratch.dir, name);
    const blob = (content: Buffer) => {
      put(dir, `blobs/sha256/${hex(sha(content))}`, content);
      return { digest: sha(content), size: content.length };
    };
    const manifestFor = (config: Buffer, imageLayers: Layer[]) =>
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: { mediaType: OCI_CONFIG, ...blob(config) },
          layers: imageLayers.map((l) => ({ mediaType: OCI_LAYER_GZIP, ...blob(readFileSync(l.file)) })),
        }),
      );
    const amdManifest = manifestFor(imageConfig(layers), layers);
    const armManifest = manifestFor(imageConfig([layers[1]!], 'arm64'), [layers[1]!]);
    const innerIndex = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [
          { mediaType: OCI_MANIFEST, ...blob(amdManifest), platform: { os: 'linux', architecture: 'amd64' } },
          { mediaType: OCI_MANIFEST, ...blob(armManifest), platform: { os: 'linux', architecture: 'arm64' } },
        ],
      }),
    );
    put(dir, 'oci-layout', '{"imageLayoutVersion":"1.0.0"}');
    put(
      dir,
      'index.json',
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: OCI_INDEX,
            ...blob(innerIndex),
            annotations: { 'org.opencontainers.image.ref.name': 'multi' },
          },
          {
            mediaType: OCI_MANIFEST,
            ...blob(armManifest),
            annotations: { 'org.opencontainers.image.ref.name': 'armonly' },
          },
        ],
      }),
    );
    return { dir, amdManifest, armManifest, innerIndex };
  }

  test('an OCI layout: choose by ref.name, then by platform through a nested index; directory and tar', async () => {
    const { dir, amdManifest, armManifest, innerIndex } = ociLayout('layout');
    const file = tarUp(dir, join(scratch.dir, 'layout.tar'));
    for (const base of [dir, file]) {
      await assert.rejects(
        openImageInput(base),
        /index\.json lists 2 images \(multi, armonly\); name one as <layout>:<ref\.name>/,
      );
      const amd = await openImageInput(`${base}:multi`);
      assert.equal(amd.kind, 'oci-layout');
      assert.equal(amd.digest, sha(innerIndex));
      assert.equal(amd.manifestDigest, sha(amdManifest));
      assert.deepEqual(amd.platform, { os: 'linux', architecture: 'amd64' });
      assert.equal(amd.layers.length, 2);
      assert.deepEqual(await drain(await amd.openLayer(layers[0]!.digest)), readFileSync(layers[0]!.file));

      const arm = await openImageInput(`${base}:multi`, { platform: parsePlatform('linux/arm64') });
      assert.equal(arm.manifestDigest, sha(armManifest));
      assert.equal(arm.config.architecture, 'arm64');
      await assert.rejects(
        openImageInput(`${base}:multi`, { platform: parsePlatform('linux/ppc64le') }),
        (error: unknown) =>
          ImageError.is(error, 'IMAGE_PLATFORM') &&
          /available platforms: linux\/amd64, linux\/arm64/.test(error.message),
      );
      const only = await openImageInput(`${base}:armonly`);
      assert.equal(only.digest, sha(armManifest));
    }
  });

  test('a corrupted or missing blob in an OCI layout, and inputs that are not images', async () => {
    const { dir } = ociLayout('broken');
    const blobFile = join(dir, 'blobs/sha256', hex(layers[0]!.digest));
    const bytes = readFileSync(blobFile);
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 0xff;
    writeFileSync(blobFile, bytes);
    const image = await openImageInput(`${dir}:multi`);
    await assert.rejects(
      drain(await image.openLayer(layers[0]!.digest)),
      (error: unknown) =>
        ImageError.is(error, 'IMAGE_DIGEST_MISMATCH') &&
        error.message.includes(`expected ${layers[0]!.digest}`),
    );
    await rm(join(dir, 'blobs/sha256', hex(sha(imageConfig(layers)))));
    await assert.rejects(openImageInput(`${dir}:multi`), /blobs\/sha256\/[a-f0-9]{64} is missing/);

    const empty = join(scratch.dir, 'empty-dir');
    mkdirSync(empty);
    await assert.rejects(openImageInput(empty), /neither a docker-archive .* nor an OCI layout/);
    await assert.rejects(openImageInput(join(scratch.dir, 'no-such.tar')), /no such file or directory/);
    const notTar = join(scratch.dir, 'not.tar');
    writeFileSync(notTar, Buffer.alloc(2048, 7));
    await assert.rejects(
      openImageInput(notTar),
      (error: unknown) =>
        ImageError.is(error, 'IMAGE_ARCHIVE') &&
        /not a readable tar archive: bad tar header checksum/.test(error.message),
    );
    const escaping = join(scratch.dir, 'escape');
    put(
      escaping,
      'manifest.json',
      JSON.stringify([{ Config: '../../etc/passwd', RepoTags: [], Layers: [] }]),
    );
    await assert.rejects(
      openImageInput(escaping),
      /the path "\.\.\/\.\.\/etc\/passwd" leaves the image root/,
    );
  });
});
