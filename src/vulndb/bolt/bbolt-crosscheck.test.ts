// Cross-checks against the real go.etcd.io/bbolt (tools/bolt-check, built by the test itself):
// databases written by bbolt must read back identically, and databases written by writeBolt must pass
// bbolt's own consistency check and read back identically in bbolt.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dumpLines, firstDifference, outputLines, runBoltCheck, tempDir } from '../testkit.js';
import { fnv1a64 } from './format.js';
import { createMemoryBucket, type MemoryBucket, openBolt, writeBolt } from './index.js';

const tmp = tempDir('bolt-crosscheck');
after(tmp.cleanup);

before(async () => {
  // Build (or reuse) the Go tool before the timed tests start.
  await runBoltCheck('check', '/dev/null').catch(() => undefined);
});

async function assertReaderMatchesBbolt(file: string): Promise<string[]> {
  const expected = outputLines(await runBoltCheck('dump', file));
  const db = await openBolt(file);
  try {
    const actual = await dumpLines(db);
    const diff = firstDifference(actual, expected);
    assert.equal(diff, undefined, diff);
    return actual;
  } finally {
    await db.close();
  }
}

describe('reading databases written by bbolt', () => {
  // Seeds choose page sizes 4096, 8192, 16384 and 1024; each database has ~10,000 keys written in 12
  // transactions with deletions (so a non-empty freelist and a txid above 1), up to 6 levels of
  // nesting, hundreds of inline buckets, values spanning several pages and random binary keys.
  for (const seed of [1, 2, 3, 4]) {
    test(`seed ${seed}: every bucket, key and value equals bbolt's dump`, async () => {
      const file = join(tmp.dir, `gen-${seed}.db`);
      await runBoltCheck('gen', file, String(seed));
      const lines = await assertReaderMatchesBbolt(file);
      assert.ok(lines.length > 8000, `expected a large database, got ${lines.length} lines`);
      assert.ok(lines.some((l) => l.includes('"bucket":true')));
    });
  }

  test('the generated databases really contain inline buckets, overflow values and nesting', async () => {
    const file = join(tmp.dir, 'gen-1.db');
    const db = await openBolt(file);
    try {
      let inline = 0;
      let deepest = 0;
      let largest = 0;
      const walk = async (bucket: Awaited<ReturnType<typeof db.bucket>>, depth: number): Promise<void> => {
        if (bucket === undefined) return;
        for await (const e of bucket.entries()) {
          if (e.bucket !== undefined) {
            if (e.bucket.inline) inline++;
            deepest = Math.max(deepest, depth + 1);
            await walk(e.bucket, depth + 1);
          } else {
            largest = Math.max(largest, e.value.length);
          }
        }
      };
      await walk(db.root, 0);
      const { pageSize } = db.stats();
      assert.ok(inline > 50, `inline buckets: ${inline}`);
      assert.ok(deepest >= 4, `nesting depth: ${deepest}`);
      assert.ok(largest > pageSize, `largest value ${largest} must exceed the page size ${pageSize}`);
    } finally {
      await db.close();
    }
  });

  test('a torn newest meta page falls back to the previous transaction, exactly as bbolt does', async () => {
    const file = join(tmp.dir, 'gen-2.db');
    const torn = join(tmp.dir, 'torn.db');
    const bytes = readFileSync(file);
    const db = await openBolt(file);
    const { pageSize, metaPage, txid } = db.stats();
    await db.close();
    // Flip a byte inside the chosen meta (its txid field), which breaks its checksum.
    const at = metaPage * pageSize + 64;
    bytes[at] = bytes[at]! ^ 0xff;
    writeFileSync(torn, bytes);

    const lines = await assertReaderMatchesBbolt(torn);
    const fallback = await openBolt(torn);
    try {
      assert.equal(fallback.stats().metaPage, metaPage === 0 ? 1 : 0);
      assert.equal(fallback.stats().txid, txid - 1n);
      assert.ok(lines.length > 1000);
    } finally {
      await fallback.close();
    }
  });
});

/** A deterministic pseudo-random generator (xorshift32), so failures reproduce. */
function prng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

function randomBytes(rand: (n: number) => number, length: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = rand(256);
  return b;
}

/** Builds a random tree shaped like the Go generator's: nesting, tiny and big buckets, overflow values. */
function randomTree(seed: number, pageSize: number, keys: number): MemoryBucket {
  const rand = prng(seed);
  const root = createMemoryBucket();
  const fill = (bucket: MemoryBucket, depth: number, budget: number): void => {
    for (let i = 0; i < budget; i++) {
      const key = randomBytes(rand, 1 + rand(rand(10) === 0 ? 300 : 20));
      if (depth < 6 && rand(30) === 0) {
        let child: MemoryBucket;
        try {
          child = bucket.bucket(key);
        } catch {
          continue; // the key already holds a value
        }
        if (rand(3) === 0) child.sequence = BigInt(rand(1000));
        const size = rand(5) === 0 ? rand(Math.floor(budget / 2) + 1) : rand(6);
        fill(child, depth + 1, size);
        i += size;
        continue;
      }
      const r = rand(1000);
      const length =
        r < 30 ? 0 : r < 800 ? 1 + rand(80) : r < 990 ? 80 + rand(600) : pageSize + rand(2 * pageSize);
      try {
        bucket.put(key, randomBytes(rand, length));
      } catch {
        // the key already names a bucket
      }
    }
  };
  for (let b = 0; b < 8; b++) fill(root.bucket(randomBytes(rand, 1 + rand(12))), 1, Math.floor(keys / 8));
  root.bucket('empty bucket');
  return root;
}

describe('databases written by writeBolt', () => {
  const cases = [
    { seed: 11, pageSize: 4096, inline: true },
    { seed: 12, pageSize: 1024, inline: true },
    { seed: 13, pageSize: 16384, inline: false },
    { seed: 14, pageSize: 4096, inline: false },
  ];
  for (const { seed, pageSize, inline } of cases) {
    test(`seed ${seed}, page size ${pageSize}, inline ${inline}: bbolt's check passes and its dump equals ours`, async () => {
      const file = join(tmp.dir, `ts-${seed}.db`);
      const summary = await writeBolt(file, randomTree(seed, pageSize, 6000), { pageSize, inline, txid: 7n });
      assert.equal(summary.pageSize, pageSize);
      assert.ok(summary.values > 4000, `values written: ${summary.values}`);

      assert.equal((await runBoltCheck('check', file)).trim(), 'ok');
      const lines = await assertReaderMatchesBbolt(file);
      assert.equal(lines[0], JSON.stringify({ pageSize, txid: 7, size: summary.fileSize, kind: 'meta' }));
    });
  }

  test("a value larger than the writer's 8 MiB output chunk, between small ones, passes the check", async () => {
    const file = join(tmp.dir, 'huge-value.db');
    const root = createMemoryBucket();
    const b = root.bucket('b');
    const huge = Buffer.alloc(9 * 1024 * 1024 + 123);
    for (let i = 0; i < huge.length; i++) huge[i] = (i * 31) & 0xff;
    b.put('a', 'before');
    b.put('h', huge);
    for (let i = 0; i < 3000; i++) b.put(`z${i}`, 'x'.repeat(100)); // pages after the big one go to a new chunk
    await writeBolt(file, root);
    assert.equal((await runBoltCheck('check', file)).trim(), 'ok');
    await assertReaderMatchesBbolt(file);
    const db = await openBolt(file);
    try {
      assert.ok((await (await db.bucket('b'))!.get('h'))!.equals(huge));
    } finally {
      await db.close();
    }
  });

  test('an empty database (only the root bucket) passes the check', async () => {
    const file = join(tmp.dir, 'empty.db');
    await writeBolt(file, createMemoryBucket());
    assert.equal((await runBoltCheck('check', file)).trim(), 'ok');
    assert.deepEqual(outputLines(await runBoltCheck('dump', file)).slice(1), []);
  });

  test('a bucket with more children than fit in one branch page builds a multi-level tree bbolt accepts', async () => {
    const file = join(tmp.dir, 'wide.db');
    const root = createMemoryBucket();
    const wide = root.bucket('wide');
    // 30,000 keys of 200 bytes at 1 KiB pages: ~6,000 leaves, so three branch levels.
    for (let i = 0; i < 30000; i++) wide.put(`${String(i).padStart(8, '0')}${'k'.repeat(192)}`, String(i));
    await writeBolt(file, root, { pageSize: 1024 });
    assert.equal((await runBoltCheck('check', file)).trim(), 'ok');
    const db = await openBolt(file);
    try {
      const bucket = await db.bucket('wide');
      assert.equal((await bucket!.get(`${'00012345'}${'k'.repeat(192)}`))?.toString(), '12345');
    } finally {
      await db.close();
    }
  });
});

test('fnv1a64 matches the published FNV-1a 64 test vectors', () => {
  assert.equal(fnv1a64(Buffer.from('')), 0xcbf29ce484222325n);
  assert.equal(fnv1a64(Buffer.from('a')), 0xaf63dc4c8601ec8cn);
  assert.equal(fnv1a64(Buffer.from('foobar')), 0x85944171f73967e8n);
});
