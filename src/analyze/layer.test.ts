import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { LayerError } from '../image/layer-errors.js';
import { AnalyzeError } from './errors.js';
import { createImageAnalyzers } from './index.js';
import { analyzeLayer } from './layer.js';

async function tar(files: Record<string, string>): Promise<Buffer> {
  const p = pack();
  for (const [name, content] of Object.entries(files)) p.entry({ name, mode: 0o644 }, content);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of p) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('analyzeLayer with hostile layers', () => {
  it('never analyses a file whose path escapes the layer root, and reports it', async () => {
    const layer = gzipSync(
      await tar({ '../etc/os-release': 'ID=alpine\nVERSION_ID=3.19.0\n', 'etc/hostname': 'x' }),
    );
    const analysis = await analyzeLayer(
      Readable.from([layer]),
      { digest: 'sha256:abc' },
      { analyzers: createImageAnalyzers() },
    );
    assert.equal(analysis.blob.OS, undefined);
    assert.deepEqual(
      analysis.problems.map((p) => [p.kind, p.path]),
      [['path-escape', '../etc/os-release']],
    );
    assert.equal(analysis.compression, 'gzip');
    assert.equal(analysis.blob.Digest, 'sha256:abc');
  });

  it('turns a decompression bomb into ANALYZE_LAYER caused by LAYER_TOO_LARGE', async () => {
    const bomb = gzipSync(await tar({ 'var/lib/dpkg/status': ' '.repeat(4 * 1024 * 1024) }), { level: 9 });
    await assert.rejects(
      analyzeLayer(
        Readable.from([bomb]),
        {},
        {
          analyzers: createImageAnalyzers(),
          streamLimits: { maxRatio: 50, ratioGraceBytes: 64 * 1024 },
        },
      ),
      (e: unknown) =>
        e instanceof AnalyzeError &&
        e.code === 'ANALYZE_LAYER' &&
        e.cause instanceof LayerError &&
        e.cause.code === 'LAYER_TOO_LARGE',
    );
  });

  it('keeps going when one file cannot be parsed, and says which', async () => {
    const errors: string[] = [];
    const analysis = await analyzeLayer(
      Readable.from([
        await tar({
          'app/package.json': '{not json',
          'app/b/package.json': '{"name":"b","version":"1.0.0"}',
        }),
      ]),
      {},
      {
        analyzers: createImageAnalyzers(),
        onAnalyzerError: (analyzer, path) => errors.push(`${analyzer} ${path}`),
      },
    );
    assert.deepEqual(errors, ['node-pkg app/package.json']);
    assert.deepEqual(
      analysis.blob.Applications?.map((a) => a.FilePath),
      ['app/b/package.json'],
    );
    assert.equal(
      analysis.blob.Digest,
      undefined,
      'an uncompressed layer has no compressed digest, as in Trivy',
    );
  });
});
