// Damaged files must give a BoltError with the right code and an actionable message — never a crash
// (RangeError from a Buffer read, …), a hang (page cycles) or a silently wrong answer.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tempDir } from '../testkit.js';
import { fnv1a64 } from './format.js';
import {
  type BoltDb,
  BoltError,
  type BoltErrorCode,
  type Bucket,
  createMemoryBucket,
  openBolt,
  writeBolt,
} from './index.js';
import { keyAt, parseTreePage, type TreePage, valueAt } from './page.js';

const tmp = tempDir('bolt-corrupt');
after(tmp.cleanup);

const PAGE = 4096;
let pristine: Buffer;
let counter = 0;

before(async () => {
  const root = createMemoryBucket();
  const b = root.bucket('b');
  for (let i = 0; i < 3000; i++) b.put(`key-${String(i).padStart(5, '0')}`, `value-${i}`);
  const nested = root.bucket('nested');
  const child = nested.bucket('child');
  for (let i = 0; i < 300; i++) child.put(`c${i}`, 'x'.repeat(30));
  nested.bucket('tiny').put('t', 'inline');
  const file = join(tmp.dir, 'pristine.db');
  await writeBolt(file, root, { pageSize: PAGE });
  pristine = readFileSync(file);
});

/** Parses page pgid of an image of the file (no validation beyond the tree page parser's). */
function page(bytes: Buffer, pgid: number): TreePage {
  const overflow = bytes.readUInt32LE(pgid * PAGE + 12);
  const buf = bytes.subarray(pgid * PAGE, (pgid + 1 + overflow) * PAGE);
  return parseTreePage(buf, pgid, {
    path: 'test',
    pageCount: bytes.length / PAGE,
    where: () => `page ${pgid}`,
  });
}

function rootPgid(bytes: Buffer): number {
  return Number(bytes.readBigUInt64LE(PAGE + 32)); // meta page 1 has the higher txid
}

/** Element index of key in a leaf page. */
function find(p: TreePage, key: string): number {
  for (let i = 0; i < p.count; i++) if (keyAt(p, i).toString() === key) return i;
  throw new Error(`no key ${key}`);
}

/** pgid of the root page of top-level bucket name. */
function bucketRoot(bytes: Buffer, name: string): number {
  const root = page(bytes, rootPgid(bytes));
  return Number(valueAt(root, find(root, name)).readBigUInt64LE(0));
}

/** Absolute file offset of element i's header in page pgid. */
function elementOffset(pgid: number, i: number): number {
  return pgid * PAGE + 16 + i * 16;
}

function write(bytes: Buffer): string {
  const file = join(tmp.dir, `case-${++counter}.db`);
  writeFileSync(file, bytes);
  return file;
}

/** Reads every bucket and value of the database. */
async function readAll(db: BoltDb): Promise<number> {
  let n = 0;
  const walk = async (bucket: Bucket): Promise<void> => {
    for await (const e of bucket.entries()) {
      n++;
      if (e.bucket !== undefined) await walk(e.bucket);
    }
  };
  await walk(db.root);
  return n;
}

function isBoltError(code: BoltErrorCode, file: string, pattern?: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof BoltError, `expected a BoltError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.ok(error.message.includes(file), `message names the file: ${error.message}`);
    if (code !== 'BOLT_IO') assert.match(error.message, /download the vulnerability database again/);
    if (pattern) assert.match(error.message, pattern);
    return true;
  };
}

async function expectOpenError(bytes: Buffer, code: BoltErrorCode, pattern?: RegExp): Promise<void> {
  const file = write(bytes);
  await assert.rejects(openBolt(file), isBoltError(code, file, pattern));
}

/** Opens fine, but reading everything fails with code. */
async function expectReadError(bytes: Buffer, code: BoltErrorCode, pattern?: RegExp): Promise<void> {
  const file = write(bytes);
  const db = await openBolt(file);
  try {
    await assert.rejects(readAll(db), isBoltError(code, file, pattern));
  } finally {
    await db.close();
  }
}

describe('files that are not bbolt databases', () => {
  test('a missing file is BOLT_IO naming the file', async () => {
    const file = join(tmp.dir, 'missing.db');
    await assert.rejects(openBolt(file), isBoltError('BOLT_IO', file, /ENOENT/));
  });
  test('an empty file', () => expectOpenError(Buffer.alloc(0), 'BOLT_NOT_BOLT', /empty/));
  test('a text file', () =>
    expectOpenError(Buffer.from('{"Version":2}\n'.repeat(1000)), 'BOLT_NOT_BOLT', /magic/));
  test('random bytes', () => {
    const bytes = Buffer.alloc(64 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    return expectOpenError(bytes, 'BOLT_NOT_BOLT');
  });
  test('an unsupported data format version', () => {
    const bytes = Buffer.from(pristine);
    for (const at of [0, PAGE]) {
      bytes.writeUInt32LE(3, at + 20);
      bytes.writeBigUInt64LE(fnv1a64(bytes.subarray(at + 16, at + 72)), at + 72);
    }
    return expectOpenError(bytes, 'BOLT_NOT_BOLT', /version 3/);
  });
});

describe('truncated files', () => {
  test('cut in the middle', () =>
    expectOpenError(pristine.subarray(0, pristine.length / 2), 'BOLT_TRUNCATED', /holds \d+ pages/));
  test('cut inside the first page', () => expectOpenError(pristine.subarray(0, 100), 'BOLT_TRUNCATED'));
  test('cut inside the first meta', () => expectOpenError(pristine.subarray(0, 40), 'BOLT_TRUNCATED'));
  test('missing only its last page', () =>
    expectOpenError(pristine.subarray(0, pristine.length - PAGE), 'BOLT_TRUNCATED'));
});

describe('damaged meta pages', () => {
  test('both checksums wrong', () => {
    const bytes = Buffer.from(pristine);
    bytes[72] = bytes[72]! ^ 1;
    bytes[PAGE + 72] = bytes[PAGE + 72]! ^ 1;
    return expectOpenError(bytes, 'BOLT_CORRUPT', /meta/);
  });

  test('meta page 0 wiped: the page size is found from meta page 1 and the data reads back', async () => {
    for (const pageSize of [4096, 16384]) {
      const root = createMemoryBucket();
      root.bucket('b').put('k', 'v');
      const file = join(tmp.dir, `wiped-${pageSize}.db`);
      await writeBolt(file, root, { pageSize });
      const bytes = readFileSync(file);
      bytes.fill(0, 0, 80);
      const db = await openBolt(write(bytes));
      try {
        assert.equal(db.stats().pageSize, pageSize);
        assert.equal(db.stats().metaPage, 1);
        assert.equal((await (await db.bucket('b'))!.get('k'))?.toString(), 'v');
      } finally {
        await db.close();
      }
    }
  });

  test('a root page outside the file', () => {
    const bytes = Buffer.from(pristine);
    for (const at of [0, PAGE]) {
      bytes.writeBigUInt64LE(1n << 40n, at + 32);
      bytes.writeBigUInt64LE(fnv1a64(bytes.subarray(at + 16, at + 72)), at + 72);
    }
    return expectOpenError(bytes, 'BOLT_CORRUPT', /root bucket page/);
  });
});

describe('damaged tree pages', () => {
  test('a branch element pointing at its own page (a cycle) is reported, not followed forever', () => {
    const bytes = Buffer.from(pristine);
    const b = bucketRoot(bytes, 'b');
    assert.equal(page(bytes, b).isLeaf, false);
    bytes.writeBigUInt64LE(BigInt(b), elementOffset(b, 1) + 8);
    return expectReadError(bytes, 'BOLT_CORRUPT', /cycle/);
  });

  test('a nested bucket whose root is an ancestor page (a cycle through buckets)', () => {
    const bytes = Buffer.from(pristine);
    const nestedRoot = bucketRoot(bytes, 'nested');
    const p = page(bytes, nestedRoot);
    const i = find(p, 'child');
    const valueAtFile = nestedRoot * PAGE + (p.offsets[i * 4 + 2] ?? 0);
    bytes.writeBigUInt64LE(BigInt(rootPgid(bytes)), valueAtFile);
    return expectReadError(bytes, 'BOLT_CORRUPT', /cycle/);
  });

  test('a branch element pointing outside the file', () => {
    const bytes = Buffer.from(pristine);
    const b = bucketRoot(bytes, 'b');
    bytes.writeBigUInt64LE(123456789n, elementOffset(b, 2) + 8);
    return expectReadError(bytes, 'BOLT_CORRUPT', /outside the file's pages/);
  });

  test('a branch element pointing at the wrong (valid) leaf', () => {
    const bytes = Buffer.from(pristine);
    const b = bucketRoot(bytes, 'b');
    const first = bytes.readBigUInt64LE(elementOffset(b, 0) + 8);
    const second = bytes.readBigUInt64LE(elementOffset(b, 1) + 8);
    bytes.writeBigUInt64LE(second, elementOffset(b, 0) + 8);
    bytes.writeBigUInt64LE(first, elementOffset(b, 1) + 8);
    return expectReadError(bytes, 'BOLT_CORRUPT', /out of range/);
  });

  test('an element count larger than the page', () => {
    const bytes = Buffer.from(pristine);
    const leaf = Number(bytes.readBigUInt64LE(elementOffset(bucketRoot(bytes, 'b'), 0) + 8));
    bytes.writeUInt16LE(0xffff, leaf * PAGE + 10);
    return expectReadError(bytes, 'BOLT_CORRUPT', /claims 65535 elements/);
  });

  test('an element whose key extends past the page', () => {
    const bytes = Buffer.from(pristine);
    const leaf = Number(bytes.readBigUInt64LE(elementOffset(bucketRoot(bytes, 'b'), 0) + 8));
    bytes.writeUInt32LE(0x7fffffff, elementOffset(leaf, 3) + 8); // ksize
    return expectReadError(bytes, 'BOLT_CORRUPT', /extends past the end/);
  });

  test('keys out of order inside a page', () => {
    const bytes = Buffer.from(pristine);
    const leaf = Number(bytes.readBigUInt64LE(elementOffset(bucketRoot(bytes, 'b'), 0) + 8));
    const p = page(bytes, leaf);
    bytes[leaf * PAGE + (p.offsets[5 * 4] ?? 0)] = 0x00; // key 5 now sorts before key 4
    return expectReadError(bytes, 'BOLT_CORRUPT', /not in ascending order/);
  });

  test('a page whose header carries another id', () => {
    const bytes = Buffer.from(pristine);
    const b = bucketRoot(bytes, 'b');
    bytes.writeBigUInt64LE(BigInt(b + 1), b * PAGE);
    return expectReadError(bytes, 'BOLT_CORRUPT', /has id/);
  });

  test('a tree page with freelist flags', () => {
    const bytes = Buffer.from(pristine);
    const b = bucketRoot(bytes, 'b');
    bytes.writeUInt16LE(0x10, b * PAGE + 8);
    return expectReadError(bytes, 'BOLT_CORRUPT', /page flags 0x10/);
  });

  test('an overflow count past the end of the file', () => {
    const bytes = Buffer.from(pristine);
    const b = bucketRoot(bytes, 'b');
    bytes.writeUInt32LE(0xffffffff, b * PAGE + 12);
    return expectReadError(bytes, 'BOLT_CORRUPT', /overflow/);
  });

  test('a bucket value too short for a bucket header', () => {
    const bytes = Buffer.from(pristine);
    const nestedRoot = bucketRoot(bytes, 'nested');
    const i = find(page(bytes, nestedRoot), 'tiny');
    bytes.writeUInt32LE(8, elementOffset(nestedRoot, i) + 12); // vsize
    return expectReadError(bytes, 'BOLT_CORRUPT', /bucket whose header/);
  });
});

test('random byte damage never crashes or hangs: every outcome is data or a BoltError', async () => {
  let state = 0x2545f491;
  const rand = (n: number) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
  const pages = pristine.length / PAGE;
  const outcomes = new Map<string, number>();
  for (let round = 0; round < 120; round++) {
    const bytes = Buffer.from(pristine);
    const target = 2 + rand(pages - 2);
    for (let flips = 1 + rand(6); flips > 0; flips--) {
      // Mostly headers and element tables, where damage changes structure; sometimes anywhere.
      const at = target * PAGE + (rand(3) === 0 ? rand(PAGE) : rand(16 + 16 * 40));
      bytes[at] = rand(256);
    }
    const file = write(bytes);
    let outcome = 'ok';
    try {
      const db = await openBolt(file, { cacheBytes: 64 * 1024 });
      try {
        const timeout = new Promise<never>((_, reject) => {
          const timer = setTimeout(() => reject(new Error(`round ${round}: reading hung`)), 10_000);
          timer.unref();
        });
        await Promise.race([readAll(db), timeout]);
      } finally {
        await db.close();
      }
    } catch (error) {
      if (!(error instanceof BoltError)) throw error;
      outcome = error.code;
    }
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
  assert.ok((outcomes.get('BOLT_CORRUPT') ?? 0) > 60, `outcomes: ${JSON.stringify([...outcomes])}`);
});

test('the pristine file reads completely (the damage tests start from a valid database)', async () => {
  const db = await openBolt(write(Buffer.from(pristine)));
  try {
    assert.equal(await readAll(db), 2 + 3000 + 2 + 300 + 1);
  } finally {
    await db.close();
  }
});
