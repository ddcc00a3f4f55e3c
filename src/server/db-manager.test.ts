/**
 * The server's DB lifecycle with real DB files: a corrupt DB at start, an update swapped in while a scan holds
 * the old one (which keeps answering until released, then closes), a download that fails midway (the last good
 * DB keeps serving), files replaced on disk by someone else, and the real downloader against Debian's
 * docker-registry on loopback, including a blob cut off mid-stream by a proxy.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { LocalRegistry } from '../../test/env/registry.js';
import { type StubServer, scratchDir, startStub, startTestRegistry } from '../image/testkit.js';
import { buildDbArchive, metadataJson, pushDbArtifact } from '../vulndb/distribution-testkit.js';
import { createDbDownloader, type DbDownloader, openTrivyDb, type TrivyDb } from '../vulndb/index.js';
import { createDbManager } from './db-manager.js';
import { metadataText, placeTestDb, recordingLogger, testDbFixtures } from './testkit.js';

/** A downloader that writes the given DB as vulndb's would (rename into place), or fails after a partial write. */
function fakeDownloader(
  cacheDir: string,
  behaviour: { fail?: boolean; updatedAgoMs?: number },
): DbDownloader & { calls: number } {
  const d = {
    calls: 0,
    async download() {
      d.calls++;
      const partial = join(cacheDir, 'db.download-partial');
      mkdirSync(partial, { recursive: true });
      writeFileSync(join(partial, 'trivy.db'), Buffer.alloc(4096, 1));
      if (behaviour.fail) throw new Error('connection reset by peer after 4096 bytes');
      await placeTestDb(cacheDir, { updatedAgoMs: behaviour.updatedAgoMs ?? 60_000 });
      return {
        repository: 'test',
        manifestDigest: '',
        blobDigest: '',
        blobSize: 0,
        metadata: undefined as never,
        dbPath: join(cacheDir, 'db', 'trivy.db'),
      };
    },
  };
  return d;
}

/** openTrivyDb, recording which handles were closed. */
function trackingOpen(closed: Set<string>): (path: string) => Promise<TrivyDb> {
  let n = 0;
  return async (path) => {
    const db = await openTrivyDb(path);
    const id = `gen${++n}`;
    const close = db.close.bind(db);
    return Object.assign(Object.create(db) as TrivyDb, {
      id,
      path: db.path,
      close: async () => {
        closed.add(id);
        await close();
      },
    });
  };
}

describe('DB lifecycle', () => {
  test('a corrupt DB at start: not ready with the reason; without --skip-db-update it is downloaded again', async () => {
    const scratch = scratchDir('dbm-corrupt');
    try {
      mkdirSync(join(scratch.dir, 'db'));
      writeFileSync(
        join(scratch.dir, 'db', 'trivy.db'),
        'this is not a bolt file, it is a corrupted download',
      );
      writeFileSync(join(scratch.dir, 'db', 'metadata.json'), metadataText(Date.now()));
      const logger = recordingLogger();
      const skip = createDbManager({ cacheDir: scratch.dir, skipUpdate: true, logger });
      await skip.start();
      assert.equal(skip.status().ready, false);
      assert.match(skip.status().lastError ?? '', /trivy\.db cannot be opened/);
      assert.match(logger.text(), /error .*cannot be opened.*not ready until a vulnerability DB is loaded/);
      assert.equal(skip.acquire(), undefined);
      await skip.close();

      const downloader = fakeDownloader(scratch.dir, {});
      const repairing = createDbManager({ cacheDir: scratch.dir, skipUpdate: false, downloader, logger });
      await repairing.start();
      assert.equal(downloader.calls, 1);
      assert.equal(repairing.status().ready, true);
      await repairing.close();
    } finally {
      scratch.cleanup();
    }
  });

  test('an update is swapped in while a scan holds the old DB; the old one closes when released', async () => {
    const scratch = scratchDir('dbm-swap');
    try {
      await placeTestDb(scratch.dir, { updatedAgoMs: 30 * 3_600_000 });
      // Due: NextUpdate passed and downloaded more than an hour ago.
      const now = Date.now();
      writeFileSync(
        join(scratch.dir, 'db', 'metadata.json'),
        JSON.stringify({
          Version: 2,
          NextUpdate: new Date(now - 3_600_000).toISOString(),
          UpdatedAt: new Date(now - 30 * 3_600_000).toISOString(),
          DownloadedAt: new Date(now - 2 * 3_600_000).toISOString(),
        }),
      );
      const closed = new Set<string>();
      const downloader = fakeDownloader(scratch.dir, {});
      const outcomes: string[] = [];
      const manager = createDbManager({
        cacheDir: scratch.dir,
        skipUpdate: false,
        downloader,
        open: trackingOpen(closed),
        onCheck: (o) => outcomes.push(o),
      });
      // First check: due, so it downloads at once.
      await manager.start();
      assert.deepEqual(outcomes, ['loaded']);
      const scan = manager.acquire();
      assert.ok(scan);
      assert.equal((scan.db as TrivyDb & { id: string }).id, 'gen1');

      // Make the loaded DB due again, then check: gen2 becomes current while gen1 is leased.
      writeFileSync(
        join(scratch.dir, 'db', 'metadata.json'),
        JSON.stringify({
          Version: 2,
          NextUpdate: new Date(now - 1000).toISOString(),
          UpdatedAt: new Date(now - 25 * 3_600_000).toISOString(),
          DownloadedAt: new Date(now - 2 * 3_600_000).toISOString(),
        }),
      );
      assert.equal(await manager.check(), 'updated');
      const next = manager.acquire();
      assert.ok(next);
      assert.equal((next.db as TrivyDb & { id: string }).id, 'gen2');
      assert.ok(!closed.has('gen1'), 'the leased generation stays open');
      // The old handle still answers while the scan runs.
      assert.ok((await scan.db.getAdvisories('alpine 3.10', 'musl')).size > 0);
      scan.release();
      scan.release();
      await new Promise((r) => setImmediate(r));
      assert.ok(closed.has('gen1'), 'released: closed');
      assert.equal(manager.status().leases, 1);
      next.release();
      await manager.close();
      assert.ok(closed.has('gen2'));
    } finally {
      scratch.cleanup();
    }
  });

  test('a download failing midway keeps the last good DB serving and says so', async () => {
    const scratch = scratchDir('dbm-fail');
    try {
      await placeTestDb(scratch.dir);
      const logger = recordingLogger();
      const downloader = fakeDownloader(scratch.dir, { fail: true });
      let clock = Date.now();
      const manager = createDbManager({
        cacheDir: scratch.dir,
        skipUpdate: false,
        downloader,
        logger,
        now: () => clock,
      });
      await manager.start();
      assert.equal(downloader.calls, 0, 'fresh: loaded from disk');
      assert.equal(manager.status().ready, true);
      clock += 2 * 86_400_000;
      assert.equal(await manager.check(), 'failed');
      assert.equal(downloader.calls, 1);
      assert.match(manager.status().lastError ?? '', /download failed: connection reset by peer/);
      assert.match(logger.text(), /still serving the DB loaded before/);
      const lease = manager.acquire();
      assert.ok(lease);
      assert.ok((await lease.db.getAdvisories('alpine 3.10', 'musl')).size > 0);
      lease.release();
      await manager.close();

      // Started while the registry is down with a stale DB on disk: serve the stale DB rather than nothing.
      const stale = createDbManager({
        cacheDir: scratch.dir,
        skipUpdate: false,
        downloader,
        logger,
        now: () => clock,
      });
      await stale.start();
      assert.equal(stale.status().ready, true);
      assert.match(logger.text(), /serving the DB already on disk/);
      await stale.close();
    } finally {
      scratch.cleanup();
    }
  });
});

describe('DB lifecycle with the real downloader and registry', () => {
  const scratch = scratchDir('dbm-registry');
  let registry: LocalRegistry;
  let cutter: StubServer;
  let cutting = false;

  before(async () => {
    registry = await startTestRegistry();
    const work = join(scratch.dir, 'work');
    mkdirSync(work, { recursive: true });
    const archive = await buildDbArchive(work, 'db', {
      metadata: metadataJson({
        nextUpdate: new Date(Date.now() + 86_400_000).toISOString(),
        updatedAt: new Date(Date.now() - 3_600_000).toISOString(),
      }),
      fixtures: testDbFixtures(),
    });
    await pushDbArtifact(registry, 'vigil/trivy-db', '2', { file: archive.tarball });
    // In front of the registry: when told to, blob bodies stop after 1000 bytes and the connection drops.
    cutter = await startStub(async (req, res) => {
      const upstream = await fetch(`${registry.url}${req.url}`, {
        method: req.method,
        headers: { accept: String(req.headers.accept ?? '*/*') },
      });
      const body = Buffer.from(await upstream.arrayBuffer());
      const headers: Record<string, string> = {};
      upstream.headers.forEach((v, k) => {
        if (k !== 'transfer-encoding' && k !== 'content-encoding') headers[k] = v;
      });
      res.writeHead(upstream.status, headers);
      if (cutting && /\/blobs\//.test(req.url ?? '') && req.method === 'GET') {
        res.write(body.subarray(0, 1000));
        res.destroy();
        return;
      }
      res.end(body);
    });
  });

  after(async () => {
    await cutter?.close();
    await registry?.stop();
    scratch.cleanup();
  });

  test('downloaded at start; an update cut off mid-blob leaves the loaded DB serving', async () => {
    const cacheDir = join(scratch.dir, 'cache');
    const logger = recordingLogger();
    const downloader = createDbDownloader({
      cacheDir,
      repositories: [`${cutter.host}/vigil/trivy-db:2`],
      registry: { insecure: true, env: {} },
    });
    let clock = Date.now();
    const manager = createDbManager({ cacheDir, skipUpdate: false, downloader, logger, now: () => clock });
    await manager.start();
    assert.equal(manager.status().ready, true, manager.status().lastError);
    const before = manager.acquire();
    assert.ok(before);
    before.release();

    // Two days later the DB is due; the registry connection breaks in the middle of the blob.
    clock += 2 * 86_400_000;
    cutting = true;
    assert.equal(await manager.check(), 'failed');
    assert.match(manager.status().lastError ?? '', /download failed/);
    assert.match(logger.text(), /still serving the DB loaded before/);
    const during = manager.acquire();
    assert.ok(during, 'still serving');
    assert.ok((await during.db.getAdvisories('alpine 3.10', 'musl')).size > 0);
    during.release();

    // The registry heals: the next check downloads and swaps.
    cutting = false;
    assert.equal(await manager.check(), 'updated');
    assert.equal(manager.status().generation, 2);
    await manager.close();
  });
});

// Kept apart so the fixtures DB build is shared: a DB from another fixture set is a different file.
test('files replaced on disk by someone else are picked up by the next check', async () => {
  const scratch = scratchDir('dbm-external');
  try {
    await placeTestDb(scratch.dir);
    const manager = createDbManager({ cacheDir: scratch.dir, skipUpdate: true });
    await manager.start();
    assert.equal(await manager.check(), 'unchanged');
    writeFileSync(join(scratch.dir, 'db', 'metadata.json'), metadataText(Date.now() + 5000));
    assert.equal(await manager.check(), 'updated');
    await manager.close();
  } finally {
    scratch.cleanup();
  }
});
