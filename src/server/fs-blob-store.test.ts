/**
 * The on-disk blob cache: entries survive a restart, the size bound evicts least recently used entries first
 * (reads count as use, and the order survives a restart through mtimes), unreadable or misplaced files are
 * dropped and reported missing, leftovers of interrupted writes are removed, and the memory backend keeps
 * the same contract.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { scratchDir } from '../image/testkit.js';
import { toRpcArtifactInfo, toRpcBlobInfo } from '../rpc/index.js';
import type { BlobStore } from './blob-store.js';
import { openFsBlobStore } from './fs-blob-store.js';
import { createMemoryBlobStore } from './memory-blob-store.js';

function blob(name: string, padding = 0) {
  return toRpcBlobInfo({
    SchemaVersion: 2,
    DiffID: `sha256:${name}`,
    PackageInfos: [
      {
        FilePath: 'var/lib/dpkg/status',
        Packages: [{ Name: name, Version: '1.0', Maintainer: 'x'.repeat(padding) }],
      },
    ],
  });
}

function blobFiles(dir: string): string[] {
  return readdirSync(join(dir, 'vigil-server', 'blob')).sort();
}

describe('fs blob store', () => {
  test('entries persist across a restart, with Trivy’s schema rule', async () => {
    const scratch = scratchDir('fsstore');
    try {
      const first = await openFsBlobStore({ dir: scratch.dir });
      await first.putBlob('sha256:a', blob('a'));
      await first.putArtifact('sha256:img', toRpcArtifactInfo({ SchemaVersion: 1, Architecture: 'amd64' }));
      await first.close();
      const second = await openFsBlobStore({ dir: scratch.dir });
      assert.deepEqual(await second.missingBlobs('sha256:img', ['sha256:a', 'sha256:b']), {
        missingArtifact: false,
        missingBlobIds: ['sha256:b'],
      });
      assert.equal((await second.getBlob('sha256:a'))?.packageInfos[0]?.packages[0]?.name, 'a');
      assert.equal((await second.getArtifact('sha256:img'))?.architecture, 'amd64');
      assert.deepEqual({ hits: second.stats().hits, misses: second.stats().misses }, { hits: 1, misses: 1 });
      await second.deleteBlobs(['sha256:a', 'sha256:never-there']);
      assert.equal(await second.getBlob('sha256:a'), undefined);
      assert.deepEqual(blobFiles(scratch.dir), []);
    } finally {
      scratch.cleanup();
    }
  });

  test('the size bound evicts the least recently used entries; reads count; the order survives a restart', async () => {
    const scratch = scratchDir('fsstore-lru');
    try {
      const probe = await openFsBlobStore({ dir: join(scratch.dir, 'probe') });
      await probe.putBlob('k-a', blob('a', 1000));
      const one = probe.stats().bytes;
      const store = await openFsBlobStore({ dir: scratch.dir, maxBytes: one * 3.5 });
      for (const name of ['a', 'b', 'c']) await store.putBlob(`k-${name}`, blob(name, 1000));
      await store.getBlob('k-a'); // a is now the most recently used
      await store.putBlob('k-d', blob('d', 1000));
      assert.equal(await store.getBlob('k-b'), undefined, 'b was the least recently used');
      for (const k of ['k-a', 'k-c', 'k-d']) assert.ok(await store.getBlob(k), k);
      assert.equal(store.stats().evictions, 1);
      assert.ok(store.stats().bytes <= one * 3.5);
      assert.equal(blobFiles(scratch.dir).length, 3);

      // After a restart the order comes from mtimes: make k-c the oldest on disk.
      const old = new Date(Date.now() - 3_600_000);
      const cFile = blobFiles(scratch.dir).find((f) =>
        readFileSync(join(scratch.dir, 'vigil-server', 'blob', f), 'utf8').includes('"k-c"'),
      );
      assert.ok(cFile);
      utimesSync(join(scratch.dir, 'vigil-server', 'blob', cFile), old, old);
      const reopened = await openFsBlobStore({ dir: scratch.dir, maxBytes: one * 3.5 });
      await reopened.putBlob('k-e', blob('e', 1000));
      assert.equal(await reopened.getBlob('k-c'), undefined);
      assert.ok(await reopened.getBlob('k-a'));
    } finally {
      scratch.cleanup();
    }
  });

  test('unreadable, truncated or misplaced entries are dropped and reported missing; temp files are cleaned', async () => {
    const scratch = scratchDir('fsstore-corrupt');
    try {
      const store = await openFsBlobStore({ dir: scratch.dir });
      await store.putBlob('k-good', blob('good'));
      await store.putBlob('k-bad', blob('bad'));
      await store.putBlob('k-other', blob('other'));
      const dir = join(scratch.dir, 'vigil-server', 'blob');
      const fileOf = (key: string) =>
        join(
          dir,
          blobFiles(scratch.dir).find((f) => readFileSync(join(dir, f), 'utf8').includes(`"${key}"`)) ?? '',
        );
      const bad = fileOf('k-bad');
      writeFileSync(bad, readFileSync(bad, 'utf8').slice(0, 40));
      // k-other's file moved to k-good's name: it holds another key.
      const good = fileOf('k-good');
      renameSync(fileOf('k-other'), good);
      writeFileSync(join(dir, '.tmp-12345-abcdef'), 'half a write');

      const reopened = await openFsBlobStore({ dir: scratch.dir });
      assert.ok(!readdirSync(dir).some((f) => f.startsWith('.tmp-')), 'temp files removed at open');
      assert.deepEqual((await reopened.missingBlobs('x', ['k-good', 'k-bad', 'k-other'])).missingBlobIds, [
        'k-good',
        'k-bad',
        'k-other',
      ]);
      assert.equal(reopened.stats().corrupt, 2);
      assert.deepEqual(blobFiles(scratch.dir), [], 'the bad files were deleted');
      await reopened.putBlob('k-good', blob('good'));
      assert.ok(await reopened.getBlob('k-good'), 'and can be written again');
    } finally {
      scratch.cleanup();
    }
  });

  test('the memory backend keeps the same contract', async () => {
    const store: BlobStore = createMemoryBlobStore({ maxBytes: 2500 });
    await store.putBlob('k-a', blob('a', 1000));
    await store.putBlob('k-old', { ...blob('old'), schemaVersion: 1 });
    assert.deepEqual(await store.missingBlobs('img', ['k-a', 'k-old']), {
      missingArtifact: true,
      missingBlobIds: ['k-old'],
    });
    await store.putBlob('k-b', blob('b', 1000));
    await store.putBlob('k-c', blob('c', 1000));
    assert.equal(await store.getBlob('k-a'), undefined, 'evicted');
    const got = await store.getBlob('k-c');
    assert.ok(got);
    got.diffId = 'changed';
    assert.equal((await store.getBlob('k-c'))?.diffId, 'sha256:c', 'callers get copies');
  });
});
