/**
 * The scan server in process, on a loopback port, with the test DB (Trivy's integration fixtures plus the
 * scan tests' advisories) and Vigil's Twirp clients: the client flow Trivy's client runs (MissingBlobs,
 * PutBlob, PutArtifact, Scan) and what it finds; the plain endpoints; token auth; and bad input: unknown blob
 * IDs, undecodable and oversized bodies, old schema versions, a Scan before any DB is loaded.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BlobInfo } from '../analyze/index.js';
import { scratchDir } from '../image/testkit.js';
import {
  Cache,
  createTwirpClient,
  fromRpcScanResponse,
  TwirpError,
  toRpcArtifactInfo,
  toRpcBlobInfo,
  toRpcScanRequest,
} from '../rpc/index.js';
import { metadataText, placeTestDb, startTestServer, type TestServer } from './testkit.js';

const TOKEN = 's3cr3t-token-value';

const alpineBlob: BlobInfo = {
  SchemaVersion: 2,
  Digest: 'sha256:1111111111111111111111111111111111111111111111111111111111111111',
  DiffID: 'sha256:2222222222222222222222222222222222222222222222222222222222222222',
  Size: 1000,
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
          Arch: 'x86_64',
        },
        {
          ID: 'libssl1.1@1.1.1c-r0',
          Name: 'libssl1.1',
          Version: '1.1.1c-r0',
          SrcName: 'openssl',
          SrcVersion: '1.1.1c-r0',
          Arch: 'x86_64',
        },
      ],
    },
  ],
};

const appBlob: BlobInfo = {
  SchemaVersion: 2,
  Digest: 'sha256:3333333333333333333333333333333333333333333333333333333333333333',
  DiffID: 'sha256:4444444444444444444444444444444444444444444444444444444444444444',
  Size: 200,
  Applications: [
    {
      Type: 'node-pkg',
      FilePath: 'app/node_modules/lodash/package.json',
      Packages: [{ ID: 'lodash@4.17.4', Name: 'lodash', Version: '4.17.4', Licenses: ['MIT'] }],
    },
  ],
};

const KEYS = { artifact: 'sha256:artifact-key', alpine: 'sha256:alpine-key', app: 'sha256:app-key' };

async function get(url: string): Promise<{ status: number; body: string; type: string | undefined }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') ?? undefined };
}

function post(
  url: string,
  body: Buffer | string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('scan server', () => {
  const scratch = scratchDir('server');
  let s: TestServer;

  before(async () => {
    await placeTestDb(scratch.dir);
    s = await startTestServer({ cacheDir: scratch.dir, token: TOKEN, maxRequestBytes: 1024 * 1024 });
  });

  after(async () => {
    await s?.close();
    scratch.cleanup();
  });

  test("Trivy's client flow: upload what is missing, then Scan finds the fixtures' vulnerabilities", async () => {
    const missing = await s.cache.missingBlobs({
      artifactId: KEYS.artifact,
      blobIds: [KEYS.alpine, KEYS.app],
    });
    assert.equal(missing.missingArtifact, true);
    assert.deepEqual(missing.missingBlobIds, [KEYS.alpine, KEYS.app]);
    await s.cache.putBlob({ diffId: KEYS.alpine, blobInfo: toRpcBlobInfo(alpineBlob) });
    await s.cache.putBlob({ diffId: KEYS.app, blobInfo: toRpcBlobInfo(appBlob) });
    await s.cache.putArtifact({
      artifactId: KEYS.artifact,
      artifactInfo: toRpcArtifactInfo({
        SchemaVersion: 1,
        Architecture: 'amd64',
        OS: 'linux',
        Created: '2024-01-01T00:00:00Z',
      }),
    });
    const after = await s.cache.missingBlobs({ artifactId: KEYS.artifact, blobIds: [KEYS.alpine, KEYS.app] });
    assert.equal(after.missingArtifact, false);
    assert.deepEqual(after.missingBlobIds, []);

    const response = fromRpcScanResponse(
      await s.scanner.scan(
        toRpcScanRequest({
          target: 'alpine:3.10',
          artifactId: KEYS.artifact,
          blobIds: [KEYS.alpine, KEYS.app],
          options: { pkgTypes: ['os', 'library'], scanners: ['vuln'] },
        }),
      ),
    );
    assert.deepEqual(response.os, { Family: 'alpine', Name: '3.10.2', Eosl: true });
    assert.deepEqual(
      response.layers.map((l) => l.DiffID),
      [alpineBlob.DiffID, appBlob.DiffID],
    );
    const found = response.results.map((r) => ({
      target: r.Target,
      class: r.Class,
      vulns: (r.Vulnerabilities ?? [])
        .map((v) => `${v.PkgName} ${v.VulnerabilityID} ${v.FixedVersion}`)
        .sort(),
    }));
    assert.deepEqual(found, [
      {
        target: 'alpine:3.10 (alpine 3.10.2)',
        class: 'os-pkgs',
        vulns: [
          'libssl1.1 CVE-2019-1549 1.1.1d-r0',
          'libssl1.1 CVE-2019-1551 1.1.1d-r2',
          'musl CVE-2019-14697 1.1.20-r5',
        ],
      },
      { target: 'Node.js', class: 'lang-pkgs', vulns: ['lodash CVE-2019-10744 4.17.12'] },
    ]);
    const musl = response.results[0]?.Vulnerabilities?.find((v) => v.PkgName === 'musl');
    assert.equal(musl?.PkgIdentifier?.PURL, 'pkg:apk/alpine/musl@1.1.20-r4?arch=x86_64&distro=3.10.2');
    assert.deepEqual(musl?.Layer, { Digest: alpineBlob.Digest, DiffID: alpineBlob.DiffID });

    // scanners without vuln or sbom: no package results at all, as Trivy's server
    const none = await s.scanner.scan(
      toRpcScanRequest({
        target: 't',
        artifactId: KEYS.artifact,
        blobIds: [KEYS.alpine],
        options: { pkgTypes: ['os'], scanners: ['secret'] },
      }),
    );
    assert.equal(none.results.length, 0);
    // sbom lists packages without detecting
    const sbom = await s.scanner.scan(
      toRpcScanRequest({
        target: 't',
        artifactId: KEYS.artifact,
        blobIds: [KEYS.alpine],
        options: { pkgTypes: ['os'], scanners: ['sbom'] },
      }),
    );
    assert.equal(sbom.results[0]?.packages.length, 2);
    assert.equal(sbom.results[0]?.vulnerabilities.length, 0);
  });

  test('a DB swapped while scans run: every scan answers, the old DB closes once they are done', async () => {
    const request = toRpcScanRequest({
      target: 'alpine:3.10',
      artifactId: KEYS.artifact,
      blobIds: [KEYS.alpine, KEYS.app],
      options: { pkgTypes: ['os', 'library'], scanners: ['vuln'] },
    });
    const generation = s.db.status().generation;
    const scans = Array.from({ length: 24 }, () => s.scanner.scan(request));
    // Someone refreshes the files on disk meanwhile; the next check swaps.
    writeFileSync(join(scratch.dir, 'db', 'metadata.json'), metadataText(Date.now() + 1000));
    assert.equal(await s.db.check(), 'updated');
    const answers = await Promise.all(scans);
    for (const answer of answers) {
      assert.equal(answer.results.flatMap((r) => r.vulnerabilities).length, 4);
    }
    assert.equal(s.db.status().generation, generation + 1);
    assert.equal(s.db.status().leases, 0);
  });

  test('Scan with blob IDs the server does not hold: not_found naming them, and what to do', async () => {
    await assert.rejects(
      s.scanner.scan({
        target: 'img',
        artifactId: KEYS.artifact,
        blobIds: [KEYS.alpine, 'sha256:nope', 'sha256:gone'],
      }),
      (error: unknown) => {
        assert.ok(error instanceof TwirpError);
        assert.equal(error.code, 'not_found');
        assert.match(
          error.message,
          /layer cache missing: sha256:nope, sha256:gone; upload the blobs with PutBlob/,
        );
        assert.equal(error.meta.missing_blob_ids, 'sha256:nope,sha256:gone');
        return true;
      },
    );
  });

  test('old schema versions count as missing (blob != 2, artifact != 1), as in Trivy', async () => {
    await s.cache.putBlob({
      diffId: 'sha256:old',
      blobInfo: { ...toRpcBlobInfo(appBlob), schemaVersion: 1 },
    });
    await s.cache.putArtifact({
      artifactId: 'sha256:old-artifact',
      artifactInfo: toRpcArtifactInfo({ SchemaVersion: 2 }),
    });
    const missing = await s.cache.missingBlobs({
      artifactId: 'sha256:old-artifact',
      blobIds: ['sha256:old', KEYS.app],
    });
    assert.equal(missing.missingArtifact, true);
    assert.deepEqual(missing.missingBlobIds, ['sha256:old']);
    await s.cache.deleteBlobs({ blobIds: ['sha256:old'] });
    assert.equal(await s.store.getBlob('sha256:old'), undefined);
  });

  test('empty keys and empty messages are invalid_argument', async () => {
    await assert.rejects(s.cache.putBlob({ diffId: '', blobInfo: toRpcBlobInfo(appBlob) }), {
      code: 'invalid_argument',
    });
    await assert.rejects(s.cache.putBlob({ diffId: 'k' }), {
      code: 'invalid_argument',
      message: 'empty layer info',
    });
    await assert.rejects(s.cache.putArtifact({ artifactId: 'k' }), {
      code: 'invalid_argument',
      message: 'empty image info',
    });
  });

  test('a wrong or missing token is unauthenticated "invalid token" on both services; plain endpoints stay open', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { 'Trivy-Token': 'wrong' },
      { 'Trivy-Token': `${TOKEN}x` },
      { 'Other-Token': TOKEN },
    ];
    for (const headers of attempts) {
      for (const call of [
        () =>
          createTwirpClient(Cache, { baseUrl: s.server.url, headers, retry: false }).missingBlobs({
            artifactId: 'a',
          }),
        () =>
          createTwirpClient(Cache, {
            baseUrl: s.server.url,
            headers,
            retry: false,
            encoding: 'json',
          }).deleteBlobs({}),
      ]) {
        await assert.rejects(call(), (error: unknown) => {
          assert.ok(error instanceof TwirpError);
          assert.equal(error.code, 'unauthenticated');
          assert.equal(error.message, 'invalid token');
          assert.equal(error.httpStatus, 401);
          return true;
        });
      }
    }
    // The token is checked before the body is looked at.
    const refused = await post(`${s.server.url}/twirp/trivy.scanner.v1.Scanner/Scan`, 'garbage', {
      'Content-Type': 'text/plain',
    });
    assert.equal(refused.status, 401);
    assert.deepEqual(JSON.parse(refused.body), { code: 'unauthenticated', msg: 'invalid token' });
    assert.equal((await get(`${s.server.url}/healthz`)).body, 'ok');
    assert.ok(!s.logger.text().includes(TOKEN), 'the token never reaches the log');
  });

  test('malformed protobuf and JSON are malformed (400); oversized bodies are 413', async () => {
    const headers = { 'Trivy-Token': TOKEN };
    const proto = await post(
      `${s.server.url}/twirp/trivy.cache.v1.Cache/PutBlob`,
      Buffer.from([0x1a, 0x05, 0x01]),
      {
        ...headers,
        'Content-Type': 'application/protobuf',
      },
    );
    assert.equal(proto.status, 400);
    assert.equal(JSON.parse(proto.body).code, 'malformed');
    const json = await post(`${s.server.url}/twirp/trivy.scanner.v1.Scanner/Scan`, '{"target":', {
      ...headers,
      'Content-Type': 'application/json',
    });
    assert.equal(json.status, 400);
    assert.equal(JSON.parse(json.body).code, 'malformed');
    const big = await post(
      `${s.server.url}/twirp/trivy.cache.v1.Cache/PutBlob`,
      Buffer.alloc(1024 * 1024 + 1),
      {
        ...headers,
        'Content-Type': 'application/protobuf',
      },
    );
    assert.equal(big.status, 413);
    assert.equal(JSON.parse(big.body).code, 'resource_exhausted');
    // The server is fine afterwards.
    assert.equal((await s.cache.missingBlobs({ artifactId: KEYS.artifact })).missingArtifact, false);
  });

  test('GET /healthz, /readyz, /version (Trivy VersionInfo), /metrics; unknown paths 404', async () => {
    assert.deepEqual(await get(`${s.server.url}/healthz`), {
      status: 200,
      body: 'ok',
      type: 'text/plain; charset=utf-8',
    });
    assert.equal((await get(`${s.server.url}/readyz`)).status, 200);
    const version = await get(`${s.server.url}/version`);
    assert.equal(version.type, 'application/json');
    const info = JSON.parse(version.body);
    assert.deepEqual(Object.keys(info), ['Version', 'VulnerabilityDB']);
    assert.deepEqual(Object.keys(info.VulnerabilityDB), [
      'Version',
      'NextUpdate',
      'UpdatedAt',
      'DownloadedAt',
    ]);
    assert.equal(info.VulnerabilityDB.Version, 2);
    const metrics = (await get(`${s.server.url}/metrics`)).body;
    assert.match(metrics, /^vigil_server_scans_total\{code="ok"\} [1-9]/m);
    assert.match(metrics, /^vigil_server_scans_total\{code="not_found"\} 1$/m);
    assert.match(metrics, /^vigil_server_scan_duration_seconds_count [1-9]/m);
    assert.match(
      metrics,
      /^vigil_server_rpc_requests_total\{procedure="trivy.cache.v1.Cache\/MissingBlobs",code="unauthenticated"\} [1-9]/m,
    );
    assert.match(metrics, /^vigil_server_cache_hits_total [1-9]/m);
    assert.match(metrics, /^vigil_server_cache_misses_total [1-9]/m);
    assert.match(metrics, /^vigil_server_db_ready 1$/m);
    const age = Number(/^vigil_server_db_age_seconds (\S+)$/m.exec(metrics)?.[1]);
    assert.ok(age >= 3500 && age < 3700, `DB age ${age}`);
    assert.equal((await get(`${s.server.url}/nope`)).status, 404);
  });
});

describe('scan server without a DB', () => {
  const scratch = scratchDir('server-nodb');
  let s: TestServer;

  before(async () => {
    s = await startTestServer({ cacheDir: scratch.dir });
  });

  after(async () => {
    await s?.close();
    scratch.cleanup();
  });

  test('stays up, not ready, says why; the cache works; Scan is unavailable until the DB arrives', async () => {
    assert.equal((await get(`${s.server.url}/healthz`)).status, 200);
    const ready = await get(`${s.server.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.match(ready.body, /--skip-db-update cannot be specified on the first run/);
    const error = s.logger.lines.find((l) => l.level === 'error');
    assert.match(error?.message ?? '', /not ready until a vulnerability DB is loaded/);
    await s.cache.putBlob({ diffId: KEYS.alpine, blobInfo: toRpcBlobInfo(alpineBlob) });
    await assert.rejects(s.scanner.scan({ target: 't', blobIds: [KEYS.alpine] }), (e: unknown) => {
      assert.ok(e instanceof TwirpError);
      assert.equal(e.code, 'unavailable');
      assert.match(e.message, /the vulnerability DB is not loaded yet/);
      return true;
    });
    // Someone puts a DB in place (an init container, vigil db download): the next check loads it.
    await placeTestDb(scratch.dir);
    assert.equal(await s.db.check(), 'loaded');
    assert.equal((await get(`${s.server.url}/readyz`)).status, 200);
    const scanned = await s.scanner.scan({
      target: 't',
      blobIds: [KEYS.alpine],
      options: { pkgTypes: ['os'], scanners: ['vuln'] },
    });
    assert.equal(scanned.results[0]?.vulnerabilities.length, 3);
  });
});
