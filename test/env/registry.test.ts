import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import {
  buildLayer,
  debianBase,
  OCI_LAYER_ZSTD,
  OCI_MANIFEST,
  pushArtifact,
  pushImage,
  pushIndex,
} from './image-builder.js';
import { type LocalRegistry, startRegistry } from './registry.js';

const sha = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

function tarEntries(gzipped: Buffer): string[] {
  const file = join(tmpdir(), `vigil-entries-${process.pid}.tar.gz`);
  writeFileSync(file, gzipped);
  try {
    return execFileSync('tar', ['-tzf', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
      .trim()
      .split('\n');
  } finally {
    void rm(file, { force: true });
  }
}

describe('local OCI registry and image builder', () => {
  let registry: LocalRegistry;
  before(async () => {
    registry = await startRegistry();
  });
  after(async () => {
    await registry?.stop();
  });

  test('the debootstrapped Debian image is pushed, and its manifest, config and every layer come back by digest', async () => {
    const base = await debianBase();
    assert.ok(base.packages.length > 50, `a minbase bookworm has >50 packages, got ${base.packages.length}`);
    const dpkg = base.packages.find((p) => p.name === 'dpkg');
    assert.ok(dpkg && /^1\.21\./.test(dpkg.version), `bookworm ships dpkg 1.21.x, got ${dpkg?.version}`);

    const extra = await buildLayer({
      files: [{ path: '/opt/app/hello.txt', content: 'hello\n' }],
      delete: ['/usr/share/doc/dpkg'],
      opaque: ['/var/cache'],
    });
    const image = await pushImage(registry, 'test/debian', 'bookworm', [base.layer, extra]);
    assert.match(image.reference, /^127\.0\.0\.1:\d+\/test\/debian:bookworm$/);

    const manifest = await registry.fetchManifest('test/debian', image.manifestDigest);
    assert.equal(manifest.digest, image.manifestDigest);
    assert.equal(sha(manifest.body), image.manifestDigest, 'the manifest bytes hash to their digest');
    assert.equal(manifest.mediaType, OCI_MANIFEST);
    const parsed = JSON.parse(manifest.body.toString()) as typeof image.manifest;
    assert.equal(parsed.layers.length, 2);

    const config = await registry.fetchBlob('test/debian', parsed.config.digest);
    assert.equal(sha(config), parsed.config.digest);
    const configJson = JSON.parse(config.toString()) as { rootfs: { diff_ids: string[] }; os: string };
    assert.equal(configJson.os, 'linux');

    for (const [index, descriptor] of parsed.layers.entries()) {
      const blob = await registry.fetchBlob('test/debian', descriptor.digest);
      assert.equal(blob.length, descriptor.size, `layer ${index} size`);
      assert.equal(sha(blob), descriptor.digest, `layer ${index} digest`);
      assert.equal(sha(gunzipSync(blob)), configJson.rootfs.diff_ids[index], `layer ${index} diff id`);
    }

    const baseBlob = await registry.fetchBlob('test/debian', parsed.layers[0]!.digest);
    const baseEntries = tarEntries(baseBlob);
    assert.ok(baseEntries.includes('./etc/debian_version'));
    assert.ok(baseEntries.includes('./var/lib/dpkg/status'));
    assert.ok(
      !baseEntries.some((e) => e.startsWith('./dev/') && e !== './dev/'),
      'no device nodes in the image',
    );
    const extraEntries = tarEntries(await registry.fetchBlob('test/debian', parsed.layers[1]!.digest));
    assert.ok(extraEntries.includes('./opt/app/hello.txt'));
    assert.ok(extraEntries.includes('./usr/share/doc/.wh.dpkg'), 'deletion is a whiteout file');
    assert.ok(extraEntries.includes('./var/cache/.wh..wh..opq'), 'opaque directory marker');
    await rm(extra.file, { force: true });
  });

  test('an OCI artifact and a multi-platform index round-trip', async () => {
    const payload = Buffer.from('not really a database');
    const artifact = await pushArtifact(registry, 'test/db', '2', {
      config: { mediaType: 'application/vnd.aquasec.trivy.config.v1+json', content: Buffer.from('{}') },
      layers: [
        {
          mediaType: 'application/vnd.aquasec.trivy.db.layer.v1.tar+gzip',
          content: payload,
          annotations: { 'org.opencontainers.image.title': 'db.tar.gz' },
        },
      ],
    });
    const fetched = await registry.fetchManifest('test/db', '2');
    assert.equal(fetched.digest, artifact.manifestDigest);
    const layers = (
      JSON.parse(fetched.body.toString()) as { layers: Array<{ digest: string; mediaType: string }> }
    ).layers;
    assert.equal(layers[0]?.mediaType, 'application/vnd.aquasec.trivy.db.layer.v1.tar+gzip');
    assert.deepEqual(await registry.fetchBlob('test/db', layers[0]!.digest), payload);

    const layer = await buildLayer({ files: [{ path: '/etc/os-release', content: 'ID=test\n' }] });
    const amd = await pushImage(registry, 'test/multi', 'amd64', [layer]);
    const arm = await pushImage(registry, 'test/multi', 'arm64', [layer], { architecture: 'arm64' });
    const indexDigest = await pushIndex(registry, 'test/multi', 'latest', [
      {
        mediaType: OCI_MANIFEST,
        digest: amd.manifestDigest,
        size: Buffer.byteLength(JSON.stringify(amd.manifest)),
        platform: { os: 'linux', architecture: 'amd64' },
      },
      {
        mediaType: OCI_MANIFEST,
        digest: arm.manifestDigest,
        size: Buffer.byteLength(JSON.stringify(arm.manifest)),
        platform: { os: 'linux', architecture: 'arm64' },
      },
    ]);
    const index = await registry.fetchManifest('test/multi', 'latest');
    assert.equal(index.digest, indexDigest);
    const platforms = (
      JSON.parse(index.body.toString()) as { manifests: Array<{ platform: { architecture: string } }> }
    ).manifests.map((m) => m.platform.architecture);
    assert.deepEqual(platforms, ['amd64', 'arm64']);
    await rm(layer.file, { force: true });
  });

  test('a zstd-compressed layer is pushed with the OCI zstd media type and decompresses to its diff id', async () => {
    const layer = await buildLayer(
      { files: [{ path: '/etc/zstd-marker', content: 'zstd\n' }] },
      undefined,
      'zstd',
    );
    const image = await pushImage(registry, 'test/zstd', 'v1', [layer]);
    assert.equal(image.manifest.layers[0]?.mediaType, OCI_LAYER_ZSTD);
    const blob = await registry.fetchBlob('test/zstd', layer.digest);
    assert.deepEqual(blob.subarray(0, 4), Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), 'zstd frame magic');
    const tar = execFileSync('zstd', ['-dc'], { input: blob, maxBuffer: 16 * 1024 * 1024 });
    assert.equal(sha(tar), layer.diffId);
    await rm(layer.file, { force: true });
  });
});
