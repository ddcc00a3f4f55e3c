/**
 * Analyses one layer blob into a BlobInfo, as Trivy's image artifact inspectLayer does: stream → walk → file
 * analysers as files go by → post-analysers on the files they collected → sort → sysfile filter. Nothing of
 * the layer is kept but the files an analyser asked for, each bounded in size.
 */
import type { Readable } from 'node:stream';
import { type LayerStreamLimits, openLayerStream } from '../image/layer-stream.js';
import { type LayerProblem, type LayerWalkLimits, walkLayer } from '../image/layer-walk.js';
import type { AnalysisResult, Analyzer, AnalyzerFile, PostAnalyzer } from './analyzer.js';
import { AnalyzeError } from './errors.js';
import { emptyOS, mergeOS } from './merge-os.js';
import { sortLayerApplications, sortPackageInfos } from './order.js';
import { filterSystemFiles } from './sysfile.js';
import {
  type Application,
  BLOB_SCHEMA_VERSION,
  type BlobInfo,
  type PackageInfo,
  type Repository,
} from './types.js';

export interface LayerIdentity {
  /** Compressed blob digest (the manifest's); kept only when the blob turns out to be compressed. */
  digest?: string;
  diffId?: string;
  createdBy?: string;
}

export interface AnalyzeLayerOptions {
  analyzers: readonly Analyzer[];
  streamLimits?: Partial<LayerStreamLimits>;
  walkLimits?: Partial<LayerWalkLimits>;
  /** Told about each file an analyser could not parse; the layer goes on (Trivy logs these at debug). */
  onAnalyzerError?(analyzer: string, path: string, error: unknown): void;
}

export interface LayerAnalysis {
  blob: BlobInfo;
  /** Hostile or oversized entries that were skipped. */
  problems: LayerProblem[];
  /** `sha256:` of the uncompressed tar as read (check it against the config's diff id). */
  computedDiffId: string;
  compression: 'gzip' | 'zstd' | 'none';
}

export async function analyzeLayer(
  blob: Readable,
  identity: LayerIdentity,
  options: AnalyzeLayerOptions,
): Promise<LayerAnalysis> {
  const { tar, stats } = openLayerStream(blob, options.streamLimits);
  const fileAnalyzers = options.analyzers.filter((a) => a.kind === 'file');
  const postAnalyzers = options.analyzers.filter((a): a is PostAnalyzer => a.kind === 'post');
  const postFiles = new Map<PostAnalyzer, Map<string, Buffer>>(postAnalyzers.map((a) => [a, new Map()]));
  const results: AnalysisResult[] = [];
  const report = (analyzer: string, path: string, error: unknown) =>
    options.onAnalyzerError?.(analyzer, path, error);

  let walk: Awaited<ReturnType<typeof walkLayer>>;
  try {
    walk = await walkLayer(tar, {
      limits: options.walkLimits,
      wants(file) {
        let wanted = false;
        let maxBytes = 0;
        for (const analyzer of options.analyzers) {
          if (!safeRequired(analyzer, file)) continue;
          wanted = true;
          maxBytes = Math.max(maxBytes, analyzer.maxFileBytes ?? 0);
        }
        if (!wanted) return false;
        return maxBytes > 0 ? { maxBytes } : true;
      },
      async onFile(file, content) {
        for (const analyzer of fileAnalyzers) {
          if (!safeRequired(analyzer, file)) continue;
          try {
            const result = await analyzer.analyze(file, content);
            if (result) results.push(result);
          } catch (error) {
            report(analyzer.type, file.path, error);
          }
        }
        for (const analyzer of postAnalyzers) {
          if (safeRequired(analyzer, file)) postFiles.get(analyzer)?.set(file.path, content);
        }
      },
    });
    await drain(tar);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const which = identity.diffId ?? identity.digest;
    // The cause is the LayerError (code LAYER_*) when the stream or tar was at fault.
    throw new AnalyzeError(
      'ANALYZE_LAYER',
      `cannot analyse layer${which ? ` ${which}` : ''}: ${message}`,
      error,
    );
  }

  // Trivy hands post-analysers the collected files minus those already claimed by the OS package managers
  // and language analysers of this layer.
  const claimed = claimedFiles(results);
  for (const analyzer of postAnalyzers) {
    const files = postFiles.get(analyzer) ?? new Map<string, Buffer>();
    for (const path of files.keys()) if (claimed.has(path)) files.delete(path);
    if (files.size === 0) continue;
    try {
      const result = await analyzer.analyze(files);
      if (result) results.push(result);
    } catch (error) {
      report(analyzer.type, [...files.keys()][0] ?? '', error);
    }
  }

  let os = emptyOS();
  let repository: Repository | undefined;
  const packageInfos: PackageInfo[] = [];
  const applications: Application[] = [];
  const systemFiles: string[] = [];
  for (const result of results) {
    os = mergeOS(os, result.os);
    if (result.repository) repository = result.repository;
    packageInfos.push(...(result.packageInfos ?? []));
    applications.push(...(result.applications ?? []));
    systemFiles.push(...(result.systemInstalledFiles ?? []));
  }

  const info: BlobInfo = {
    SchemaVersion: BLOB_SCHEMA_VERSION,
    Size: stats.uncompressedBytes,
    ...(stats.compression !== 'none' && identity.digest ? { Digest: identity.digest } : {}),
    ...(identity.diffId ? { DiffID: identity.diffId } : {}),
    ...(identity.createdBy ? { CreatedBy: identity.createdBy } : {}),
    ...(walk.opaqueDirs.length > 0 ? { OpaqueDirs: walk.opaqueDirs } : {}),
    ...(walk.whiteoutFiles.length > 0 ? { WhiteoutFiles: walk.whiteoutFiles } : {}),
    ...(os.Family !== '' || os.Name !== '' || os.Extended ? { OS: os } : {}),
    ...(repository ? { Repository: repository } : {}),
    ...(packageInfos.length > 0 ? { PackageInfos: sortPackageInfos(packageInfos) } : {}),
    ...(applications.length > 0 ? { Applications: sortLayerApplications(applications) } : {}),
  };
  filterSystemFiles(info, systemFiles);
  return {
    blob: info,
    problems: walk.problems,
    computedDiffId: stats.diffId(),
    compression: stats.compression,
  };
}

function safeRequired(analyzer: Analyzer, file: AnalyzerFile): boolean {
  try {
    return analyzer.required(file);
  } catch {
    return false;
  }
}

function claimedFiles(results: AnalysisResult[]): Set<string> {
  const claimed = new Set<string>();
  for (const result of results) {
    for (const file of result.systemInstalledFiles ?? []) claimed.add(file.replace(/^\/+/, ''));
    for (const app of result.applications ?? []) {
      if (app.FilePath) claimed.add(app.FilePath);
      for (const pkg of app.Packages) if (pkg.FilePath) claimed.add(pkg.FilePath);
    }
  }
  return claimed;
}

/** Reads what the tar reader left (end-of-archive blocks, padding) so Size counts the whole tar, as Trivy. */
async function drain(tar: Readable): Promise<void> {
  if (tar.readableEnded || tar.destroyed) return;
  await new Promise<void>((resolve, reject) => {
    tar.on('end', resolve);
    tar.on('close', resolve);
    tar.on('error', reject);
    tar.resume();
  });
}
