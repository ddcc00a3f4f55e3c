/**
 * Errors of the layer-stream boundary: decompressing and walking one layer tar.
 *
 * - LAYER_CORRUPT: the compressed stream or the tar inside it cannot be read (bad gzip/zstd data, a truncated
 *   archive, a malformed tar header)
 * - LAYER_TOO_LARGE: the layer decompresses to more bytes than allowed, or expands more than the allowed ratio
 *   over its compressed size (a decompression bomb)
 * - LAYER_TOO_MANY_ENTRIES: the tar has more entries than allowed
 */
export type LayerErrorCode = 'LAYER_CORRUPT' | 'LAYER_TOO_LARGE' | 'LAYER_TOO_MANY_ENTRIES';

export class LayerError extends Error {
  readonly code: LayerErrorCode;

  constructor(code: LayerErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'LayerError';
    this.code = code;
  }
}
