// Downloading trivy-db from the real registry: an artifact shaped exactly like the published one, pushed to
// docker-registry on loopback, then every way a download can go wrong, each leaving the DB in use untouched.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { LocalRegistry } from '../../test/env/registry.js';
import { formatReference, ImageError } from '../image/index.js';
import {
  forward,
  manualClock,
  type StubServer,
  scratchDir,
  startStub,
  startTestRegistry,
} from '../image/testkit.js';
import { dbPaths, defaultCacheDir, readLocalDb } from './db-cache.js';
import { createDbDownloader, parseDbRepository } from './db-download.js';
import { ensureDb } from './db-ensure.js';
import { formatGoTime } from './db-metadata.js';
import { DbError } from './distribution-errors.js';
import { buildDbArchive, type DbArchive, metadataJson, pushDbArtifact } from './distribution-testkit.js';
import { trivyDbFixturesDir } from './testkit.js';
import { openTrivyDb } from './trivy-db.js';

const NEXT = '2099-08-22T06:04:47.123456789Z';
const UPDATED = '2026-08-21T06:04:47.987654321Z';

describe('trivy-db download', () => {
  const scratch = scratchDir('db-download');
  let registry: LocalRegistry;
  let good: DbArchive;
  let goodRef: string;
  let stub: StubServer;
  const stubScript: {
    blob?: (res: ServerResponse) => void | Promise<void>;
    manifest?: (res: ServerResponse) => void;
  } = {};

  before(async () => {
    registry = await startTestRegistry();
    good = await buildDbArchive(scratch.dir, 'good', {
      metadata: metadataJson({ nextUpdate: NEXT, updatedAt: UPDATED }),
    });
    goodRef = (await pushDbArtifact(registry, 'aquasec/trivy-db', '2', { file: good.tarball })).reference;
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

  let cacheCount = 0;
  const newCache = () => join(scratch.dir, `cache-${++cacheCount}`);
  const downloader = (cacheDir: string, repositories: string[], clock = manualClock()) =>
    createDbDownloader({
      cacheDir,
      repositories,
      clock,
      registry: { dockerConfig: false, env: {}, random: () => 0 },
    });

  /** The installed pair, to compare before and after a failure. */
  const snapshot = (cacheDir: string) => {
    const paths = dbPaths(cacheDir);
    return { db: readFileSync(paths.db), metadata: readFileSync(paths.metadata, 'utf8') };
  };
  const assertNoLeftovers = (cacheDir: string) =>
    assert.deepEqual(
      readdirSync(cacheDir).filter((e) => e !== 'db'),
      [],
      'no temporary directories remain',
    );

  /** A cache with the good DB installed. */
  const installedCache = async () => {
    const cacheDir = newCache();
    await downloader(cacheDir, [goodRef]).download();
    return cacheDir;
  };

  test("downloads Trivy's artifact layout: trivy.db byte for byte, metadata kept, DownloadedAt stamped", async () => {
    const cacheDir = newCache();
    const clock = manualClock(Date.parse('2026-08-21T07:00:00.25Z'));
    const result = await downloader(cacheDir, [goodRef], clock).download();
    assert.equal(result.repository, goodRef);
    assert.equal(result.dbPath, join(cacheDir, 'db', 'trivy.db'));
    assert.deepEqual(readFileSync(result.dbPath), good.db);
    assert.equal(
      readFileSync(join(cacheDir, 'db', 'metadata.json'), 'utf8'),
      `{"Version":2,"NextUpdate":"${NEXT}","UpdatedAt":"${UPDATED}","DownloadedAt":"2026-08-21T07:00:00.25Z"}`,
    );
    assert.equal(formatGoTime(result.metadata.downloadedAt), '2026-08-21T07:00:00.25Z');
    assertNoLeftovers(cacheDir);
    const db = await openTrivyDb(result.dbPath);
    try {
      const advisories = await db.getAdvisories('debian 10', 'libidn2');
      assert.equal(advisories.get('CVE-2019-18224')?.advisory.FixedVersion, '2.0.5-1+deb10u1');
    } finally {
      await db.close();
    }
    const local = await readLocalDb(cacheDir);
    assert.ok(local.dbFileExists && local.metadata?.version === 2);
  });

  test('a new download replaces the DB by rename: a reader of the old file keeps reading it', async () => {
    const cacheDir = await installedCache();
    const before = await openTrivyDb(dbPaths(cacheDir).db);
    try {
      const other = await buildDbArchive(scratch.dir, 'debian-only', {
        metadata: metadataJson({ nextUpdate: NEXT, updatedAt: '2026-08-22T00:00:00Z' }),
        fixtures: [join(trivyDbFixturesDir(), 'debian.yaml')],
      });
      const ref = (await pushDbArtifact(registry, 'aquasec/trivy-db', 'debian', { file: other.tarball }))
        .reference;
      await downloader(cacheDir, [ref]).download();
      assert.deepEqual(readFileSync(dbPaths(cacheDir).db), other.db);
      // The old file was renamed over, not rewritten: the open reader still sees the old content.
      const advisories = await before.getAdvisories('debian 10', 'libidn2');
      assert.equal(advisories.size, 1);
      assert.ok(
        (await before.rootBuckets()).length > 10,
        'the old DB (all fixtures) is still what the reader sees',
      );
    } finally {
      await before.close();
    }
  });

  test('repositories without a tag get the schema version, as Trivy does', () => {
    assert.equal(
      formatReference(parseDbRepository('ghcr.io/aquasecurity/trivy-db')),
      'ghcr.io/aquasecurity/trivy-db:2',
    );
    assert.equal(formatReference(parseDbRepository('example.com/db:latest')), 'example.com/db:latest');
    assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/xdg' }), '/xdg/trivy');
    assert.equal(defaultCacheDir({ HOME: '/home/u' }), '/home/u/.cache/trivy');
    assert.match(defaultCacheDir({ XDG_CACHE_HOME: 'relative', HOME: '/home/u' }), /^\/.+\/trivy$/);
  });

  test('a corrupted blob (gzip still valid, digest wrong) fails and leaves the DB in use untouched', async () => {
    const cacheDir = await installedCache();
    const before = snapshot(cacheDir);
    // Bytes 4-7 of a gzip header are its MTIME, outside every checksum: only the digest can notice a change
    // there. A different MTIME also makes this blob distinct from the good one (storage is shared by digest).
    const tarball = Buffer.from(readFileSync(good.tarball));
    tarball[4] = 0x42;
    const pushed = await pushDbArtifact(registry, 'corrupt/trivy-db', '2', tarball);
    const blob = join(registry.dir, 'storage/docker/registry/v2/blobs/sha256');
    const manifest = JSON.parse(
      readFileSync(join(blob, ...digestPath(pushed.manifestDigest))).toString(),
    ) as {
      layers: Array<{ digest: string }>;
    };
    const data = join(blob, ...digestPath(manifest.layers[0]!.digest));
    const corrupted = Buffer.from(tarball);
    corrupted[5] = (corrupted[5] ?? 0) ^ 0xff;
    writeFileSync(data, corrupted);
    await assert.rejects(downloader(cacheDir, [pushed.reference]).download(), (error: unknown) => {
      assert.ok(DbError.is(error, 'DB_DOWNLOAD'), String(error));
      assert.ok(ImageError.is(error.cause, 'IMAGE_DIGEST_MISMATCH'), String(error.cause));
      assert.match(error.message, /has digest sha256:[0-9a-f]{64}, expected sha256:/);
      return true;
    });
    assert.deepEqual(snapshot(cacheDir), before);
    assertNoLeftovers(cacheDir);

    // Corruption inside the deflate data: gunzip notices first.
    corrupted[5] = tarball[5] ?? 0;
    corrupted[Math.floor(corrupted.length / 2)] = (corrupted[Math.floor(corrupted.length / 2)] ?? 0) ^ 0x55;
    writeFileSync(data, corrupted);
    await assert.rejects(
      downloader(cacheDir, [pushed.reference]).download(),
      (error: unknown) => DbError.is(error, 'DB_DOWNLOAD') && /gzip|tar|digest/.test(error.message),
    );
    assert.deepEqual(snapshot(cacheDir), before);
    assertNoLeftovers(cacheDir);
  });

  test('truncated, escaping, incomplete or mislabelled artifacts are refused without touching the DB', async () => {
    const cacheDir = await installedCache();
    const before = snapshot(cacheDir);
    const tarball = readFileSync(good.tarball);
    const escaping = gzipSync(tarWithEntry('../escaped.txt', 'gotcha'));
    const db = join(good.dir, 'trivy.db');
    const noMetadata = await buildDbArchive(scratch.dir, 'no-metadata', {
      metadata: '{}',
      db,
      files: ['trivy.db'],
    });
    const schema3 = await buildDbArchive(scratch.dir, 'schema3', {
      metadata: metadataJson({ version: 3, nextUpdate: NEXT, updatedAt: UPDATED }),
      db,
    });
    const notBolt = await buildDbArchive(scratch.dir, 'not-bolt', {
      metadata: good.metadataText,
      db: good.tarball,
    });
    const cases: Array<[string, Buffer | { file: string }, Parameters<typeof pushDbArtifact>[4], RegExp]> = [
      [
        'truncated',
        tarball.subarray(0, Math.floor(tarball.length / 2)),
        {},
        /not a valid gzip stream|ends in the middle/,
      ],
      ['escaping', escaping, {}, /"\.\.\/escaped\.txt" points outside the DB directory/],
      ['no-metadata', { file: noMetadata.tarball }, {}, /metadata\.json is missing from the archive/],
      ['schema3', { file: schema3.tarball }, {}, /holds a schema 3 DB; vigil reads schema 2/],
      ['not-bolt', { file: notBolt.tarball }, {}, /the downloaded trivy\.db is not a usable bbolt file/],
      ['two-layers', tarball, { extraLayer: true }, /must have a single layer, it has 2/],
      [
        'media-type',
        tarball,
        { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' },
        /expected application\/vnd\.aquasec\.trivy\.db\.layer\.v1\.tar\+gzip/,
      ],
      ['no-title', tarball, { title: null }, /no org\.opencontainers\.image\.title annotation/],
      ['bad-title', tarball, { title: '../db.tar.gz' }, /is not a local relative path/],
    ];
    for (const [name, content, options, pattern] of cases) {
      const { reference } = await pushDbArtifact(registry, `bad/${name}`, '2', content, options);
      await assert.rejects(downloader(cacheDir, [reference]).download(), (error: unknown) => {
        assert.ok(DbError.is(error, 'DB_DOWNLOAD'), `${name}: ${String(error)}`);
        assert.match(error.message, pattern, name);
        return true;
      });
      assert.deepEqual(snapshot(cacheDir), before, name);
      assertNoLeftovers(cacheDir);
    }
    assert.ok(!existsSync(join(cacheDir, 'escaped.txt')) && !existsSync(join(scratch.dir, 'escaped.txt')));
  });

  test('an aborted download (midway through the blob) leaves the DB in use untouched', async () => {
    const cacheDir = await installedCache();
    const before = snapshot(cacheDir);
    const tarball = readFileSync(good.tarball);
    let sentHalf!: () => void;
    const halfway = new Promise<void>((resolve) => {
      sentHalf = resolve;
    });
    stubScript.blob = (res) => {
      res.writeHead(200, { 'Content-Length': String(tarball.length) });
      res.write(tarball.subarray(0, Math.floor(tarball.length / 2)), () => sentHalf());
      // …and never the rest.
    };
    try {
      const controller = new AbortController();
      const download = downloader(cacheDir, [goodRef.replace(registry.host, stub.host)]).download({
        signal: controller.signal,
      });
      await halfway;
      controller.abort();
      await assert.rejects(download, (error: unknown) => (error as Error).name === 'AbortError');
      assert.deepEqual(snapshot(cacheDir), before);
      assertNoLeftovers(cacheDir);
    } finally {
      stubScript.blob = undefined;
    }
  });

  test('fallback to the next repository on 5xx and BLOB_UNKNOWN, but not on denial or a missing tag', async () => {
    const cacheDir = newCache();
    const viaStub = goodRef.replace(registry.host, stub.host);
    const clock = manualClock();
    try {
      stubScript.manifest = (res) => {
        res.writeHead(503, { 'Retry-After': '1' }).end('down for maintenance');
      };
      const result = await downloader(cacheDir, [viaStub, goodRef], clock).download();
      assert.equal(result.repository, goodRef, 'the second repository delivered');
      assert.deepEqual(
        clock.sleeps,
        [1000, 1000, 1000, 1000],
        'the first was retried (Retry-After) before giving up',
      );
      assert.deepEqual(readFileSync(result.dbPath), good.db);

      stubScript.manifest = undefined;
      stubScript.blob = (res) => {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]}');
      };
      assert.equal((await downloader(cacheDir, [viaStub, goodRef]).download()).repository, goodRef);

      stubScript.blob = undefined;
      stubScript.manifest = (res) => {
        res.writeHead(403, { 'Content-Type': 'application/json' });
        res.end('{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}');
      };
      await assert.rejects(downloader(cacheDir, [viaStub, goodRef]).download(), (error: unknown) => {
        assert.ok(DbError.is(error, 'DB_DOWNLOAD'));
        assert.ok(error.message.startsWith(`failed to download the vulnerability DB from ${viaStub}:`));
        assert.match(error.message, /access denied/);
        return true;
      });
      stubScript.manifest = undefined;
      await assert.rejects(
        downloader(cacheDir, [`${registry.host}/missing/trivy-db:2`, goodRef]).download(),
        /from 127\.0\.0\.1:\d+\/missing\/trivy-db:2: manifest .* not found/,
      );

      stubScript.manifest = (res) => {
        res.writeHead(502).end();
      };
      await assert.rejects(
        downloader(cacheDir, [viaStub, viaStub], manualClock()).download(),
        (error: unknown) => {
          assert.ok(DbError.is(error, 'DB_DOWNLOAD'));
          assert.match(
            error.message,
            /from any repository: .*HTTP 502 after 5 attempts; .*HTTP 502 after 5 attempts/,
          );
          return true;
        },
      );
    } finally {
      stubScript.manifest = undefined;
      stubScript.blob = undefined;
    }
  });

  test('ensureDb downloads only when the rules say so, and --skip-db-update needs a DB', async () => {
    const cacheDir = newCache();
    const clock = manualClock(Date.parse('2026-08-21T07:00:00Z'));
    const dl = downloader(cacheDir, [goodRef], clock);
    await assert.rejects(
      ensureDb({ cacheDir, downloader: dl, skipUpdate: true, clock }),
      /cannot be specified on the first run/,
    );
    const first = await ensureDb({ cacheDir, downloader: dl, clock });
    assert.ok(first.downloaded);
    assert.match(first.reason, /no db file/);
    const second = await ensureDb({ cacheDir, downloader: dl, clock });
    assert.equal(second.downloaded, undefined);
    assert.match(second.reason, /is the latest/);
    const forced = await ensureDb({ cacheDir, downloader: dl, clock, force: true });
    assert.ok(forced.downloaded);
  });
});

function digestPath(digest: string): string[] {
  const hex = digest.slice('sha256:'.length);
  return [hex.slice(0, 2), hex, 'data'];
}

/** A one-entry ustar archive, made by hand so the name can be anything. */
function tarWithEntry(name: string, content: string): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 'utf8');
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${Buffer.byteLength(content).toString(8).padStart(11, '0')}\0`, 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const data = Buffer.alloc(Math.ceil(Buffer.byteLength(content) / 512) * 512);
  data.write(content);
  return Buffer.concat([header, data, Buffer.alloc(1024)]);
}
