/**
 * Vigil's own operator metrics, beside Trivy Operator's: scan Job outcomes and durations, scans in flight,
 * reports written by phase, and scans saved by reusing another workload's result for the same image.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type ScanJobOutcome = 'succeeded' | 'failed' | 'deferred';
export type ReportPhase = 'Succeeded' | 'FAILED';

export interface OperatorMetrics {
  /** A scan Job ended (succeeded/failed, with its run time) or a scan was deferred by the concurrency limit. */
  jobFinished(outcome: ScanJobOutcome, seconds?: number): void;
  /** For callers that count in-flight scans themselves; ignored when a scansInFlight source was given. */
  scanStarted(): void;
  scanEnded(): void;
  reportWritten(phase: ReportPhase): void;
  /** Containers not scanned because a fresh result for their image was reused. */
  resultsReused(count?: number): void;
}

export interface OperatorMetricsOptions {
  /** Read at scrape time (e.g. the coordinator's count of active Jobs); otherwise scanStarted/scanEnded count. */
  scansInFlight?: () => number;
}

const DURATION_BUCKETS = [1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800];

export function createOperatorMetrics(
  registry: Registry,
  options: OperatorMetricsOptions = {},
): OperatorMetrics {
  const jobs = new Counter({
    name: 'vigil_scan_jobs_total',
    help: 'Scan Jobs by outcome: succeeded, failed, or deferred (not created because of the concurrency limit).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  // Every outcome is present from the start, so rate() works before the first event.
  for (const outcome of ['succeeded', 'failed', 'deferred']) jobs.inc({ outcome }, 0);
  const duration = new Histogram({
    name: 'vigil_scan_job_duration_seconds',
    help: 'Time from a scan Job’s start to its completion or failure.',
    labelNames: ['outcome'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  let inFlight = 0;
  const source = options.scansInFlight;
  new Gauge({
    name: 'vigil_scans_in_flight',
    help: 'Scan Jobs running now.',
    registers: [registry],
    collect() {
      this.set(source ? source() : inFlight);
    },
  });
  const reports = new Counter({
    name: 'vigil_reports_written_total',
    help: 'VulnerabilityReports written, by status.phase (Succeeded or FAILED).',
    labelNames: ['phase'],
    registers: [registry],
  });
  for (const phase of ['Succeeded', 'FAILED']) reports.inc({ phase }, 0);
  const reused = new Counter({
    name: 'vigil_scan_results_reused_total',
    help: 'Containers whose image already had a fresh result, so no scan ran for them.',
    registers: [registry],
  });

  return {
    jobFinished(outcome, seconds) {
      jobs.inc({ outcome });
      if (seconds !== undefined && outcome !== 'deferred') duration.observe({ outcome }, seconds);
    },
    scanStarted() {
      inFlight++;
    },
    scanEnded() {
      inFlight = Math.max(0, inFlight - 1);
    },
    reportWritten(phase) {
      reports.inc({ phase });
    },
    resultsReused(count = 1) {
      reused.inc(count);
    },
  };
}
