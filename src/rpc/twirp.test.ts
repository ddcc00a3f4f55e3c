/**
 * The Twirp layer over a real loopback socket: both encodings, the JSON Go's twirp server writes, Twirp's
 * routing and decoding errors with their HTTP statuses, body limits (declared and streamed), gzip both ways,
 * and the client's error mapping and bounded retry of `unavailable`.
 */
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { create, toBinary } from '@bufbuild/protobuf';
import {
  Cache,
  cachePb,
  createTwirpClient,
  createTwirpHandler,
  registerService,
  Scanner,
  scannerPb,
  TwirpError,
} from './index.js';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function raw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'POST', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('twirp server and client', () => {
  let server: Server;
  let base: string;
  const calls: string[] = [];
  let unavailableLeft = 0;

  before(async () => {
    const handler = createTwirpHandler({
      services: [
        registerService(Cache, {
          async putArtifact() {
            return {};
          },
          async putBlob(request) {
            if (request.diffId === 'boom') throw new Error('disk on fire');
            return {};
          },
          async missingBlobs(request) {
            calls.push(`missing ${request.artifactId} ${request.blobIds.join(',')}`);
            return { missingArtifact: true, missingBlobIds: request.blobIds };
          },
          async deleteBlobs() {
            return {};
          },
        }),
        registerService(Scanner, {
          async scan(request) {
            if (unavailableLeft > 0) {
              unavailableLeft--;
              throw new TwirpError('unavailable', 'DB loading');
            }
            return {
              results: [
                {
                  target: request.target,
                  class: 'os-pkgs',
                  // Big enough to be gzip'd.
                  packages: Array.from({ length: 200 }, (_, i) => ({ name: `pkg-${i}`, version: '1.0' })),
                },
              ],
            };
          },
        }),
      ],
      limits: { maxBytes: 4096, maxDecodedBytes: 8192 },
    });
    server = createServer((req, res) => void handler.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('protobuf and JSON clients get the same answer; JSON answers are Go protojson (proto names, unpopulated)', async () => {
    for (const encoding of ['protobuf', 'json'] as const) {
      const client = createTwirpClient(Cache, { baseUrl: base, encoding, retry: false });
      const answer = await client.missingBlobs({ artifactId: 'sha256:a', blobIds: ['sha256:b', 'sha256:c'] });
      assert.equal(answer.missingArtifact, true);
      assert.deepEqual(answer.missingBlobIds, ['sha256:b', 'sha256:c']);
    }
    const res = await raw(`${base}/twirp/trivy.scanner.v1.Scanner/Scan`, {
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ target: 'alpine:3.10' }),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    const json = JSON.parse(res.body.toString());
    // Unset message fields are null, empty lists and zero scalars are written, names are the proto names.
    assert.equal(json.os, null);
    assert.deepEqual(json.layers, []);
    const result = json.results[0];
    assert.equal(result.target, 'alpine:3.10');
    assert.deepEqual(result.vulnerabilities, []);
    assert.equal(result.custom_resources.length, 0);
    const pkg = result.packages[0];
    assert.equal(pkg.src_name, '');
    assert.equal(pkg.epoch, 0);
    assert.equal(pkg.identifier, null);
    assert.equal(pkg.layer, null);
  });

  test('JSON requests take camelCase and snake_case names and ignore unknown fields', async () => {
    calls.length = 0;
    for (const body of [
      { artifact_id: 'a1', blob_ids: ['b1'] },
      { artifactId: 'a2', blobIds: ['b2'], somethingNew: 1 },
    ]) {
      const res = await raw(`${base}/twirp/trivy.cache.v1.Cache/MissingBlobs`, {
        headers: { 'Content-Type': 'application/json; charset=utf-8' },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 200, res.body.toString());
    }
    assert.deepEqual(calls, ['missing a1 b1', 'missing a2 b2']);
  });

  test("routing errors are twirp's: bad_route with 404 and the route in meta", async () => {
    const cases: Array<[string, Record<string, string>, string, string]> = [
      [
        'GET',
        { 'Content-Type': 'application/protobuf' },
        '/twirp/trivy.cache.v1.Cache/MissingBlobs',
        'unsupported method "GET" (only POST is allowed)',
      ],
      [
        'POST',
        { 'Content-Type': 'application/protobuf' },
        '/twirp/trivy.cache.v1.Cache/Nope',
        'no handler for path "/twirp/trivy.cache.v1.Cache/Nope"',
      ],
      [
        'POST',
        { 'Content-Type': 'application/protobuf' },
        '/twirp/trivy.nope.v1.X/Y',
        'no handler for path "/twirp/trivy.nope.v1.X/Y"',
      ],
      [
        'POST',
        { 'Content-Type': 'text/plain' },
        '/twirp/trivy.cache.v1.Cache/MissingBlobs',
        'unexpected Content-Type: "text/plain"',
      ],
    ];
    for (const [method, headers, path, msg] of cases) {
      const res = await raw(`${base}${path}`, { method, headers, body: method === 'GET' ? undefined : '' });
      assert.equal(res.status, 404, path);
      assert.equal(res.headers['content-type'], 'application/json');
      assert.deepEqual(JSON.parse(res.body.toString()), {
        code: 'bad_route',
        msg,
        meta: { twirp_invalid_route: `${method} ${path}` },
      });
    }
  });

  test('undecodable bodies are malformed (400), in both encodings', async () => {
    const proto = await raw(`${base}/twirp/trivy.cache.v1.Cache/PutBlob`, {
      headers: { 'Content-Type': 'application/protobuf' },
      body: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]),
    });
    assert.equal(proto.status, 400);
    assert.deepEqual(JSON.parse(proto.body.toString()), {
      code: 'malformed',
      msg: 'the protobuf request could not be decoded',
    });
    for (const body of ['{"diff_id": ', '{"diff_id": 5}', '[1]', '\xff\xfe']) {
      const json = await raw(`${base}/twirp/trivy.cache.v1.Cache/PutBlob`, {
        headers: { 'Content-Type': 'application/json' },
        body: Buffer.from(body, 'latin1'),
      });
      assert.equal(json.status, 400, body);
      assert.equal(JSON.parse(json.body.toString()).code, 'malformed');
    }
  });

  test('bodies over the limit get 413 resource_exhausted, whether declared, streamed or inflated from gzip', async () => {
    const big = Buffer.alloc(5000, 0x41);
    const declared = await raw(`${base}/twirp/trivy.cache.v1.Cache/PutBlob`, {
      headers: { 'Content-Type': 'application/protobuf', 'Content-Length': String(big.length) },
      body: big,
    });
    assert.equal(declared.status, 413);
    assert.equal(JSON.parse(declared.body.toString()).code, 'resource_exhausted');
    assert.equal(declared.headers.connection, 'close');

    const streamed = await new Promise<RawResponse>((resolve, reject) => {
      const req = httpRequest(
        `${base}/twirp/trivy.cache.v1.Cache/PutBlob`,
        {
          method: 'POST',
          headers: { 'Content-Type': 'application/protobuf', 'Transfer-Encoding': 'chunked' },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
        },
      );
      req.on('error', reject);
      req.write(big.subarray(0, 3000));
      req.end(big.subarray(3000));
    });
    assert.equal(streamed.status, 413);

    // 20 kB of one byte gzips to a few dozen bytes: small on the wire, over the decoded bound.
    const bomb = gzipSync(
      toBinary(
        cachePb.PutBlobRequestSchema,
        create(cachePb.PutBlobRequestSchema, { diffId: 'x'.repeat(20_000) }),
      ),
    );
    assert.ok(bomb.length < 4096);
    const inflated = await raw(`${base}/twirp/trivy.cache.v1.Cache/PutBlob`, {
      headers: { 'Content-Type': 'application/protobuf', 'Content-Encoding': 'gzip' },
      body: bomb,
    });
    assert.equal(inflated.status, 413);
    assert.match(JSON.parse(inflated.body.toString()).msg, /decompressed request body/);
  });

  test('gzip request bodies are read; responses are gzip-compressed for clients that accept it', async () => {
    const body = gzipSync(
      toBinary(scannerPb.ScanRequestSchema, create(scannerPb.ScanRequestSchema, { target: 'debian:12' })),
    );
    const res = await raw(`${base}/twirp/trivy.scanner.v1.Scanner/Scan`, {
      headers: {
        'Content-Type': 'application/protobuf',
        'Content-Encoding': 'gzip',
        'Accept-Encoding': 'gzip',
      },
      body,
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-encoding'], 'gzip');
    assert.equal(res.headers.vary, 'Accept-Encoding');
    const plain = await raw(`${base}/twirp/trivy.scanner.v1.Scanner/Scan`, {
      headers: { 'Content-Type': 'application/protobuf' },
      body: gunzipSync(body),
    });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.deepEqual(gunzipSync(res.body), plain.body);
    // Small answers are not compressed (gziphandler's 1400-byte minimum).
    const small = await raw(`${base}/twirp/trivy.cache.v1.Cache/DeleteBlobs`, {
      headers: { 'Content-Type': 'application/protobuf', 'Accept-Encoding': 'gzip' },
      body: '',
    });
    assert.equal(small.headers['content-encoding'], undefined);
    // The client (fetch) decompresses transparently.
    const client = createTwirpClient(Scanner, { baseUrl: base, retry: false });
    const scanned = await client.scan({ target: 'debian:12' });
    assert.equal(scanned.results[0]?.packages.length, 200);
  });

  test('errors thrown by a method become internal (500) with their message; TwirpErrors keep their code', async () => {
    const client = createTwirpClient(Cache, { baseUrl: base, retry: false });
    await assert.rejects(client.putBlob({ diffId: 'boom' }), (error: unknown) => {
      assert.ok(error instanceof TwirpError);
      assert.equal(error.code, 'internal');
      assert.equal(error.message, 'disk on fire');
      return true;
    });
  });

  test('the client retries unavailable with backoff, at most the policy says, and nothing else', async () => {
    const sleeps: number[] = [];
    const policy = { maxAttempts: 4, initialDelayMs: 100, multiplier: 2, maxDelayMs: 1000, jitter: 0 };
    const client = createTwirpClient(Scanner, {
      baseUrl: base,
      retry: policy,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    unavailableLeft = 2;
    const ok = await client.scan({ target: 't' });
    assert.equal(ok.results.length, 1);
    assert.deepEqual(sleeps, [100, 200]);
    sleeps.length = 0;
    unavailableLeft = 10;
    await assert.rejects(client.scan({ target: 't' }), { code: 'unavailable' });
    assert.deepEqual(sleeps, [100, 200, 400]);
    unavailableLeft = 0;
  });

  test('a non-Twirp error answer (a proxy) maps by HTTP status; a refused connection is unavailable', async () => {
    const proxy = createServer((_req, res) => {
      res.writeHead(502, { 'Content-Type': 'text/html' });
      res.end('<html>bad gateway</html>');
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const port = (proxy.address() as AddressInfo).port;
    try {
      const client = createTwirpClient(Cache, { baseUrl: `http://127.0.0.1:${port}`, retry: false });
      await assert.rejects(client.deleteBlobs({ blobIds: [] }), (error: unknown) => {
        assert.ok(error instanceof TwirpError);
        assert.equal(error.code, 'unavailable');
        assert.equal(error.meta.http_error_from_intermediary, 'true');
        assert.equal(error.meta.status_code, '502');
        return true;
      });
    } finally {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
    const refused = createTwirpClient(Cache, { baseUrl: `http://127.0.0.1:${port}`, retry: false });
    await assert.rejects(refused.deleteBlobs({ blobIds: [] }), { code: 'unavailable' });
    assert.throws(() => createTwirpClient(Cache, { baseUrl: '127.0.0.1:1' }), { code: 'invalid_argument' });
  });
});
