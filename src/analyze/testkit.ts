/**
 * Test helpers for the analysers (not used by production code): cached test data from tools/*.sh, layers
 * analysed from files, and compact views of results for assertions.
 */
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { promisify } from 'node:util';
import { runBuildScript } from '../../test/env/run-tool.js';
import type { Analyzer } from './analyzer.js';
import { createImageAnalyzers } from './index.js';
import { analyzeLayer, type LayerAnalysis } from './layer.js';
import type { Package } from './types.js';

export const exec = promisify(execFile);

/** Runs an idempotent tools/ script and returns the cache directory it prints. */
export function testData(script: string): Promise<string> {
  return runBuildScript(script);
}

export async function analyzeLayerFile(
  file: string,
  identity: { digest?: string; diffId?: string } = {},
  analyzers: Analyzer[] = createImageAnalyzers(),
): Promise<LayerAnalysis> {
  const errors: string[] = [];
  const analysis = await analyzeLayer(createReadStream(file), identity, {
    analyzers,
    onAnalyzerError: (analyzer, path, error) => errors.push(`${analyzer} ${path}: ${String(error)}`),
  });
  return Object.assign(analysis, { analyzerErrors: errors });
}

/** `name@version` per package (version as Trivy's FormatVersion would print it). */
export function nameVersions(packages: Package[]): string[] {
  return packages.map((p) => `${p.Name}@${p.Version}`).sort();
}
