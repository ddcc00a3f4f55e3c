// Retries against a loopback stub in front of the real registry that fails on purpose: 429 with
// Retry-After, 5xx, dropped connections. A manual clock records the waits instead of sleeping.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { buildLayer, type Layer, type PushedImage, pushImage } from '../../test/env/image-builder.js';
import type { LocalRegistry } from '../../test/env/registry.js';
import { ImageError } from './errors.js';
import { createRegistryClient } from './registry-client.js';
import { backoffDelay, DEFAULT_RETRY_POLICY, parseRetryAfter } from './retry.js';
import { drain, forward, manualClock, type StubServer, startStub, startTestRegistry } from './testkit.js';

describe('retries', () => {
  let registry: LocalRegistry;
  let layer: Layer;
  let image: PushedImage;
  let stub: StubServer;
  /** Answers queued per request kind; when empty, requests pass through to the registry. */
  const script: {
    manifests: Array<(res: import('node:http').ServerResponse) => void>;
    blobs: typeof script.manifests;
  } = {
    manifests: [],
    blobs: [],
  };

  before(async () => {
    registry = await startTestRegistry();
    layer = await buildLayer({ files: [{ path: '/retry.txt', content: 'retry\n' }] });
    image = await pushImage(registry, 'retry/app', '1', [layer]);
    stub = await startStub(async (req, res) => {
      const queue = req.url?.includes('/manifests/')
        ? script.manifests
        : req.url?.includes('/blobs/')
          ? script.blobs
          : [];
      const next = queue.shift();
      if (next !== undefined) next(res);
      else await forward(req, res, registry.url, stub.url);
    });
  });
  after(async () => {
    await stub?.close();
    await registry?.stop();
    await rm(layer?.file ?? '', { force: true });
  });

  const reference = () => image.reference.replace(registry.host, stub.host);
  const tooMany = (retryAfter: string) => (res: import('node:http').ServerResponse) =>
    res
      .writeHead(429, { 'Retry-After': retryAfter, 'Content-Type': 'application/json' })
      .end('{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}');
  const unavailable = (res: import('node:http').ServerResponse) => res.writeHead(503).end('maintenance');
  const client = (clock = manualClock()) => ({
    clock,
    client: createRegistryClient({ clock, random: () => 0, plainHttp: true, dockerConfig: false, env: {} }),
  });

  test('429 with Retry-After in seconds, then success: waits exactly what the registry asked', async () => {
    stub.requests.length = 0;
    script.manifests.push(tooMany('2'), tooMany('3'));
    const { clock, client: c } = client();
    try {
      const pulled = await c.openImage(reference());
      assert.equal(pulled.configDigest, image.configDigest);
      assert.deepEqual(clock.sleeps, [2000, 3000]);
      assert.equal(stub.requests.filter((r) => r.url.includes('/manifests/')).length, 3);
    } finally {
      await c.close();
    }
  });

  test('Retry-After as an HTTP date is honoured; a blob GET is retried too', async () => {
    const { clock, client: c } = client();
    script.manifests.push(tooMany(new Date(clock.now() + 7000).toUTCString()));
    script.blobs.push(unavailable);
    try {
      const pulled = await c.openImage(reference());
      assert.equal((await drain(await pulled.openLayer(layer.digest))).length, layer.size);
      // HTTP dates have whole seconds: the wait is 7 s minus the milliseconds of "now".
      assert.ok(clock.sleeps[0]! > 6000 && clock.sleeps[0]! <= 7000, `waited ${clock.sleeps[0]}`);
      assert.equal(
        clock.sleeps[1],
        DEFAULT_RETRY_POLICY.initialDelayMs,
        'the 503 gets the first backoff step',
      );
    } finally {
      await c.close();
    }
  });

  test('persistent 503: exponential backoff, bounded attempts, then an error that says so', async () => {
    for (let i = 0; i < 10; i++) script.manifests.push(unavailable);
    const { clock, client: c } = client();
    try {
      await assert.rejects(c.openImage(reference()), (error: unknown) => {
        assert.ok(ImageError.is(error, 'IMAGE_REGISTRY'), String(error));
        assert.equal(error.status, 503);
        assert.ok(error.temporary, '503 is temporary (fallback to another DB repository allowed)');
        assert.match(error.message, /answered HTTP 503 after 5 attempts \(maintenance\)/);
        return true;
      });
      assert.deepEqual(clock.sleeps, [500, 1000, 2000, 4000]);
      assert.equal(script.manifests.length, 5, 'five requests were made, five scripted answers are left');
    } finally {
      script.manifests.length = 0;
      await c.close();
    }
  });

  test('a Retry-After beyond the time budget ends the retries at once with a rate-limit error', async () => {
    script.manifests.push(tooMany('3600'));
    const { clock, client: c } = client();
    try {
      await assert.rejects(c.openImage(reference()), (error: unknown) => {
        assert.ok(ImageError.is(error, 'IMAGE_REGISTRY'));
        assert.equal(error.status, 429);
        assert.deepEqual(error.registryErrors, [{ code: 'TOOMANYREQUESTS', message: 'slow down' }]);
        assert.match(error.message, /is rate limiting requests \(HTTP 429\).*try again later/);
        return true;
      });
      assert.deepEqual(clock.sleeps, []);
    } finally {
      await c.close();
    }
  });

  test('a dropped connection is retried', async () => {
    script.manifests.push((res) => res.socket?.destroy());
    const { clock, client: c } = client();
    try {
      const pulled = await c.openImage(reference());
      assert.equal(pulled.manifestDigest, image.manifestDigest);
      assert.deepEqual(clock.sleeps, [500]);
    } finally {
      await c.close();
    }
  });

  test('delays and Retry-After parsing', () => {
    const policy = DEFAULT_RETRY_POLICY;
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((n) => backoffDelay(policy, n, () => 0)),
      [500, 1000, 2000, 4000, 8000, 10000],
    );
    assert.equal(
      backoffDelay(policy, 1, () => 1),
      600,
      'jitter adds at most 20 %',
    );
    assert.equal(parseRetryAfter('120', 0), 120_000);
    assert.equal(
      parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:00 GMT')),
      60_000,
    );
    assert.equal(parseRetryAfter('soon', 0), undefined);
    assert.equal(parseRetryAfter(null, 0), undefined);
  });
});
