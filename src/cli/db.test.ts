// `vigil db` as a real process (node dist/src/cli/main.js) against the real registry on loopback: download a
// trivy-db artifact shaped like the published one, then info, get and dump checked against the fixture data
// and against real bbolt (tools/bolt-check); a download killed midway; fallback to a second repository.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { LocalRegistry } from '../../test/env/registry.js';
import { forward, type StubServer, scratchDir, startStub, startTestRegistry } from '../image/testkit.js';
import {
  buildDbArchive,
  type DbArchive,
  metadataJson,
  pushDbArtifact,
} from '../vulndb/distribution-testkit.js';
import { outputLines, runBoltCheck } from '../vulndb/testkit.js';

const cli = fileURLToPath(new URL('./main.js', import.meta.url));
const NEXT = '2099-08-22T06:04:47.123456789Z';
const UPDATED = '2026-08-21T06:04:47.987654321Z';

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with a clean environment (no docker config, no TRIVY_*), bounded to 20 s. */
function vigil(args: string[], onSpawn?: (child: ChildProcess) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      env: { PATH: process.env.PATH, HOME: '/nonexistent', DOCKER_CONFIG: '/nonexistent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    onSpawn?.(child);
  });
}

describe('vigil db', () => {
  const scratch = scratchDir('cli-db');
  const cacheDir = join(scratch.dir, 'cache');
  let registry: LocalRegistry;
  let archive: DbArchive;
  let repository: string;
  let stub: StubServer;
  const stubScript: {
    blob?: (res: import('node:http').ServerResponse) => void;
    manifest?: typeof stubScript.blob;
  } = {};

  before(async () => {
    registry = await startTestRegistry();
    archive = await buildDbArchive(scratch.dir, 'db', {
      metadata: metadataJson({ nextUpdate: NEXT, updatedAt: UPDATED }),
    });
    await pushDbArtifact(registry, 'aquasec/trivy-db', '2', { file: archive.tarball });
    repository = `${registry.host}/aquasec/trivy-db`; // no tag: ":2" is implied, as in Trivy
    stub = await startStub(async (req, res) => {
      if (req.url?.includes('/blobs/') && stubScript.blob) return stubScript.blob(res);
      if (req.url?.includes('/manifests/') && stubScript.manifest) return stubScript.manifest(res);
      await forward(req, res, registry.url, stub.url);
    });
  });
  after(async () => {
    await stub?.close();
    await registry?.stop();
    scratch.cleanup();
  });

  test('db download installs the artifact; a second run finds it up to date', async () => {
    const run = await vigil(['db', 'download', '--db-repository', repository, '--cache-dir', cacheDir]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stderr,
      /downloading the vulnerability DB\s+repository=127\.0\.0\.1:\d+\/aquasec\/trivy-db:2/,
    );
    assert.deepEqual(readFileSync(join(cacheDir, 'db', 'trivy.db')), archive.db);
    const metadata = JSON.parse(readFileSync(join(cacheDir, 'db', 'metadata.json'), 'utf8')) as Record<
      string,
      string
    >;
    assert.equal(metadata.NextUpdate, NEXT);
    assert.equal(metadata.UpdatedAt, UPDATED);
    assert.notEqual(metadata.DownloadedAt, '0001-01-01T00:00:00Z');
    assert.ok(Math.abs(Date.parse(metadata.DownloadedAt!) - Date.now()) < 60_000, metadata.DownloadedAt);

    const again = await vigil(['db', 'download', '--db-repository', repository, '--cache-dir', cacheDir]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /up to date \(the local DB is the latest\)/);
    assert.equal(
      JSON.parse(readFileSync(join(cacheDir, 'db', 'metadata.json'), 'utf8')).DownloadedAt,
      metadata.DownloadedAt,
    );
  });

  test('db info: metadata, file size and per-bucket counts agree with real bbolt', async () => {
    const run = await vigil(['db', 'info', '--cache-dir', cacheDir, '--format', 'json']);
    assert.equal(run.code, 0, run.stderr);
    const info = JSON.parse(run.stdout) as {
      schemaVersion: number;
      updatedAt: string;
      nextUpdate: string;
      downloadedAt: string;
      fileSize: number;
      path: string;
      buckets: Array<{ name: string; buckets: number; keys: number }>;
    };
    const metadata = JSON.parse(readFileSync(join(cacheDir, 'db', 'metadata.json'), 'utf8')) as Record<
      string,
      string
    >;
    assert.equal(info.schemaVersion, 2);
    assert.equal(info.updatedAt, UPDATED);
    assert.equal(info.nextUpdate, NEXT);
    assert.equal(info.downloadedAt, metadata.DownloadedAt);
    assert.equal(info.path, join(cacheDir, 'db', 'trivy.db'));
    assert.equal(info.fileSize, statSync(info.path).size);

    // The oracle: real bbolt's dump (hex keys) counted per top-level bucket.
    const expected = new Map<string, { buckets: number; keys: number }>();
    for (const line of outputLines(await runBoltCheck('dump', info.path)).slice(1)) {
      const entry = JSON.parse(line) as { path: string[]; key: string; bucket?: boolean };
      const path = entry.path.map((p) => Buffer.from(p, 'hex').toString('utf8'));
      if (path.length === 0) {
        expected.set(Buffer.from(entry.key, 'hex').toString('utf8'), { buckets: 0, keys: 0 });
        continue;
      }
      const counts = expected.get(path[0]!)!;
      if (entry.bucket && path.length === 1) counts.buckets++;
      if (!entry.bucket) counts.keys++;
    }
    assert.deepEqual(
      info.buckets,
      [...expected].map(([name, c]) => ({ name, ...c })),
    );
    const debian10 = info.buckets.find((b) => b.name === 'debian 10');
    assert.ok(debian10 && debian10.buckets >= 2 && debian10.keys >= 2, JSON.stringify(debian10));

    const table = await vigil(['db', 'info', '--cache-dir', cacheDir]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^Schema version: {2}2$/m);
    assert.match(table.stdout, new RegExp(`^UpdatedAt: {7}${UPDATED.replace(/\./g, '\\.')}$`, 'm'));
    assert.match(table.stdout, /^debian 10 +\d+ +\d+$/m);
  });

  test('db get prints the stored advisories by vulnerability ID; ecosystem prefixes merge buckets', async () => {
    const run = await vigil(['db', 'get', 'debian 10', 'libidn2', '--cache-dir', cacheDir]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), {
      'CVE-2019-18224': { FixedVersion: '2.0.5-1+deb10u1', VendorIDs: ['DSA-4613-1'] },
    });
    const npm = await vigil(['db', 'get', 'npm::', 'jquery', '--cache-dir', cacheDir]);
    assert.equal(npm.code, 0, npm.stderr);
    assert.deepEqual(JSON.parse(npm.stdout), {
      'CVE-2015-9251': { PatchedVersions: ['3.0.0'], VulnerableVersions: ['< 3.0.0'] },
      'CVE-2019-11358': { PatchedVersions: ['3.4.0'], VulnerableVersions: ['< 3.4.0'] },
    });
    const none = await vigil(['db', 'get', 'debian 10', 'no-such-package', '--cache-dir', cacheDir]);
    assert.equal(none.code, 0);
    assert.equal(none.stdout, '{}\n');
    const badBucket = await vigil(['db', 'get', 'debian 99', 'bash', '--cache-dir', cacheDir]);
    assert.equal(badBucket.code, 1);
    assert.match(badBucket.stderr, /there is no bucket "debian 99" in .*; vigil db info lists the buckets/);
  });

  test('db dump prints every key with its stored value, the same as real bbolt', async () => {
    const run = await vigil(['db', 'dump', '--cache-dir', cacheDir]);
    assert.equal(run.code, 0, run.stderr);
    const lines = outputLines(run.stdout);
    const expected: string[] = [];
    for (const line of outputLines(await runBoltCheck('dump', join(cacheDir, 'db', 'trivy.db'))).slice(1)) {
      const entry = JSON.parse(line) as { path: string[]; key: string; value?: string; bucket?: boolean };
      if (entry.bucket) continue;
      const text = (hex: string) => Buffer.from(hex, 'hex').toString('utf8');
      expected.push(
        JSON.stringify({ path: entry.path.map(text), key: text(entry.key), value: text(entry.value!) }),
      );
    }
    assert.ok(expected.length > 100, `${expected.length} keys`);
    assert.deepEqual(lines, expected);
    assert.ok(
      lines.includes(
        JSON.stringify({
          path: ['debian 10', 'libidn2'],
          key: 'CVE-2019-18224',
          value: '{"FixedVersion":"2.0.5-1+deb10u1","VendorIDs":["DSA-4613-1"]}',
        }),
      ),
    );
  });

  test('user errors: no DB, a bad format, a bad repository reference', async () => {
    const empty = join(scratch.dir, 'empty-cache');
    const noDb = await vigil(['db', 'info', '--cache-dir', empty]);
    assert.equal(noDb.code, 1);
    assert.match(
      noDb.stderr,
      /^vigil: there is no vulnerability DB at .*empty-cache\/db\/trivy\.db; run vigil db download first\n$/,
    );
    const format = await vigil(['db', 'info', '--cache-dir', cacheDir, '--format', 'xml']);
    assert.equal(format.code, 2);
    assert.match(format.stderr, /xml.*(table|json)/);
    const ref = await vigil(['db', 'download', '--db-repository', 'Bad Ref', '--cache-dir', empty]);
    assert.equal(ref.code, 2);
    assert.match(ref.stderr, /--db-repository: invalid image reference "Bad Ref"/);
    const unreachable = await vigil([
      'db',
      'download',
      '--db-repository',
      '127.0.0.1:9/x/db',
      '--cache-dir',
      empty,
    ]);
    assert.equal(unreachable.code, 1);
    assert.match(
      unreachable.stderr,
      /failed to download the vulnerability DB from 127\.0\.0\.1:9\/x\/db:2: cannot reach 127\.0\.0\.1:9/,
    );
  });

  test('a download killed midway leaves the DB in use intact; the next download cleans up and succeeds', async () => {
    const killCache = join(scratch.dir, 'kill-cache');
    const first = await vigil(['db', 'download', '--db-repository', repository, '--cache-dir', killCache]);
    assert.equal(first.code, 0, first.stderr);
    const dbBefore = readFileSync(join(killCache, 'db', 'trivy.db'));
    const metadataBefore = readFileSync(join(killCache, 'db', 'metadata.json'), 'utf8');

    const tarball = readFileSync(archive.tarball);
    let child: ChildProcess | undefined;
    stubScript.blob = (res) => {
      res.writeHead(200, { 'Content-Length': String(tarball.length) });
      // Half the blob, a moment for the client to unpack some of it, then SIGKILL.
      res.write(tarball.subarray(0, Math.floor(tarball.length / 2)), () => {
        setTimeout(() => child?.kill('SIGKILL'), 300);
      });
    };
    try {
      const killed = await vigil(
        [
          'db',
          'download',
          '--force',
          '--db-repository',
          `${stub.host}/aquasec/trivy-db:2`,
          '--cache-dir',
          killCache,
        ],
        (c) => {
          child = c;
        },
      );
      assert.equal(killed.signal, 'SIGKILL', `the download was killed (${killed.stderr})`);
    } finally {
      stubScript.blob = undefined;
    }
    assert.deepEqual(readFileSync(join(killCache, 'db', 'trivy.db')), dbBefore);
    assert.equal(readFileSync(join(killCache, 'db', 'metadata.json'), 'utf8'), metadataBefore);
    const leftovers = readdirSync(killCache).filter((e) => e.startsWith('db.download-'));
    assert.equal(leftovers.length, 1, 'the killed process left its temp dir beside the DB');
    assert.ok(
      existsSync(join(killCache, leftovers[0]!, 'trivy.db')),
      'it had started writing trivy.db there',
    );

    const next = await vigil([
      'db',
      'download',
      '--force',
      '--db-repository',
      repository,
      '--cache-dir',
      killCache,
    ]);
    assert.equal(next.code, 0, next.stderr);
    assert.deepEqual(readdirSync(killCache), ['db'], 'the abandoned temp dir was removed');
    assert.deepEqual(readFileSync(join(killCache, 'db', 'trivy.db')), archive.db);
  });

  test('fallback: the first repository answers 503, the second delivers', async () => {
    const fallbackCache = join(scratch.dir, 'fallback-cache');
    stubScript.manifest = (res) => {
      res.writeHead(503, { 'Retry-After': '0' }).end('unavailable');
    };
    try {
      const run = await vigil([
        'db',
        'download',
        '--db-repository',
        `${stub.host}/aquasec/trivy-db:2`,
        '--db-repository',
        repository,
        '--cache-dir',
        fallbackCache,
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /WARN failed to download the vulnerability DB .*HTTP 503 after 5 attempts/);
      assert.match(
        run.stderr,
        /trying the next DB repository\s+repository=127\.0\.0\.1:\d+\/aquasec\/trivy-db:2/,
      );
      assert.deepEqual(readFileSync(join(fallbackCache, 'db', 'trivy.db')), archive.db);
      assert.equal(stub.requests.filter((r) => r.url.includes('/manifests/')).length >= 5, true);
    } finally {
      stubScript.manifest = undefined;
    }
  });
});
