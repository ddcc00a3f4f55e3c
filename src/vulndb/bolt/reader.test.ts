import assert from 'node:assert/strict';
import { truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { tempDir } from '../testkit.js';
import {
  BoltError,
  type Bucket,
  createMemoryBucket,
  type MemoryBucket,
  openBolt,
  writeBolt,
} from './index.js';

const tmp = tempDir('bolt-reader');
after(tmp.cleanup);

async function collect(it: AsyncIterable<{ key: Buffer; value?: Buffer; bucket?: Bucket }>) {
  const out: string[] = [];
  for await (const e of it) out.push(e.bucket !== undefined ? `${e.key}/` : `${e.key}=${e.value}`);
  return out;
}

/** A small trivy-db-shaped database used by several tests. */
function sampleTree(): MemoryBucket {
  const root = createMemoryBucket();
  const ds = root.bucket('data-source');
  ds.put('npm::GitHub Security Advisory npm', '{"ID":"ghsa"}');
  ds.put('npm::Node.js Ecosystem Security Working Group', '{"ID":"nodejs-security-wg"}');
  root.bucket('npm::GitHub Security Advisory npm').bucket('lodash').put('CVE-2019-10744', 'ghsa-lodash');
  root
    .bucket('npm::Node.js Ecosystem Security Working Group')
    .bucket('lodash')
    .put('CVE-2019-10744', 'wg-lodash');
  root.bucket('npm2::not npm').bucket('lodash').put('X', 'other');
  root.bucket('nuget::something').bucket('lodash').put('X', 'nuget');
  const debian = root.bucket('debian 12');
  for (let i = 0; i < 3000; i++) {
    debian
      .bucket(`pkg-${String(i).padStart(5, '0')}`)
      .put(`CVE-2024-${i}`, JSON.stringify({ FixedVersion: `1.${i}` }))
      .put(`CVE-2023-${i}`, '{}');
  }
  root.bucket('empty');
  return root;
}

describe('lookups, iteration and prefix scans', async () => {
  const file = join(tmp.dir, 'sample.db');
  await writeBolt(file, sampleTree());

  test('get returns stored values and undefined for missing keys and for bucket names', async () => {
    const db = await openBolt(file);
    try {
      const pkg = await db.bucket('debian 12', 'pkg-01234');
      assert.ok(pkg);
      assert.equal((await pkg.get('CVE-2024-1234'))?.toString(), '{"FixedVersion":"1.1234"}');
      assert.equal(await pkg.get('CVE-2024-9999'), undefined);
      assert.equal(await pkg.get(''), undefined);
      const debian = await db.bucket('debian 12');
      assert.equal(await debian!.get('pkg-01234'), undefined, 'a nested bucket is not a value');
      assert.equal(
        await db.bucket('debian 12', 'pkg-01234', 'CVE-2024-1234'),
        undefined,
        'a value is not a bucket',
      );
      assert.equal(await db.bucket('no such bucket'), undefined);
      assert.equal(await db.bucket('debian 12', 'pkg-99999'), undefined);
      assert.equal(await db.bucket('debian 12', 'pkg-'), undefined);
    } finally {
      await db.close();
    }
  });

  test('root iteration lists the top-level buckets in byte order', async () => {
    const db = await openBolt(file);
    try {
      assert.deepEqual(await collect(db.root.entries()), [
        'data-source/',
        'debian 12/',
        'empty/',
        'npm2::not npm/',
        'npm::GitHub Security Advisory npm/',
        'npm::Node.js Ecosystem Security Working Group/',
        'nuget::something/',
      ]);
      assert.deepEqual(await collect((await db.bucket('empty'))!.entries()), []);
    } finally {
      await db.close();
    }
  });

  test('scan(prefix) seeks to the first key >= prefix and stops after the last match', async () => {
    const db = await openBolt(file);
    try {
      assert.deepEqual(await collect(db.root.scan('npm::')), [
        'npm::GitHub Security Advisory npm/',
        'npm::Node.js Ecosystem Security Working Group/',
      ]);
      assert.deepEqual(await collect(db.root.scan('zzz')), []);
      assert.deepEqual(await collect(db.root.scan('a')), []);
      const debian = (await db.bucket('debian 12'))!;
      const hits = await collect(debian.scan('pkg-0299'));
      assert.deepEqual(
        hits,
        Array.from({ length: 10 }, (_, i) => `pkg-0299${i}/`),
      );
      assert.equal((await collect(debian.scan(''))).length, 3000);
      const from = await collect(debian.entries({ from: 'pkg-02995x' }));
      assert.deepEqual(from, ['pkg-02996/', 'pkg-02997/', 'pkg-02998/', 'pkg-02999/']);
    } finally {
      await db.close();
    }
  });

  test('prefix scans agree with filtering a full iteration, for random prefixes on random trees', async () => {
    for (const [pageSize, inline] of [
      [1024, true],
      [4096, false],
    ] as const) {
      const rnd = mulberry(pageSize);
      const root = createMemoryBucket();
      const bucket = root.bucket('b');
      const small = root.bucket('small');
      for (let i = 0; i < 4000; i++) bucket.put(randomKey(rnd), 'v');
      for (let i = 0; i < 6; i++) small.put(randomKey(rnd), 'v');
      const path = join(tmp.dir, `scan-${pageSize}.db`);
      await writeBolt(path, root, { pageSize, inline });
      const db = await openBolt(path);
      try {
        for (const name of ['b', 'small']) {
          const b = (await db.bucket(name))!;
          const all: Buffer[] = [];
          for await (const e of b.entries()) all.push(e.key);
          for (let i = 0; i < 60; i++) {
            const prefix =
              i % 3 === 0 && all.length > 0
                ? all[Math.floor(rnd() * all.length)]!.subarray(0, 1 + (i % 3))
                : randomKey(rnd).subarray(0, 1 + (i % 2));
            const expected = all
              .filter((k) => k.subarray(0, prefix.length).equals(prefix))
              .map((k) => k.toString('hex'));
            const actual: string[] = [];
            for await (const e of b.scan(prefix)) actual.push(e.key.toString('hex'));
            assert.deepEqual(actual, expected, `bucket ${name} prefix ${prefix.toString('hex')}`);
          }
          for (const k of all.slice(0, 50)) assert.equal((await b.get(k))?.toString(), 'v');
        }
      } finally {
        await db.close();
      }
    }
  });

  test('list() returns what entries() yields, as copies or as views', async () => {
    const db = await openBolt(file);
    try {
      const debian = (await db.bucket('debian 12'))!;
      const iterated = await collect(debian.entries({ prefix: 'pkg-012' }));
      const listed = (await debian.list({ prefix: 'pkg-012' })).map((e) => `${e.key}/`);
      assert.deepEqual(listed, iterated);
      assert.equal(listed.length, 100);
      const pkg = (await db.bucket('debian 12', 'pkg-00042'))!;
      const copies = await pkg.list();
      const views = await pkg.list({ views: true });
      assert.deepEqual(
        views.map((e) => `${e.key}=${e.value}`),
        copies.map((e) => `${e.key}=${e.value}`),
      );
      assert.deepEqual(
        copies.map((e) => e.key.toString()),
        ['CVE-2023-42', 'CVE-2024-42'],
      );
      copies[0]!.value!.fill(0); // copies are the caller's own
      assert.equal((await pkg.get('CVE-2023-42'))?.toString(), '{}');
    } finally {
      await db.close();
    }
  });

  test('string keys are UTF-8 and binary keys with 0x00 and 0xff bytes work', async () => {
    const root = createMemoryBucket();
    const b = root.bucket('ünïcode');
    b.put(Buffer.from([0xff, 0xff]), 'max');
    b.put(Buffer.from([0x00]), 'zero');
    b.put('ключ', 'value');
    const path = join(tmp.dir, 'utf8.db');
    await writeBolt(path, root);
    const db = await openBolt(path);
    try {
      const bucket = (await db.bucket('ünïcode'))!;
      assert.equal((await bucket.get('ключ'))?.toString(), 'value');
      assert.equal((await bucket.get(Buffer.from([0xff, 0xff])))?.toString(), 'max');
      assert.deepEqual(
        (await collect(bucket.scan(Buffer.from([0xff])))).map((s) => s.endsWith('=max')),
        [true],
      );
      assert.equal((await collect(bucket.entries()))[0], '\u0000=zero');
    } finally {
      await db.close();
    }
  });

  test('bucket sequences and inline flags are reported', async () => {
    const root = createMemoryBucket();
    const seq = root.bucket('seq');
    seq.sequence = 42n;
    seq.bucket('tiny').put('a', 'b');
    const big = seq.bucket('big');
    for (let i = 0; i < 500; i++) big.put(`k${i}`, 'x'.repeat(20));
    const path = join(tmp.dir, 'seq.db');
    await writeBolt(path, root);
    const db = await openBolt(path);
    try {
      assert.equal((await db.bucket('seq'))!.sequence, 42n);
      assert.equal((await db.bucket('seq', 'tiny'))!.inline, true);
      assert.equal((await db.bucket('seq', 'big'))!.inline, false);
    } finally {
      await db.close();
    }
  });

  test('using a closed database is a BOLT_CLOSED error', async () => {
    const db = await openBolt(file);
    const bucket = (await db.bucket('debian 12'))!;
    await db.close();
    await assert.rejects(
      bucket.get('pkg-00001'),
      (e: unknown) => e instanceof BoltError && e.code === 'BOLT_CLOSED',
    );
  });
});

describe('bounded memory', () => {
  test('opening a 1 GiB file reads only its meta pages', async () => {
    const path = join(tmp.dir, 'huge.db');
    await writeBolt(path, sampleTree());
    await truncate(path, 1024 ** 3); // sparse: the database plus a gigabyte of unused pages
    const db = await openBolt(path);
    try {
      const stats = db.stats();
      assert.equal(stats.fileSize, 1024 ** 3);
      assert.ok(stats.bytesRead <= 2 * 80, `bytes read at open: ${stats.bytesRead}`);
      assert.equal(
        (await (await db.bucket('debian 12', 'pkg-00007'))!.get('CVE-2024-7'))?.toString(),
        '{"FixedVersion":"1.7"}',
      );
      assert.ok(db.stats().bytesRead < 64 * 1024, `bytes read for one lookup: ${db.stats().bytesRead}`);
    } finally {
      await db.close();
    }
  });

  test('the page cache stays within its byte budget during a full scan of a larger database', async () => {
    const path = join(tmp.dir, 'larger.db');
    const root = createMemoryBucket();
    const b = root.bucket('b');
    for (let i = 0; i < 20000; i++) b.put(`key-${String(i).padStart(6, '0')}`, Buffer.alloc(400, i % 251));
    const written = await writeBolt(path, root);
    assert.ok(written.fileSize > 8 * 1024 * 1024);
    const budget = 256 * 1024;
    const db = await openBolt(path, { cacheBytes: budget });
    try {
      const bucket = (await db.bucket('b'))!;
      let n = 0;
      let peak = 0;
      for await (const e of bucket.entries()) {
        assert.equal(e.value?.[0], n % 251);
        n++;
        peak = Math.max(peak, db.stats().cacheBytes);
      }
      assert.equal(n, 20000);
      assert.ok(peak <= budget, `cache peaked at ${peak} bytes`);
      // A full scan reads each page about once: no re-reading of evicted inner pages per key.
      assert.ok(
        db.stats().bytesRead < written.fileSize * 1.2,
        `read ${db.stats().bytesRead} of ${written.fileSize}`,
      );
    } finally {
      await db.close();
    }
  });
});

test('random lookups hit the page cache for inner pages', async () => {
  const path = join(tmp.dir, 'cache.db');
  await writeBolt(path, sampleTree());
  const db = await openBolt(path);
  try {
    for (let i = 0; i < 200; i++) {
      const n = (i * 37) % 3000;
      const b = await db.bucket('debian 12', `pkg-${String(n).padStart(5, '0')}`);
      assert.equal((await b!.get(`CVE-2024-${n}`))?.toString(), `{"FixedVersion":"1.${n}"}`);
    }
    const { cacheHits, cacheMisses } = db.stats();
    assert.ok(cacheHits > cacheMisses, `hits ${cacheHits}, misses ${cacheMisses}`);
  } finally {
    await db.close();
  }
});

test('a file replaced after open keeps being read from the opened inode', async () => {
  const path = join(tmp.dir, 'swap.db');
  await writeBolt(path, sampleTree());
  const db = await openBolt(path);
  try {
    const replacement = createMemoryBucket();
    replacement.bucket('other').put('k', 'v');
    await writeBolt(path, replacement); // renames a new file over the path
    assert.ok(await db.bucket('debian 12', 'pkg-00001'));
  } finally {
    await db.close();
  }
  const fresh = await openBolt(path);
  try {
    assert.equal((await (await fresh.bucket('other'))!.get('k'))?.toString(), 'v');
  } finally {
    await fresh.close();
  }
});

function mulberry(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomKey(rnd: () => number): Buffer {
  // A small alphabet makes shared prefixes common.
  const alphabet = [0x00, 0x01, 0x61, 0x62, 0x7f, 0xfe, 0xff];
  const n = 1 + Math.floor(rnd() * 12);
  return Buffer.from(Array.from({ length: n }, () => alphabet[Math.floor(rnd() * alphabet.length)]!));
}
