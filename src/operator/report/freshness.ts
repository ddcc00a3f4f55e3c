// Is a stored report good enough to skip a scan? README decision 4 (freshness for one workload's container)
// and decision 1 (a fresh successful result for the same image, from any workload's report).
import { REPORT_LABELS } from '../../k8s/crds/index.js';
import { VIGIL_REPORT_ANNOTATIONS } from './labels.js';
import type { VigilVulnerabilityReport } from './object.js';

/**
 * A report without a status was written by Trivy Operator, which only writes reports for successful scans, so
 * it counts as Succeeded (its spec hash will not match ours anyway: Go's hash cannot be reproduced).
 */
function succeeded(report: VigilVulnerabilityReport): boolean {
  return (report.status?.phase ?? 'Succeeded') === 'Succeeded';
}

function updatedAt(report: VigilVulnerabilityReport): number {
  const t = Date.parse(report.report?.updateTimestamp ?? '');
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}

/**
 * Succeeded, `resource-spec-hash` equal to the workload's, and `report.updateTimestamp` at or after `notBefore`
 * (the newest lastScheduleTime of the VulnerabilityScanners selecting the namespace). Timestamps have whole
 * seconds, so "at or after": a report written in the second of the schedule counts as current.
 */
export function reportIsCurrent(
  report: VigilVulnerabilityReport,
  options: { specHash: string; notBefore?: Date },
): boolean {
  if (!succeeded(report)) return false;
  if (report.metadata.labels?.[REPORT_LABELS.resourceSpecHash] !== options.specHash) return false;
  if (options.notBefore !== undefined && updatedAt(report) < options.notBefore.getTime()) return false;
  return true;
}

export interface ReuseOptions {
  notBefore?: Date;
  /** Milliseconds; a result older than this (by report.updateTimestamp) is not reused. Needs `now`. */
  maxAge?: number;
  now?: Date;
}

/**
 * The newest Succeeded report whose image-key annotation is `imageKey`, updated at or after `notBefore` and
 * not older than `maxAge` — a result another workload's scan already produced for the same image.
 */
export function reusableResult(
  reports: Iterable<VigilVulnerabilityReport>,
  imageKey: string,
  options: ReuseOptions = {},
): VigilVulnerabilityReport | undefined {
  if (options.maxAge !== undefined && options.now === undefined) {
    throw new Error('reusableResult: maxAge needs now (pass the clock time the age is measured from)');
  }
  const oldest = Math.max(
    options.notBefore?.getTime() ?? Number.NEGATIVE_INFINITY,
    options.maxAge !== undefined ? options.now!.getTime() - options.maxAge : Number.NEGATIVE_INFINITY,
  );
  let best: VigilVulnerabilityReport | undefined;
  let bestAt = Number.NEGATIVE_INFINITY;
  for (const report of reports) {
    if (report.metadata.annotations?.[VIGIL_REPORT_ANNOTATIONS.imageKey] !== imageKey) continue;
    if (!succeeded(report)) continue;
    const at = updatedAt(report);
    if (at < oldest || at === Number.NEGATIVE_INFINITY) continue;
    if (best === undefined || at > bestAt) {
      best = report;
      bestAt = at;
    }
  }
  return best;
}
