/**
 * Turns a layer blob stream (gzip, zstd or plain tar, told apart by magic bytes rather than by media type,
 * because registries and archives mislabel them) into the uncompressed tar stream, bounded: a layer may not
 * decompress to more than `maxUncompressedBytes`, nor expand more than `maxRatio` times its compressed size
 * once past `ratioGraceBytes` (small, highly compressible layers such as empty files are normal).
 * The uncompressed bytes are hashed on the way, so callers get the diff id without a second pass.
 */
import { createHash } from 'node:crypto';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import { LayerError } from './layer-errors.js';

export type LayerCompression = 'gzip' | 'zstd' | 'none';

export interface LayerStreamLimits {
  maxUncompressedBytes: number;
  maxRatio: number;
  ratioGraceBytes: number;
}

export const DEFAULT_LAYER_STREAM_LIMITS: LayerStreamLimits = {
  maxUncompressedBytes: 32 * 1024 ** 3,
  maxRatio: 1000,
  ratioGraceBytes: 64 * 1024 ** 2,
};

export interface LayerStreamStats {
  compression: LayerCompression;
  compressedBytes: number;
  uncompressedBytes: number;
  /** `sha256:<hex>` of the uncompressed tar, complete once the stream has ended. */
  diffId(): string;
}

export interface OpenedLayerStream {
  tar: Readable;
  stats: LayerStreamStats;
}

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

export function detectCompression(head: Uint8Array): LayerCompression {
  if (startsWith(head, GZIP_MAGIC)) return 'gzip';
  if (startsWith(head, ZSTD_MAGIC)) return 'zstd';
  return 'none';
}

/**
 * Wraps `blob` so that reading the result yields the uncompressed tar. Errors (corrupt data, limits) are
 * emitted on the returned stream as LayerError.
 */
export function openLayerStream(blob: Readable, limits: Partial<LayerStreamLimits> = {}): OpenedLayerStream {
  const bounds = { ...DEFAULT_LAYER_STREAM_LIMITS, ...limits };
  const hash = createHash('sha256');
  let digest: string | undefined;
  const stats: LayerStreamStats = {
    compression: 'none',
    compressedBytes: 0,
    uncompressedBytes: 0,
    diffId() {
      digest ??= `sha256:${hash.digest('hex')}`;
      return digest;
    },
  };

  let decoder: Transform | undefined;
  let head: Buffer[] = [];
  let headBytes = 0;

  const output = new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      stats.compressedBytes += chunk.length;
      if (decoder) {
        writeTo(decoder, chunk, done);
        return;
      }
      head.push(chunk);
      headBytes += chunk.length;
      if (headBytes < ZSTD_MAGIC.length) {
        done();
        return;
      }
      startDecoder(done);
    },
    flush(done: TransformCallback) {
      const finish = () => {
        if (!decoder) {
          done();
          return;
        }
        decoder.once('end', () => done());
        decoder.once('error', (error) => done(error));
        decoder.end();
      };
      if (!decoder) {
        if (headBytes === 0) {
          done();
          return;
        }
        startDecoder((error) => (error ? done(error) : finish()));
        return;
      }
      finish();
    },
  });

  const emitUncompressed = (data: Buffer): Error | undefined => {
    stats.uncompressedBytes += data.length;
    if (stats.uncompressedBytes > bounds.maxUncompressedBytes) {
      return new LayerError(
        'LAYER_TOO_LARGE',
        `layer decompresses to more than ${bounds.maxUncompressedBytes} bytes; refusing it`,
      );
    }
    if (
      stats.compression !== 'none' &&
      stats.uncompressedBytes > bounds.ratioGraceBytes &&
      stats.uncompressedBytes > stats.compressedBytes * bounds.maxRatio
    ) {
      return new LayerError(
        'LAYER_TOO_LARGE',
        `layer expands more than ${bounds.maxRatio}x (${stats.compressedBytes} compressed bytes gave ` +
          `${stats.uncompressedBytes}); it looks like a decompression bomb`,
      );
    }
    hash.update(data);
    output.push(data);
    return undefined;
  };

  function startDecoder(done: TransformCallback): void {
    const first = Buffer.concat(head);
    head = [];
    stats.compression = detectCompression(first);
    decoder = makeDecoder(stats.compression);
    decoder.on('data', (data: Buffer) => {
      const error = emitUncompressed(data);
      if (error) {
        decoder?.destroy();
        output.destroy(error);
      }
    });
    decoder.on('error', (error: unknown) => {
      output.destroy(
        error instanceof LayerError
          ? error
          : new LayerError(
              'LAYER_CORRUPT',
              `cannot decompress the ${stats.compression} layer: ${(error as Error).message}`,
              error,
            ),
      );
    });
    writeTo(decoder, first, done);
  }

  blob.on('error', (error) => output.destroy(error));
  blob.pipe(output);
  return { tar: output, stats };
}

function writeTo(target: Transform, chunk: Buffer, done: TransformCallback): void {
  if (target.write(chunk)) done();
  else target.once('drain', () => done());
}

function makeDecoder(compression: LayerCompression): Transform {
  if (compression === 'gzip') return createGunzip();
  if (compression === 'zstd') return zstdTransform();
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      done(null, chunk);
    },
  });
}

/** fzstd's push API as a Transform, so back-pressure and errors flow like zlib's. */
function zstdTransform(): Transform {
  let pending: Buffer[] = [];
  const decompressor = new Decompress((data) => {
    // Copied: fzstd may reuse its window buffer for the next block.
    pending.push(Buffer.from(data));
  });
  const drain = (stream: Transform) => {
    for (const data of pending) stream.push(data);
    pending = [];
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      try {
        decompressor.push(chunk);
      } catch (error) {
        done(error as Error);
        return;
      }
      drain(this);
      done();
    },
    flush(done) {
      try {
        decompressor.push(new Uint8Array(0), true);
      } catch (error) {
        done(error as Error);
        return;
      }
      drain(this);
      done();
    },
  });
}

function startsWith(data: Uint8Array, magic: number[]): boolean {
  return data.length >= magic.length && magic.every((byte, i) => data[i] === byte);
}
