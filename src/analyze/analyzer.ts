/**
 * The analyser contract. A file analyser sees one regular file of a layer at a time (Trivy's Analyzer); a
 * post-analyser sees all files of one layer it asked for, once the walk is over (Trivy's PostAnalyzer, used
 * where files must be read together, e.g. dpkg's status with its md5sums lists).
 */
import type { Application, OS, PackageInfo, Repository } from './types.js';

export interface AnalyzerFile {
  /** Cleaned layer path without a leading slash. */
  path: string;
  size: number;
  mode: number;
}

export interface AnalysisResult {
  os?: OS;
  repository?: Repository;
  packageInfos?: PackageInfo[];
  applications?: Application[];
  /** Files owned by the OS package manager (sysfile filter input), with or without a leading slash. */
  systemInstalledFiles?: string[];
}

interface AnalyzerBase {
  /** Trivy's analyser type name (e.g. `dpkg`, `node-pkg`), used in cache keys and reports. */
  readonly type: string;
  readonly version: number;
  required(file: AnalyzerFile): boolean;
  /** Raises the per-file size bound for files this analyser wants (bytes). */
  readonly maxFileBytes?: number;
}

export interface FileAnalyzer extends AnalyzerBase {
  readonly kind: 'file';
  analyze(
    file: AnalyzerFile,
    content: Buffer,
  ): AnalysisResult | undefined | Promise<AnalysisResult | undefined>;
}

export interface PostAnalyzer extends AnalyzerBase {
  readonly kind: 'post';
  analyze(
    files: ReadonlyMap<string, Buffer>,
  ): AnalysisResult | undefined | Promise<AnalysisResult | undefined>;
}

export type Analyzer = FileAnalyzer | PostAnalyzer;

/** Executable as Trivy's utils.IsExecutable: a `.exe` name or any execute bit. */
export function isExecutable(file: AnalyzerFile): boolean {
  return file.path.endsWith('.exe') || (file.mode & 0o111) !== 0;
}
