import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { LayerError } from './layer-errors.js';
import { detectCompression, openLayerStream } from './layer-stream.js';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** One byte at a time for the first bytes (the magic straddles chunks), then `size`-byte chunks. */
function chunked(data: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  let i = 0;
  for (; i < 6 && i < data.length; i++) parts.push(data.subarray(i, i + 1));
  for (; i < data.length; i += size) parts.push(data.subarray(i, i + size));
  return Readable.from(parts);
}

const payload = Buffer.from(Array.from({ length: 200_000 }, (_, i) => `line ${i} of the layer\n`).join(''));
const sha = `sha256:${createHash('sha256').update(payload).digest('hex')}`;

describe('layer streams', () => {
  it('tells gzip, zstd and plain apart by magic bytes', () => {
    assert.equal(detectCompression(Buffer.from([0x1f, 0x8b, 8, 0])), 'gzip');
    assert.equal(detectCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd])), 'zstd');
    assert.equal(detectCompression(Buffer.from('./etc')), 'none');
  });

  for (const [name, encode] of [
    ['gzip', (data: Buffer) => gzipSync(data)],
    // Debian's zstd, as real zstd layers are written; Node 20 has no zstd of its own.
    ['zstd', (data: Buffer) => execFileSync('zstd', ['-q', '-c', '-3'], { input: data, maxBuffer: 1 << 28 })],
    ['none', (data: Buffer) => data],
  ] as const) {
    it(`decodes ${name} split across chunks and hashes the uncompressed bytes (diff id)`, async () => {
      const blob = encode(payload);
      const { tar, stats } = openLayerStream(chunked(blob, 1021));
      const out = await readAll(tar);
      assert.equal(out.equals(payload), true);
      assert.equal(stats.compression, name);
      assert.equal(stats.compressedBytes, blob.length);
      assert.equal(stats.uncompressedBytes, payload.length);
      assert.equal(stats.diffId(), sha);
    });
  }

  it('reports corrupt compressed data as LAYER_CORRUPT', async () => {
    const blob = gzipSync(payload);
    blob.fill(0x55, 100, 400);
    await assert.rejects(
      readAll(openLayerStream(Readable.from([blob])).tar),
      (e: unknown) => e instanceof LayerError && e.code === 'LAYER_CORRUPT',
    );
    const zstd = execFileSync('zstd', ['-q', '-c'], { input: payload });
    await assert.rejects(
      readAll(openLayerStream(Readable.from([zstd.subarray(0, zstd.length - 50)])).tar),
      (e: unknown) => e instanceof LayerError && e.code === 'LAYER_CORRUPT',
    );
  });

  it('stops at the uncompressed size bound', async () => {
    await assert.rejects(
      readAll(openLayerStream(Readable.from([gzipSync(payload)]), { maxUncompressedBytes: 100_000 }).tar),
      (e: unknown) => e instanceof LayerError && e.code === 'LAYER_TOO_LARGE',
    );
  });
});
