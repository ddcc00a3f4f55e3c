// The tar reader against archives written by GNU tar in its gnu, pax and ustar formats.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createGunzip } from 'node:zlib';
import { indexTarFile, normalizeTarPath, readTar, TarError } from './tar.js';
import { scratchDir } from './testkit.js';

const scratch = scratchDir('tar');
after(() => scratch.cleanup());

const longName = `${'directory-with-a-long-name/'.repeat(5)}file-Ωmega.txt`;
const files: Record<string, Buffer> = {
  'small.txt': Buffer.from('hello\n'),
  'empty.txt': Buffer.alloc(0),
  'block.bin': Buffer.alloc(512, 1),
  'big.bin': Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251)),
  [longName]: Buffer.from('deep\n'),
};

function source(): string {
  const dir = join(scratch.dir, 'src');
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  symlinkSync('small.txt', join(dir, 'link'));
  return dir;
}
const dir = source();

function archive(format: string, gzip = false): string {
  const file = join(scratch.dir, `${format}.tar${gzip ? '.gz' : ''}`);
  execFileSync('tar', [`--format=${format}`, gzip ? '-czf' : '-cf', file, '-C', dir, '.']);
  return file;
}

for (const format of ['gnu', 'pax']) {
  test(`readTar and indexTarFile agree with GNU tar (${format} format, long UTF-8 names, symlinks)`, async () => {
    const file = archive(format);
    const seen = new Map<string, Buffer>();
    for await (const entry of readTar(createReadStream(file))) {
      const name = normalizeTarPath(entry.header.name);
      if (entry.header.type === 'symlink') {
        assert.equal(name, 'link');
        assert.equal(entry.header.linkname, 'small.txt');
      }
      if (entry.header.type !== 'file') continue;
      // Read only some entries: skipped data must not disturb what follows.
      if (name === 'block.bin') continue;
      const chunks: Buffer[] = [];
      for await (const chunk of entry.body()) chunks.push(chunk);
      seen.set(name, Buffer.concat(chunks));
    }
    for (const [name, content] of Object.entries(files)) {
      if (name === 'block.bin') continue;
      assert.deepEqual(seen.get(name), content, name);
    }
    const index = await indexTarFile(file);
    const bytes = readFileSync(file);
    for (const [name, content] of Object.entries(files)) {
      const entry = index.get(name);
      assert.ok(entry, `${name} indexed`);
      assert.equal(entry.header.size, content.length);
      assert.deepEqual(
        bytes.subarray(entry.offset, entry.offset + entry.header.size),
        content,
        `${name} at its offset`,
      );
    }
    assert.equal(index.get('link')?.header.type, 'symlink');
  });
}

test('a gzip stream reads the same; offsets count uncompressed bytes', async () => {
  const file = archive('ustar', true);
  const plain = readFileSync(archive('ustar'));
  let count = 0;
  for await (const entry of readTar(createReadStream(file).pipe(createGunzip()))) {
    if (normalizeTarPath(entry.header.name) === 'big.bin') {
      assert.deepEqual(plain.subarray(entry.offset, entry.offset + entry.header.size), files['big.bin']);
    }
    count++;
  }
  assert.ok(count >= 7, `saw ${count} entries`);
});

test('truncated archives and corrupt headers are TarErrors, not hangs or short files', async () => {
  const bytes = readFileSync(archive('gnu'));
  const index = await indexTarFile(archive('gnu'));
  const big = index.get('big.bin')!;
  const cut = join(scratch.dir, 'cut.tar');
  writeFileSync(cut, bytes.subarray(0, big.offset + 1000));
  await assert.rejects(
    (async () => {
      for await (const entry of readTar(createReadStream(cut))) for await (const _ of entry.body()) void _;
    })(),
    (error: unknown) => error instanceof TarError && /ends in the middle of .*big\.bin/.test(error.message),
  );
  await assert.rejects(indexTarFile(cut), /runs past the end of the file: the archive is truncated/);

  const corrupt = Buffer.from(bytes);
  corrupt[5] = (corrupt[5] ?? 0) ^ 0x20; // inside the first name: the checksum no longer matches
  const bad = join(scratch.dir, 'bad.tar');
  writeFileSync(bad, corrupt);
  await assert.rejects(indexTarFile(bad), /bad tar header checksum at byte 0/);
  await assert.rejects(
    (async () => {
      for await (const _ of readTar(createReadStream(bad))) void _;
    })(),
    /bad tar header checksum/,
  );
  await assert.rejects(
    (async () => {
      for await (const _ of readTar(
        (async function* () {
          yield Buffer.alloc(0);
        })(),
      ))
        void _;
    })(),
    /the tar stream is empty/,
  );
});

test('path normalisation keeps escapes visible', () => {
  assert.equal(normalizeTarPath('./a//b/'), 'a/b');
  assert.equal(normalizeTarPath('/etc/passwd'), 'etc/passwd');
  assert.equal(normalizeTarPath('a/../b'), 'b');
  assert.equal(normalizeTarPath('../x'), '../x');
  assert.equal(normalizeTarPath('a/../../x'), '../x');
});
