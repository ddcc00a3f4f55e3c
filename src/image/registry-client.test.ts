// The registry client against Debian's docker-registry (CNCF distribution 2.8) on loopback: tags and
// digests, OCI and Docker media types, multi-platform indexes, artifacts, errors, corrupted blobs.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import {
  buildLayer,
  DOCKER_MANIFEST,
  type Layer,
  OCI_MANIFEST,
  type PushedImage,
  pushArtifact,
  pushImage,
  pushIndex,
} from '../../test/env/image-builder.js';
import type { LocalRegistry } from '../../test/env/registry.js';
import { ImageError } from './errors.js';
import { createNodeTransport } from './http-transport.js';
import { DOCKER_CONFIG, DOCKER_LAYER_GZIP, OCI_CONFIG, OCI_LAYER_GZIP } from './media-types.js';
import { parsePlatform } from './platform.js';
import { createRegistryClient, type RegistryClient } from './registry-client.js';
import { drain, startStub, startTestRegistry } from './testkit.js';

const sha = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

describe('registry client against a real registry', () => {
  let registry: LocalRegistry;
  let client: RegistryClient;
  let layers: Layer[];
  let oci: PushedImage;
  let docker: PushedImage;
  let amd: PushedImage;
  let arm: PushedImage;
  let armV7: PushedImage;
  let indexDigest: string;

  before(async () => {
    registry = await startTestRegistry();
    client = createRegistryClient({ dockerConfig: false, env: {} });
    layers = [
      await buildLayer({ files: [{ path: '/etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' }] }),
      await buildLayer({ files: [{ path: '/app/hello.txt', content: 'hello from layer two\n' }] }),
    ];
    oci = await pushImage(registry, 'test/app', '1.0', layers);
    docker = await pushImage(registry, 'test/docker', 'v2', layers, { format: 'docker' });
    amd = await pushImage(registry, 'test/multi', 'amd64', [layers[0]!]);
    arm = await pushImage(registry, 'test/multi', 'arm64', [layers[1]!], { architecture: 'arm64' });
    armV7 = await pushImage(registry, 'test/multi', 'armv7', [layers[1]!], { architecture: 'arm' });
    const entry = (image: PushedImage, platform: { os: string; architecture: string; variant?: string }) => ({
      mediaType: OCI_MANIFEST,
      digest: image.manifestDigest,
      size: Buffer.byteLength(JSON.stringify(image.manifest)),
      platform,
    });
    indexDigest = await pushIndex(registry, 'test/multi', 'latest', [
      entry(amd, { os: 'linux', architecture: 'amd64' }),
      entry(arm, { os: 'linux', architecture: 'arm64', variant: 'v8' }),
      entry(armV7, { os: 'linux', architecture: 'arm', variant: 'v7' }),
      { ...entry(amd, { os: 'unknown', architecture: 'unknown' }) },
    ]);
  });
  after(async () => {
    await client?.close();
    await registry?.stop();
    for (const layer of layers ?? []) await rm(layer.file, { force: true });
  });

  test('pulls an OCI image by tag: manifest, config and every layer byte for byte', async () => {
    const image = await client.openImage(oci.reference);
    assert.equal(image.kind, 'remote');
    assert.equal(image.digest, oci.manifestDigest);
    assert.equal(image.manifestDigest, oci.manifestDigest);
    assert.equal(image.manifest.mediaType, OCI_MANIFEST);
    assert.equal(image.manifest.config.mediaType, OCI_CONFIG);
    assert.equal(image.configDigest, oci.configDigest);
    assert.equal(sha(image.configBytes), oci.configDigest);
    assert.deepEqual(
      image.config.rootfs?.diff_ids,
      layers.map((l) => l.diffId),
    );
    assert.equal(image.platform, undefined, 'a single-platform image has no chosen platform');
    assert.deepEqual(image.repoTags, [`${registry.host}/test/app:1.0`]);
    assert.deepEqual(image.repoDigests, [`${registry.host}/test/app@${oci.manifestDigest}`]);
    assert.deepEqual(
      image.layers.map((l) => [l.mediaType, l.digest, l.size]),
      layers.map((l) => [OCI_LAYER_GZIP, l.digest, l.size]),
    );
    for (const [i, layer] of layers.entries()) {
      const bytes = await drain(await image.openLayer(layer.digest));
      assert.deepEqual(bytes, await readFile(layer.file), `layer ${i} bytes`);
      assert.equal(sha(gunzipSync(bytes)), layer.diffId);
    }
  });

  test('pulls by digest, and a Docker v2 image keeps its Docker media types', async () => {
    const byDigest = await client.openImage(oci.digestReference);
    assert.equal(byDigest.manifestDigest, oci.manifestDigest);
    assert.deepEqual(byDigest.repoTags, [], 'a digest reference has no tag');

    const image = await client.openImage(docker.reference);
    assert.equal(image.manifest.mediaType, DOCKER_MANIFEST);
    assert.equal(image.manifest.config.mediaType, DOCKER_CONFIG);
    assert.deepEqual(
      image.layers.map((l) => l.mediaType),
      [DOCKER_LAYER_GZIP, DOCKER_LAYER_GZIP],
    );
    assert.equal(image.configDigest, docker.configDigest);
    const fetched = await client.getManifest(docker.reference);
    assert.equal(fetched.digest, docker.manifestDigest);
    assert.equal(sha(fetched.bytes), docker.manifestDigest);
  });

  test('a multi-platform index resolves to linux/amd64 by default and to the --platform asked for', async () => {
    const byDefault = await client.openImage(`${registry.host}/test/multi`);
    assert.equal(byDefault.digest, indexDigest, 'digest names the index, as Trivy reports RepoDigests');
    assert.equal(byDefault.manifestDigest, amd.manifestDigest);
    assert.deepEqual(byDefault.platform, { os: 'linux', architecture: 'amd64' });
    assert.equal(byDefault.config.architecture, 'amd64');

    const arm64 = await client.openImage(`${registry.host}/test/multi:latest`, {
      platform: parsePlatform('linux/arm64'),
    });
    assert.equal(arm64.manifestDigest, arm.manifestDigest);
    assert.equal(arm64.config.architecture, 'arm64');
    assert.deepEqual(arm64.platform, { os: 'linux', architecture: 'arm64', variant: 'v8' });

    const v7 = await client.openImage(`${registry.host}/test/multi`, {
      platform: parsePlatform('linux/arm/v7'),
    });
    assert.equal(v7.manifestDigest, armV7.manifestDigest);

    const star = await client.openImage(`${registry.host}/test/multi`, {
      platform: parsePlatform('*/arm64'),
    });
    assert.equal(star.manifestDigest, arm.manifestDigest, '"*" takes the OS of the first entry');
  });

  test('a platform the index lacks fails with the list of platforms that exist', async () => {
    await assert.rejects(
      client.openImage(`${registry.host}/test/multi`, { platform: parsePlatform('linux/s390x') }),
      (error: unknown) => {
        assert.ok(ImageError.is(error, 'IMAGE_PLATFORM'), String(error));
        assert.match(error.message, /no image for platform linux\/s390x/);
        assert.match(error.message, /available platforms: linux\/amd64, linux\/arm64\/v8, linux\/arm\/v7\./);
        assert.doesNotMatch(error.message, /unknown/, 'attestation entries are not platforms');
        return true;
      },
    );
    await assert.rejects(
      client.openImage(`${registry.host}/test/multi`, { platform: parsePlatform('linux/arm/v6') }),
      /linux\/arm\/v6.*available platforms/,
    );
  });

  test('--platform is ignored for a single-platform image, as Trivy does', async () => {
    const image = await client.openImage(oci.reference, { platform: parsePlatform('linux/arm64') });
    assert.equal(image.manifestDigest, oci.manifestDigest);
    assert.equal(image.config.architecture, 'amd64');
  });

  test('a missing tag, repository or blob is IMAGE_NOT_FOUND naming what was asked for', async () => {
    await assert.rejects(client.openImage(`${registry.host}/test/app:2.0`), (error: unknown) => {
      assert.ok(ImageError.is(error, 'IMAGE_NOT_FOUND'));
      assert.equal(error.status, 404);
      assert.match(error.message, new RegExp(`manifest ${registry.host}/test/app:2\\.0 not found`));
      assert.match(error.message, /MANIFEST_UNKNOWN/);
      return true;
    });
    await assert.rejects(
      client.openImage(`${registry.host}/test/nothing-here`),
      (error: unknown) =>
        ImageError.is(error, 'IMAGE_NOT_FOUND') && /test\/nothing-here:latest/.test(error.message),
    );
    const missing = `sha256:${'0'.repeat(64)}`;
    await assert.rejects(
      client.openBlob(oci.reference, { digest: missing }),
      (error: unknown) =>
        ImageError.is(error, 'IMAGE_NOT_FOUND') &&
        error.message.includes(`blob ${missing} of ${registry.host}/test/app`),
    );
  });

  test('an OCI artifact (the trivy-db layout) is fetched as a manifest but refused as an image', async () => {
    const payload = Buffer.from('artifact payload');
    const pushed = await pushArtifact(registry, 'test/artifact', '2', {
      artifactType: 'application/vnd.aquasec.trivy.config.v1+json',
      config: { mediaType: 'application/vnd.aquasec.trivy.config.v1+json', content: Buffer.from('{}') },
      layers: [{ mediaType: 'application/vnd.aquasec.trivy.db.layer.v1.tar+gzip', content: payload }],
    });
    const manifest = await client.getManifest(`${registry.host}/test/artifact:2`);
    assert.equal(manifest.digest, pushed.manifestDigest);
    assert.equal(manifest.parsed.kind, 'manifest');
    if (manifest.parsed.kind !== 'manifest') return;
    assert.equal(manifest.parsed.manifest.artifactType, 'application/vnd.aquasec.trivy.config.v1+json');
    const layer = manifest.parsed.manifest.layers[0]!;
    assert.deepEqual(await drain(await client.openBlob(`${registry.host}/test/artifact:2`, layer)), payload);
    await assert.rejects(
      client.openImage(`${registry.host}/test/artifact:2`),
      (error: unknown) =>
        ImageError.is(error, 'IMAGE_UNSUPPORTED') &&
        /not a container image but an OCI artifact/.test(error.message),
    );
  });

  test('a blob corrupted in the registry storage fails its stream with IMAGE_DIGEST_MISMATCH', async () => {
    const layer = await buildLayer({ files: [{ path: '/corrupt/me.txt', content: 'x'.repeat(4096) }] });
    try {
      const image = await pushImage(registry, 'test/corrupt', '1', [layer]);
      const hex = layer.digest.slice('sha256:'.length);
      const data = join(
        registry.dir,
        'storage/docker/registry/v2/blobs/sha256',
        hex.slice(0, 2),
        hex,
        'data',
      );
      const stored = await readFile(data);
      stored[stored.length - 10] = (stored[stored.length - 10]! + 1) % 256; // same size, different bytes
      await writeFile(data, stored);
      const source = await client.openImage(image.reference);
      await assert.rejects(drain(await source.openLayer(layer.digest)), (error: unknown) => {
        assert.ok(ImageError.is(error, 'IMAGE_DIGEST_MISMATCH'), String(error));
        assert.match(error.message, new RegExp(`expected ${layer.digest}`));
        return true;
      });
      await writeFile(data, stored.subarray(0, 100)); // shorter than the descriptor says
      await assert.rejects(
        drain(await source.openLayer(layer.digest)),
        /ended after 100 of \d+ bytes|truncated/,
      );
    } finally {
      await rm(layer.file, { force: true });
    }
  });

  test('plain HTTP by option, and an injected WHATWG fetch (globalThis.fetch) as the transport', async () => {
    const plain = createRegistryClient({ plainHttp: true, dockerConfig: false, env: {} });
    const viaFetch = createRegistryClient({ fetch: globalThis.fetch, dockerConfig: false, env: {} });
    try {
      for (const c of [plain, viaFetch]) {
        const image = await c.openImage(oci.reference);
        assert.equal(image.configDigest, oci.configDigest);
        const bytes = await drain(await image.openLayer(layers[1]!.digest));
        assert.equal(sha(bytes), layers[1]!.digest);
      }
    } finally {
      await plain.close();
      await viaFetch.close();
    }
  });
});

describe('registry client against stub registries', () => {
  test('a schema 1 manifest is refused with a clear error', async () => {
    const stub = await startStub((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' });
      res.end(
        JSON.stringify({ schemaVersion: 1, name: 'old/image', tag: 'latest', fsLayers: [], signatures: [] }),
      );
    });
    const client = createRegistryClient({ plainHttp: true, dockerConfig: false, env: {} });
    try {
      await assert.rejects(client.openImage(`${stub.host}/old/image`), (error: unknown) => {
        assert.ok(ImageError.is(error, 'IMAGE_UNSUPPORTED'));
        assert.match(error.message, /schema 1 manifest, which is deprecated and not supported/);
        return true;
      });
      assert.match(String(stub.requests[0]?.headers.accept), /application\/vnd\.oci\.image\.index\.v1\+json/);
      assert.doesNotMatch(String(stub.requests[0]?.headers.accept), /v1\+prettyjws/);
    } finally {
      await client.close();
      await stub.close();
    }
  });

  test('a manifest whose bytes do not match the digest asked for is refused', async () => {
    const body = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: {}, layers: [] });
    const stub = await startStub((_req, res) => {
      res.writeHead(200, { 'Content-Type': OCI_MANIFEST });
      res.end(body);
    });
    const client = createRegistryClient({ plainHttp: true, dockerConfig: false, env: {} });
    try {
      const digest = `sha256:${'a'.repeat(64)}`;
      await assert.rejects(
        client.getManifest(`${stub.host}/x/y@${digest}`),
        (error: unknown) =>
          ImageError.is(error, 'IMAGE_DIGEST_MISMATCH') && error.message.includes(`expected ${digest}`),
      );
    } finally {
      await client.close();
      await stub.close();
    }
  });

  test('a body that stalls fails after the idle timeout instead of hanging', async () => {
    const stub = await startStub((_req, res) => {
      res.writeHead(200, { 'Content-Length': '1000' });
      res.write(Buffer.alloc(10)); // …and nothing more
    });
    const transport = createNodeTransport({ idleTimeoutMs: 300, bodyIdleTimeoutMs: 300 });
    const client = createRegistryClient({
      transport: transport.send,
      plainHttp: true,
      dockerConfig: false,
      env: {},
    });
    try {
      const digest = `sha256:${'b'.repeat(64)}`;
      const blob = await client.openBlob(`${stub.host}/x/y:1`, { digest, size: 1000 });
      await assert.rejects(drain(blob), (error: unknown) => {
        assert.ok(ImageError.is(error, 'IMAGE_NETWORK'), String(error));
        assert.ok(
          error.message.startsWith(`reading blob ${digest} of ${stub.host}/x/y from ${stub.host} failed:`),
        );
        assert.match(error.message, /no data from 127\.0\.0\.1:\d+ for 300 ms/, error.message);
        return true;
      });
    } finally {
      await client.close();
      await transport.close();
      await stub.close();
    }
  });

  test('an unreachable registry is IMAGE_NETWORK naming the host', async () => {
    const stub = await startStub(() => {});
    const host = stub.host;
    await stub.close(); // nothing listens there now
    const client = createRegistryClient({ plainHttp: true, dockerConfig: false, env: {} });
    try {
      await assert.rejects(client.openImage(`${host}/some/image:1`), (error: unknown) => {
        assert.ok(ImageError.is(error, 'IMAGE_NETWORK'), String(error));
        assert.match(error.message, new RegExp(`cannot reach ${host.replace('.', '\\.')}`));
        assert.match(error.message, /ECONNREFUSED/);
        return true;
      });
    } finally {
      await client.close();
    }
  });
});
