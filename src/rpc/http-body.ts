/**
 * Reading a Twirp request body with bounds: the declared length is checked before anything is read, the bytes
 * received are counted as they arrive, and a gzip body (Content-Encoding: gzip) may not inflate past its own
 * bound, so neither a huge upload nor a small compression bomb can exhaust memory.
 */
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { TwirpError } from './twirp-error.js';

const gunzipAsync = promisify(gunzip);
const gzipAsync = promisify(gzip);

export interface BodyLimits {
  /** Bytes on the wire. */
  maxBytes: number;
  /** Bytes after gzip decoding (default maxBytes). */
  maxDecodedBytes?: number;
}

function tooLarge(what: string, limit: number): TwirpError {
  return new TwirpError('resource_exhausted', `${what} is larger than the server's limit of ${limit} bytes`, {
    httpStatus: 413,
    meta: { limit_bytes: String(limit) },
  });
}

export async function readRequestBody(req: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limits.maxBytes)
    throw tooLarge('the request body', limits.maxBytes);
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    throw new TwirpError(
      'malformed',
      `unsupported Content-Encoding ${JSON.stringify(encoding)} (gzip or none)`,
    );
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of req) {
      const buffer = chunk as Buffer;
      total += buffer.length;
      if (total > limits.maxBytes) throw tooLarge('the request body', limits.maxBytes);
      chunks.push(buffer);
    }
  } catch (error) {
    if (error instanceof TwirpError) throw error;
    throw new TwirpError('canceled', 'the request body could not be read to its end', { cause: error });
  }
  const raw = Buffer.concat(chunks, total);
  if (encoding === 'identity') return raw;
  const maxDecoded = limits.maxDecodedBytes ?? limits.maxBytes;
  try {
    return await gunzipAsync(raw, { maxOutputLength: maxDecoded });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw tooLarge('the decompressed request body', maxDecoded);
    }
    throw new TwirpError('malformed', 'the gzip request body could not be decompressed', { cause: error });
  }
}

/** Whether an Accept-Encoding header allows gzip (q=0 refuses it). */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (name !== 'gzip' && name !== '*') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

export function gzipBody(body: Uint8Array): Promise<Buffer> {
  return gzipAsync(body);
}
