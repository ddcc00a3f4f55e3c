// Content addressing: every blob and manifest is checked against its sha256 digest while it streams, so a
// layer is never held whole to be verified, and nothing downstream sees more bytes than the descriptor allows.
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { ImageError } from './errors.js';

export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export interface VerifyOptions {
  digest: string;
  /** Expected size in bytes; more bytes fail at once, fewer at the end. */
  size?: number | undefined;
  /** Names the content in errors ("layer sha256:… of host/repo"). */
  what: string;
}

/**
 * A pass-through that hashes what flows and fails the stream (IMAGE_DIGEST_MISMATCH) at the end when the
 * digest or size differ. Consumers must treat a stream error as "discard everything read".
 */
export function createDigestVerifier(options: VerifyOptions): Transform {
  const { digest, size, what } = options;
  if (!digest.startsWith('sha256:')) {
    throw new ImageError(
      'IMAGE_UNSUPPORTED',
      `${what}: digest algorithm of ${digest} is not supported (only sha256)`,
    );
  }
  const hash = createHash('sha256');
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      seen += chunk.length;
      if (size !== undefined && seen > size) {
        callback(
          new ImageError(
            'IMAGE_DIGEST_MISMATCH',
            `${what} is larger than the ${size} bytes its descriptor states; the content does not match ${digest}`,
          ),
        );
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      if (size !== undefined && seen !== size) {
        callback(
          new ImageError(
            'IMAGE_DIGEST_MISMATCH',
            `${what} ended after ${seen} of ${size} bytes; the content is truncated`,
          ),
        );
        return;
      }
      const actual = `sha256:${hash.digest('hex')}`;
      if (actual !== digest) {
        callback(
          new ImageError(
            'IMAGE_DIGEST_MISMATCH',
            `${what} has digest ${actual}, expected ${digest}: the content is corrupt or was altered in transit`,
          ),
        );
        return;
      }
      callback();
    },
  });
}

/** Checks small content held in memory (manifests, configs). */
export function verifyBytes(bytes: Buffer, options: VerifyOptions): void {
  if (options.size !== undefined && bytes.length !== options.size) {
    throw new ImageError(
      'IMAGE_DIGEST_MISMATCH',
      `${options.what} has ${bytes.length} bytes, its descriptor states ${options.size}`,
    );
  }
  const actual = sha256Digest(bytes);
  if (actual !== options.digest) {
    throw new ImageError(
      'IMAGE_DIGEST_MISMATCH',
      `${options.what} has digest ${actual}, expected ${options.digest}: the content is corrupt or was altered in transit`,
    );
  }
}
