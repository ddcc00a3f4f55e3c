/**
 * The Redis cache backend against Debian's redis-server on loopback: two server replicas share what one
 * client uploaded, a password in the URL is used and never logged, entries expire with the TTL, and a Redis
 * restart costs the calls made while it is down (`internal`, naming Redis) and nothing after.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { BlobInfo } from '../analyze/index.js';
import { scratchDir } from '../image/testkit.js';
import { TwirpError, toRpcArtifactInfo, toRpcBlobInfo } from '../rpc/index.js';
import { createRedisBlobStore } from './redis-blob-store.js';
import { createRedisClient } from './redis-client.js';
import { placeTestDb, startTestServer, type TestServer } from './testkit.js';

const PASSWORD = 'redis-pass-w0rd';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function startRedis(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--requirepass',
      PASSWORD,
    ],
    { stdio: 'ignore' },
  );
  const client = createRedisClient({ url: `redis://:${PASSWORD}@127.0.0.1:${port}`, timeoutMs: 500 });
  try {
    for (let i = 0; i < 100; i++) {
      try {
        if ((await client.command(['PING'])) === 'PONG') return child;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  } finally {
    await client.close();
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not start on port ${port}`);
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

const blob: BlobInfo = {
  SchemaVersion: 2,
  DiffID: 'sha256:5555555555555555555555555555555555555555555555555555555555555555',
  OS: { Family: 'alpine', Name: '3.10.2' },
  PackageInfos: [
    {
      FilePath: 'lib/apk/db/installed',
      Packages: [
        {
          ID: 'musl@1.1.20-r4',
          Name: 'musl',
          Version: '1.1.20-r4',
          SrcName: 'musl',
          SrcVersion: '1.1.20-r4',
        },
      ],
    },
  ],
};

describe('redis cache backend', () => {
  const scratch = scratchDir('redis');
  let port: number;
  let redis: ChildProcess | undefined;
  let url: string;
  let a: TestServer;
  let b: TestServer;

  before(async () => {
    port = await freePort();
    redis = await startRedis(port, scratch.dir);
    url = `redis://:${PASSWORD}@127.0.0.1:${port}/2`;
    await placeTestDb(scratch.dir);
    a = await startTestServer({ cacheDir: scratch.dir, store: createRedisBlobStore({ url }) });
    b = await startTestServer({ cacheDir: scratch.dir, store: createRedisBlobStore({ url }) });
  });

  after(async () => {
    await a?.close();
    await b?.close();
    await stop(redis);
    scratch.cleanup();
  });

  test('what a client uploads to one replica, another replica has and scans', async () => {
    await a.cache.putBlob({ diffId: 'sha256:k1', blobInfo: toRpcBlobInfo(blob) });
    await a.cache.putArtifact({
      artifactId: 'sha256:img',
      artifactInfo: toRpcArtifactInfo({ SchemaVersion: 1 }),
    });
    const missing = await b.cache.missingBlobs({
      artifactId: 'sha256:img',
      blobIds: ['sha256:k1', 'sha256:k2'],
    });
    assert.equal(missing.missingArtifact, false);
    assert.deepEqual(missing.missingBlobIds, ['sha256:k2']);
    const scanned = await b.scanner.scan({
      target: 'alpine:3.10',
      artifactId: 'sha256:img',
      blobIds: ['sha256:k1'],
      options: { pkgTypes: ['os'], scanners: ['vuln'] },
    });
    assert.deepEqual(
      scanned.results[0]?.vulnerabilities.map((v) => v.vulnerabilityId),
      ['CVE-2019-14697'],
    );
    await b.cache.deleteBlobs({ blobIds: ['sha256:k1'] });
    assert.deepEqual(
      (await a.cache.missingBlobs({ artifactId: 'sha256:img', blobIds: ['sha256:k1'] })).missingBlobIds,
      ['sha256:k1'],
    );
    assert.ok(!a.logger.text().includes(PASSWORD) && !b.logger.text().includes(PASSWORD));
  });

  test('entries expire with the TTL', async () => {
    const store = createRedisBlobStore({ url, ttlSeconds: 1 });
    try {
      await store.putBlob('sha256:ttl', toRpcBlobInfo(blob));
      assert.ok(await store.getBlob('sha256:ttl'));
      let gone = false;
      for (let i = 0; i < 40 && !gone; i++) {
        await new Promise((r) => setTimeout(r, 100));
        gone = (await store.getBlob('sha256:ttl')) === undefined;
      }
      assert.ok(gone, 'expired within 4 s');
    } finally {
      await store.close();
    }
  });

  test('a wrong password is a clear error', async () => {
    const store = createRedisBlobStore({ url: `redis://:nope@127.0.0.1:${port}` });
    try {
      await assert.rejects(
        store.getBlob('x'),
        /Redis redis:\/\/127\.0\.0\.1:\d+: the connection was refused: WRONGPASS/,
      );
    } finally {
      await store.close();
    }
  });

  test('Redis down: calls fail as internal errors naming Redis; after its restart the replicas carry on', async () => {
    await stop(redis);
    await assert.rejects(
      a.cache.putBlob({ diffId: 'sha256:k3', blobInfo: toRpcBlobInfo(blob) }),
      (e: unknown) => {
        assert.ok(e instanceof TwirpError);
        assert.equal(e.code, 'internal');
        assert.match(e.message, /cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+\/2: connect ECONNREFUSED/);
        assert.ok(!e.message.includes(PASSWORD));
        return true;
      },
    );
    redis = await startRedis(port, scratch.dir);
    await a.cache.putBlob({ diffId: 'sha256:k3', blobInfo: toRpcBlobInfo(blob) });
    assert.deepEqual(
      (await b.cache.missingBlobs({ artifactId: 'x', blobIds: ['sha256:k3'] })).missingBlobIds,
      [],
    );
  });
});
