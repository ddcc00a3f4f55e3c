/**
 * Walks one uncompressed layer tar as Trivy's LayerTar walker does (trivy:pkg/fanal/walker/tar.go): paths are
 * cleaned with a leading `/` stripped; `.wh..wh..opq` records its directory as opaque (`dir/`), `.wh.<name>`
 * records `dir/<name>` as deleted; only regular files reach the caller, and only the ones it asks for are read.
 * Symlinks and hard links are never followed (they carry no content in a tar), so link loops cannot happen.
 *
 * Hostile input is bounded and reported, never followed: entries whose path climbs out of the root (`../`) are
 * skipped, files larger than `maxFileBytes` are not read (their content is drained), and more than
 * `maxEntries` entries abort the walk with LAYER_TOO_MANY_ENTRIES. Decompression bombs are the stream's job
 * (layer-stream.ts).
 */
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { extract, type Header } from 'tar-stream';
import { LayerError } from './layer-errors.js';

export interface LayerFile {
  /** Cleaned path without a leading slash, e.g. `var/lib/dpkg/status`. */
  path: string;
  /** Size declared in the tar header. */
  size: number;
  /** Permission bits and file type bits as the tar header gives them. */
  mode: number;
}

export type LayerProblemKind = 'path-escape' | 'file-too-large' | 'bad-path';

export interface LayerProblem {
  kind: LayerProblemKind;
  path: string;
  detail: string;
}

export interface LayerWalkLimits {
  maxEntries: number;
  /** Largest file that is read into memory when asked for; larger ones are reported and skipped. */
  maxFileBytes: number;
}

export const DEFAULT_LAYER_WALK_LIMITS: LayerWalkLimits = {
  maxEntries: 1_000_000,
  maxFileBytes: 200 * 1024 ** 2,
};

export interface LayerWalkOptions {
  /** Whether the file's content is wanted; a number raises the size bound for this file. */
  wants(file: LayerFile): boolean | { maxBytes: number };
  /** Receives each wanted file's whole content; the walk waits for it before reading on. */
  onFile(file: LayerFile, content: Buffer): void | Promise<void>;
  limits?: Partial<LayerWalkLimits>;
}

export interface LayerWalkResult {
  opaqueDirs: string[];
  whiteoutFiles: string[];
  entries: number;
  problems: LayerProblem[];
}

const OPAQUE = '.wh..wh..opq';
const WHITEOUT = '.wh.';

export async function walkLayer(tar: Readable, options: LayerWalkOptions): Promise<LayerWalkResult> {
  const limits = { ...DEFAULT_LAYER_WALK_LIMITS, ...options.limits };
  const result: LayerWalkResult = { opaqueDirs: [], whiteoutFiles: [], entries: 0, problems: [] };
  const extractor = extract();
  tar.on('error', (error) => extractor.destroy(error));
  tar.pipe(extractor);

  try {
    for await (const entry of extractor) {
      result.entries++;
      if (result.entries > limits.maxEntries) {
        throw new LayerError('LAYER_TOO_MANY_ENTRIES', `layer has more than ${limits.maxEntries} entries`);
      }
      const header: Header = entry.header;
      const path = cleanTarPath(header.name);
      if (path === undefined) {
        result.problems.push({ kind: 'bad-path', path: header.name, detail: 'empty or NUL-containing name' });
        entry.resume();
        continue;
      }
      if (path === '..' || path.startsWith('../')) {
        result.problems.push({
          kind: 'path-escape',
          path: header.name,
          detail: 'path leaves the layer root',
        });
        entry.resume();
        continue;
      }
      const slash = path.lastIndexOf('/');
      const dir = slash < 0 ? '' : path.slice(0, slash + 1);
      const base = path.slice(slash + 1);
      if (base === OPAQUE) {
        result.opaqueDirs.push(dir);
        entry.resume();
        continue;
      }
      if (base.startsWith(WHITEOUT)) {
        result.whiteoutFiles.push(dir + base.slice(WHITEOUT.length));
        entry.resume();
        continue;
      }
      if (header.type !== 'file') {
        entry.resume();
        continue;
      }
      const file: LayerFile = { path, size: header.size ?? 0, mode: header.mode ?? 0 };
      const wanted = options.wants(file);
      if (wanted === false) {
        entry.resume();
        continue;
      }
      const maxBytes = wanted === true ? limits.maxFileBytes : wanted.maxBytes;
      if (file.size > maxBytes) {
        result.problems.push({
          kind: 'file-too-large',
          path,
          detail: `${file.size} bytes is over the ${maxBytes}-byte bound for analysed files`,
        });
        entry.resume();
        continue;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      await options.onFile(file, Buffer.concat(chunks));
    }
  } catch (error) {
    if (error instanceof LayerError) throw error;
    const cause = (error as { cause?: unknown }).cause;
    if (error instanceof Error && cause instanceof LayerError) throw cause;
    throw new LayerError('LAYER_CORRUPT', `cannot read the layer tar: ${(error as Error).message}`, error);
  } finally {
    tar.unpipe(extractor);
  }
  return result;
}

/** Go's path.Clean followed by stripping leading slashes, as Trivy does; undefined for unusable names. */
export function cleanTarPath(name: string): string | undefined {
  if (name === '' || name.includes('\0')) return undefined;
  let cleaned = posix.normalize(name);
  if (cleaned.length > 1 && cleaned.endsWith('/')) cleaned = cleaned.slice(0, -1);
  if (cleaned.startsWith('/')) {
    // Go's Clean resolves `/..` to `/`, so an absolute path never escapes.
    cleaned = posix.resolve('/', cleaned).replace(/^\/+/, '');
  }
  return cleaned === '' ? '.' : cleaned;
}
