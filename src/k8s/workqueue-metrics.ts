import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What one workqueue reports; all timings in seconds. */
export interface WorkQueueMetrics {
  added(): void;
  depth(n: number): void;
  /** Time an item waited in the queue before a worker took it. */
  queued(seconds: number): void;
  /** Time from a worker taking an item to done(). */
  worked(seconds: number): void;
  retried(): void;
  /** A probe read at scrape time for the in-flight gauges, so no timer has to keep them fresh. */
  inFlight(probe: () => { unfinishedSeconds: number; longestSeconds: number }): void;
}

export interface WorkQueueMetricsProvider {
  forQueue(name: string): WorkQueueMetrics;
}

// controller-runtime's buckets: 10 ns to 1000 s, ×10 each.
const DURATION_BUCKETS = Array.from({ length: 12 }, (_, i) => 1e-8 * 10 ** i);

/**
 * The workqueue series under controller-runtime's names and labels (`name` and `controller` both carry the
 * queue's name; depth also has an empty `priority`), so existing dashboards keep working. Create one provider
 * per registry; every queue gets its own label values.
 */
export function createWorkQueueMetricsProvider(registry: Registry): WorkQueueMetricsProvider {
  const probes = new Map<string, () => { unfinishedSeconds: number; longestSeconds: number }>();
  const registers = [registry];
  const depth = new Gauge({
    name: 'workqueue_depth',
    help: 'Current depth of workqueue by workqueue and priority',
    labelNames: ['name', 'controller', 'priority'] as const,
    registers,
  });
  const adds = new Counter({
    name: 'workqueue_adds_total',
    help: 'Total number of adds handled by workqueue',
    labelNames: ['name', 'controller'] as const,
    registers,
  });
  const latency = new Histogram({
    name: 'workqueue_queue_duration_seconds',
    help: 'How long in seconds an item stays in workqueue before being requested',
    labelNames: ['name', 'controller'] as const,
    buckets: DURATION_BUCKETS,
    registers,
  });
  const workDuration = new Histogram({
    name: 'workqueue_work_duration_seconds',
    help: 'How long in seconds processing an item from workqueue takes.',
    labelNames: ['name', 'controller'] as const,
    buckets: DURATION_BUCKETS,
    registers,
  });
  const retries = new Counter({
    name: 'workqueue_retries_total',
    help: 'Total number of retries handled by workqueue',
    labelNames: ['name', 'controller'] as const,
    registers,
  });
  new Gauge({
    name: 'workqueue_unfinished_work_seconds',
    help:
      "How many seconds of work has been done that is in progress and hasn't been observed by work_duration. " +
      'Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate ' +
      'at which this increases.',
    labelNames: ['name', 'controller'] as const,
    registers,
    collect() {
      for (const [name, probe] of probes) this.set({ name, controller: name }, probe().unfinishedSeconds);
    },
  });
  new Gauge({
    name: 'workqueue_longest_running_processor_seconds',
    help: 'How many seconds has the longest running processor for workqueue been running.',
    labelNames: ['name', 'controller'] as const,
    registers,
    collect() {
      for (const [name, probe] of probes) this.set({ name, controller: name }, probe().longestSeconds);
    },
  });

  return {
    forQueue(name) {
      const labels = { name, controller: name };
      // Series exist from the start, so a dashboard shows 0 rather than no data for an idle queue.
      depth.set({ ...labels, priority: '' }, 0);
      adds.inc(labels, 0);
      retries.inc(labels, 0);
      return {
        added: () => adds.inc(labels),
        depth: (n) => depth.set({ ...labels, priority: '' }, n),
        queued: (seconds) => latency.observe(labels, seconds),
        worked: (seconds) => workDuration.observe(labels, seconds),
        retried: () => retries.inc(labels),
        inFlight(probe) {
          probes.set(name, probe);
        },
      };
    },
  };
}

export const noWorkQueueMetrics: WorkQueueMetrics = Object.freeze({
  added: () => {},
  depth: () => {},
  queued: () => {},
  worked: () => {},
  retried: () => {},
  inFlight: () => {},
});
