/**
 * The process exit status Trivy chooses after writing a report (trivy:pkg/commands/operation Exit):
 * --exit-on-eol N when the OS is end of life, else --exit-code N when any finding remains after filtering,
 * else 0.
 */
import type { Report } from './model.js';

export interface ExitOptions {
  /** --exit-code (default 0: never fail on findings). */
  exitCode?: number;
  /** --exit-on-eol (default 0: never fail on an end-of-life OS). */
  exitOnEol?: number;
}

/** Whether any result still has a vulnerability (Trivy's Results.Failed for vulnerability scans). */
export function hasFindings(report: Report): boolean {
  return (report.Results ?? []).some((r) => (r.Vulnerabilities?.length ?? 0) > 0);
}

/** Pass the filtered report; returns the exit status. */
export function exitCodeFor(report: Report, options: ExitOptions): number {
  if (options.exitOnEol && report.Metadata?.OS?.Eosl) return options.exitOnEol;
  if (options.exitCode && hasFindings(report)) return options.exitCode;
  return 0;
}
