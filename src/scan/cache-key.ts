/**
 * Cache keys in the shape of Trivy's (trivy:pkg/cache/key.go CalcKey): "sha256:" + sha256 of a JSON key base
 * and a newline. The base names Vigil and its own analyser set, so a key never equals one a Go client
 * computes: a Trivy server shared by both must not hand a Go client a blob Vigil analysed, or the reverse.
 */
import { createHash } from 'node:crypto';
import type { Analyzer } from '../analyze/index.js';

/** Raised when BlobInfo as Vigil stores it changes shape, so old cache entries stop matching. */
export const VIGIL_BLOB_FORMAT = 1;
const ARTIFACT_VERSION = 1;

export interface KeyOptions {
  analyzers: readonly Pick<Analyzer, 'type' | 'version'>[];
}

/** Analyser type → version, sorted by type (Go marshals maps with sorted keys). */
export function analyzerVersions(analyzers: KeyOptions['analyzers']): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of [...analyzers].sort((x, y) => (x.type < y.type ? -1 : x.type > y.type ? 1 : 0))) {
    out[a.type] = a.version;
  }
  return out;
}

export function calcKey(id: string, options: KeyOptions): string {
  const base = {
    ID: id,
    ArtifactVersion: ARTIFACT_VERSION,
    AnalyzerVersions: { Analyzers: analyzerVersions(options.analyzers) },
    Scanner: 'vigil',
    BlobFormat: VIGIL_BLOB_FORMAT,
  };
  return `sha256:${createHash('sha256')
    .update(`${JSON.stringify(base)}\n`)
    .digest('hex')}`;
}
