import assert from 'node:assert/strict';
import { Readable, type Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { LayerError } from './layer-errors.js';
import { openLayerStream } from './layer-stream.js';
import { cleanTarPath, type LayerFile, walkLayer } from './layer-walk.js';

type Entry = {
  name: string;
  type?: 'file' | 'symlink' | 'link' | 'directory';
  content?: string;
  linkname?: string;
  mode?: number;
};

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const p = pack();
  for (const e of entries) {
    const header = { name: e.name, type: e.type ?? 'file', mode: e.mode ?? 0o644, linkname: e.linkname };
    if (header.type === 'file') p.entry(header, e.content ?? '');
    else p.entry(header);
  }
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of p) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function walkAll(tar: Buffer, limits = {}) {
  const files = new Map<string, string>();
  const offered: LayerFile[] = [];
  const result = await walkLayer(Readable.from([tar]), {
    limits,
    wants(file) {
      offered.push(file);
      return true;
    },
    onFile(file, content) {
      files.set(file.path, content.toString());
    },
  });
  return { result, files, offered };
}

describe('layer walk: Trivy path rules', () => {
  it('cleans paths, records whiteouts and opaque directories, and offers only regular files', async () => {
    const tar = await tarOf([
      { name: './', type: 'directory' },
      { name: './etc/', type: 'directory' },
      { name: './etc/os-release', content: 'ID=alpine\n' },
      { name: '/abs/file', content: 'abs' },
      { name: 'a/./b/../c', content: 'c' },
      { name: 'etc/.wh.hostname', content: '' },
      { name: 'usr/lib/.wh..wh..opq', content: '' },
      { name: '.wh.toplevel', content: '' },
      { name: 'loop-a', type: 'symlink', linkname: 'loop-b' },
      { name: 'loop-b', type: 'symlink', linkname: 'loop-a' },
      { name: 'hard', type: 'link', linkname: 'etc/os-release' },
      { name: 'bin/tool', content: '#!/bin/sh\n', mode: 0o755 },
    ]);
    const { result, files, offered } = await walkAll(tar);
    assert.deepEqual([...files.keys()], ['etc/os-release', 'abs/file', 'a/c', 'bin/tool']);
    assert.equal(files.get('a/c'), 'c');
    assert.deepEqual(result.whiteoutFiles, ['etc/hostname', 'toplevel']);
    assert.deepEqual(result.opaqueDirs, ['usr/lib/']);
    assert.equal(offered.find((f) => f.path === 'bin/tool')?.mode, 0o755);
    assert.deepEqual(result.problems, []);
  });

  it('skips entries that climb out of the root and reports them', async () => {
    const tar = await tarOf([
      { name: '../../etc/passwd', content: 'root:x:0:0' },
      { name: 'ok/../../escape', content: 'x' },
      { name: '/../rooted', content: 'stays inside' },
      { name: 'fine', content: 'fine' },
    ]);
    const { result, files } = await walkAll(tar);
    assert.deepEqual([...files.keys()], ['rooted', 'fine']);
    assert.deepEqual(
      result.problems.map((p) => [p.kind, p.path]),
      [
        ['path-escape', '../../etc/passwd'],
        ['path-escape', 'ok/../../escape'],
      ],
    );
  });

  it('does not read files over the size bound, and aborts on too many entries', async () => {
    const big = 'x'.repeat(4096);
    const { result, files } = await walkAll(
      await tarOf([
        { name: 'big', content: big },
        { name: 'small', content: 's' },
      ]),
      {
        maxFileBytes: 1024,
      },
    );
    assert.deepEqual([...files.keys()], ['small']);
    assert.deepEqual(
      result.problems.map((p) => p.kind),
      ['file-too-large'],
    );
    const many = await tarOf(Array.from({ length: 50 }, (_, i) => ({ name: `f${i}`, content: '' })));
    await assert.rejects(
      walkAll(many, { maxEntries: 10 }),
      (e: unknown) => e instanceof LayerError && e.code === 'LAYER_TOO_MANY_ENTRIES',
    );
  });

  it('fails cleanly on a header that declares a huge size the archive does not have', async () => {
    const tar = await tarOf([{ name: 'huge', content: 'tiny' }]);
    // Rewrite the size field (11 octal digits at offset 124) to 8 GiB - 1 and fix the header checksum.
    const declared = 0o77777777777;
    const header = Buffer.from(tar.subarray(0, 512));
    header.write(`${declared.toString(8)}\0`, 124, 'ascii');
    header.fill(' ', 148, 156);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
    const hostile = Buffer.concat([header, tar.subarray(512)]);
    const seen: number[] = [];
    await assert.rejects(
      walkLayer(Readable.from([hostile]), {
        wants: (file) => {
          seen.push(file.size);
          return true;
        },
        onFile: () => assert.fail('a file larger than the bound is never read'),
      }),
      (e: unknown) => e instanceof LayerError && e.code === 'LAYER_CORRUPT',
    );
    assert.deepEqual(seen, [declared]);
  });

  it("cleans like Go's path.Clean with the leading slash stripped", () => {
    assert.equal(cleanTarPath('./usr/bin/'), 'usr/bin');
    assert.equal(cleanTarPath('//etc//passwd'), 'etc/passwd');
    assert.equal(cleanTarPath('/../../x'), 'x');
    assert.equal(cleanTarPath('a/../../x'), '../x');
    assert.equal(cleanTarPath('./'), '.');
    assert.equal(cleanTarPath(''), undefined);
  });
});

describe('layer walk over a decompressed stream', () => {
  it('streams a 512 MiB layer without holding it (bounded memory)', async () => {
    const size = 512 * 1024 * 1024;
    const p = pack();
    const entry = p.entry({ name: 'usr/share/big.bin', size, mode: 0o644 }) as unknown as Writable;
    const source = (async () => {
      const chunk = Buffer.alloc(1024 * 1024, 7);
      for (let written = 0; written < size; written += chunk.length) {
        if (!entry.write(chunk)) await new Promise((resolve) => entry.once('drain', resolve));
      }
      entry.end();
      p.entry({ name: 'etc/os-release', mode: 0o644 }, 'ID=wolfi\nVERSION_ID=20230201\n');
      p.finalize();
    })();
    // A plain tar: the point is the walk's memory, not zlib's speed.
    const { tar, stats } = openLayerStream(p as unknown as Readable);
    const started = Date.now();
    const before = process.memoryUsage().rss;
    let peak = before;
    const timer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const files: string[] = [];
    try {
      await walkLayer(tar, {
        wants: (file) => file.path === 'etc/os-release',
        onFile: (file) => {
          files.push(file.path);
        },
      });
      await source;
    } finally {
      clearInterval(timer);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    assert.deepEqual(files, ['etc/os-release']);
    assert.ok(stats.uncompressedBytes > size);
    const grownMiB = (peak - before) / 1024 ** 2;
    assert.ok(grownMiB < 64, `RSS grew by ${grownMiB.toFixed(1)} MiB while walking 512 MiB`);
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `streamed ${(stats.uncompressedBytes / 1024 ** 2).toFixed(0)} MiB, RSS grew ${grownMiB.toFixed(1)} MiB, ${seconds.toFixed(1)} s`,
    );
  });

  it('reports gzip decompression bombs by ratio', async () => {
    const tar = await tarOf([{ name: 'zeros', content: '\0'.repeat(8 * 1024 * 1024) }]);
    const bomb = gzipSync(tar, { level: 9 });
    const { tar: stream } = openLayerStream(Readable.from([bomb]), {
      maxRatio: 100,
      ratioGraceBytes: 1024 * 1024,
    });
    await assert.rejects(
      walkLayer(stream, { wants: () => true, onFile: () => {} }),
      (e: unknown) =>
        e instanceof LayerError && e.code === 'LAYER_TOO_LARGE' && /decompression bomb/.test(e.message),
    );
  });
});
