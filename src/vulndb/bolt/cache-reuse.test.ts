// The page cache reuses its slots: a page a cursor, a bucket or a view refers to may be replaced by
// another read at any time between two steps. These tests read a database whose content is known while
// forcing that to happen all the time (caches of a few pages, walks interleaved with each other and with
// lookups made from inside callbacks), and compare every key and value.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tempDir } from '../testkit.js';
import {
  BoltError,
  type Bucket,
  createMemoryBucket,
  type MemoryBucket,
  openBolt,
  writeBolt,
} from './index.js';

const tmp = tempDir('bolt-cache-reuse');
after(tmp.cleanup);

/** Expected content: one line per entry, depth first, as dumpLines would print it. */
const expected = new Map<number, string[]>();
const files = new Map<number, string>();
/** Every (bucket path, key, value) of the database, for random lookups. */
const values: { path: string[]; key: string; value: string }[] = [];

function valueFor(i: number, size: number): string {
  return `${i}:`.padEnd(size, String.fromCharCode(97 + (i % 26)));
}

function build(): { root: MemoryBucket; lines: string[] } {
  const root = createMemoryBucket();
  const lines: string[] = [];
  let n = 0;
  // Several top-level buckets: many small nested (inline) buckets, big nested ones, large values that
  // take overflow pages, and plain keys.
  const pkgs = root.bucket('advisories');
  for (let p = 0; p < 1500; p++) {
    const pkg = pkgs.bucket(`pkg-${String(p).padStart(5, '0')}`);
    const count = p % 97 === 0 ? 300 : 1 + (p % 5);
    for (let k = 0; k < count; k++) {
      const key = `CVE-${String(k).padStart(4, '0')}`;
      const value = valueFor(n++, 20 + (k % 40));
      pkg.put(key, value);
      values.push({ path: ['advisories', `pkg-${String(p).padStart(5, '0')}`], key, value });
    }
  }
  const big = root.bucket('large-values');
  for (let k = 0; k < 60; k++) {
    const key = `big-${String(k).padStart(3, '0')}`;
    // From under a page to many pages: overflow pages, some larger than a large cache slot.
    const value = valueFor(n++, k % 3 === 0 ? 200_000 : 4000 + 1500 * k);
    big.put(key, value);
    values.push({ path: ['large-values'], key, value });
  }
  const flat = root.bucket('flat');
  for (let k = 0; k < 8000; k++) {
    const key = `key-${String(k).padStart(6, '0')}`;
    const value = valueFor(n++, 10 + (k % 90));
    flat.put(key, value);
    values.push({ path: ['flat'], key, value });
  }
  const deep = root.bucket('deep').bucket('a').bucket('b');
  for (let k = 0; k < 400; k++) deep.bucket(`c${k}`).put('x', valueFor(n++, 30));
  root.bucket('empty');
  return { root, lines };
}

/** Reads the whole database with async iteration: one line per entry. */
async function dumpAsync(bucket: Bucket, path: string[], out: string[]): Promise<void> {
  for await (const entry of bucket.entries()) {
    const key = entry.key.toString();
    if (entry.bucket !== undefined) {
      out.push(`${path.join('/')}/${key}/`);
      await dumpAsync(entry.bucket, [...path, key], out);
    } else {
      out.push(`${path.join('/')}/${key}=${entry.value.toString()}`);
    }
  }
}

before(async () => {
  for (const pageSize of [4096, 1024]) {
    const { root } = build();
    const file = join(tmp.dir, `db-${pageSize}.db`);
    await writeBolt(file, root, { pageSize });
    files.set(pageSize, file);
    const db = await openBolt(file);
    const lines: string[] = [];
    await dumpAsync(db.root, [], lines);
    await db.close();
    expected.set(pageSize, lines);
  }
});

// 0: every page read uncached; a few pages: slots reused on nearly every read.
const CACHES = [0, 3 * 1024, 6 * 4096, 64 * 1024];

describe('reads stay right while cache slots are reused', () => {
  for (const pageSize of [4096, 1024]) {
    for (const cacheBytes of CACHES) {
      test(`page size ${pageSize}, cache ${cacheBytes} bytes`, async () => {
        const want = expected.get(pageSize)!;
        assert.ok(want.length > 10_000);
        const db = await openBolt(files.get(pageSize)!, { cacheBytes });
        try {
          // Two walks interleaved at every entry: each evicts the other's pages.
          const a: string[] = [];
          const b: string[] = [];
          await Promise.all([dumpAsync(db.root, [], a), dumpAsync(db.root, [], b)]);
          assert.deepEqual(a, want);
          assert.deepEqual(b, want);

          // A synchronous walk whose callbacks open nested buckets and make unrelated lookups (which
          // replace the pages the walk is on) before and after using their view.
          let step = 0;
          const viewed: string[] = [];
          const flat = db.root.bucketSync('flat')!;
          const walk = (bucket: Bucket, path: string[]): void => {
            bucket.forEachView((view) => {
              if (++step % 7 === 0) flat.getSync(`key-${String((step * 31) % 8000).padStart(6, '0')}`);
              const key = view.buf.toString('utf8', view.keyStart, view.keyEnd);
              if (view.isBucket) {
                viewed.push(`${path.join('/')}/${key}/`);
                if (step % 3 === 0) flat.getSync('key-000001');
                walk(view.bucket(), [...path, key]);
              } else {
                viewed.push(
                  `${path.join('/')}/${key}=${view.buf.toString('utf8', view.valueStart, view.valueEnd)}`,
                );
              }
              return true;
            });
          };
          walk(db.root, []);
          assert.deepEqual(viewed, want);

          // Random lookups through bucket objects kept across other reads (inline ones included).
          let x = 12345;
          const buckets = new Map<string, Bucket>();
          for (let i = 0; i < 3000; i++) {
            x = (x * 1103515245 + 12345) % 2147483648;
            const { path, key, value } = values[x % values.length]!;
            const name = path.join('/');
            let bucket = buckets.get(name);
            if (bucket === undefined) {
              bucket = db.root.bucketSync(...path)!;
              buckets.set(name, bucket);
            }
            assert.equal(bucket.getSync(key)?.toString(), value, `${name} ${key}`);
            assert.equal((await bucket.get(key))?.toString(), value);
          }
          const stats = db.stats();
          assert.ok(
            stats.cacheBytes <= stats.cacheMaxBytes,
            `cache ${stats.cacheBytes} > ${stats.cacheMaxBytes}`,
          );
        } finally {
          await db.close();
        }
      });
    }
  }
});

test('listSync, list and prefix scans agree with the walk under a tiny cache', async () => {
  const db = await openBolt(files.get(1024)!, { cacheBytes: 3 * 1024 });
  try {
    const flat = db.root.bucketSync('flat')!;
    const listed = flat.listSync({ prefix: 'key-0012' }).map((e) => `${e.key}=${e.value}`);
    assert.equal(listed.length, 100);
    assert.deepEqual(
      (await flat.list({ prefix: 'key-0012' })).map((e) => `${e.key}=${e.value}`),
      listed,
    );
    const scanned: string[] = [];
    for await (const e of flat.scan('key-0012')) scanned.push(`${e.key}=${e.value}`);
    assert.deepEqual(scanned, listed);
    const viewed: string[] = [];
    flat.forEachView(
      (v) => {
        viewed.push(
          `${v.buf.toString('utf8', v.keyStart, v.keyEnd)}=${v.buf.toString('utf8', v.valueStart, v.valueEnd)}`,
        );
        return viewed.length < 5;
      },
      { from: 'key-007995' },
    );
    assert.deepEqual(
      viewed,
      ['key-007995', 'key-007996', 'key-007997', 'key-007998', 'key-007999'].map(
        (k) => `${k}=${values.find((v) => v.key === k)!.value}`,
      ),
    );
  } finally {
    await db.close();
  }
});

test('closing the database during an iteration ends it with BOLT_CLOSED', async () => {
  const db = await openBolt(files.get(4096)!);
  const flat = (await db.bucket('flat'))!;
  const it = flat.entries();
  assert.equal((await it.next()).done, false);
  await db.close();
  await assert.rejects(
    (async () => {
      for (;;) if ((await it.next()).done) break;
    })(),
    (error: unknown) => error instanceof BoltError && error.code === 'BOLT_CLOSED',
  );
  assert.throws(
    () => flat.getSync('key-000001'),
    (error: unknown) => error instanceof BoltError,
  );
});
