import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type ReconcileOutcome = 'success' | 'error' | 'requeue' | 'requeue_after';

export interface ControllerMetrics {
  reconciled(outcome: ReconcileOutcome, seconds: number): void;
  errored(terminal: boolean): void;
  panicked(): void;
  workers(max: number): void;
  active(delta: number): void;
}

export interface ControllerMetricsProvider {
  forController(name: string): ControllerMetrics;
}

const RECONCILE_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25,
  1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];

/** controller-runtime's controller_runtime_* series, so its dashboards and alerts apply. One provider per registry. */
export function createControllerMetricsProvider(registry: Registry): ControllerMetricsProvider {
  const registers = [registry];
  const total = new Counter({
    name: 'controller_runtime_reconcile_total',
    help: 'Total number of reconciliations per controller',
    labelNames: ['controller', 'result'] as const,
    registers,
  });
  const errors = new Counter({
    name: 'controller_runtime_reconcile_errors_total',
    help: 'Total number of reconciliation errors per controller',
    labelNames: ['controller'] as const,
    registers,
  });
  const terminalErrors = new Counter({
    name: 'controller_runtime_terminal_reconcile_errors_total',
    help: 'Total number of terminal reconciliation errors per controller',
    labelNames: ['controller'] as const,
    registers,
  });
  const panics = new Counter({
    name: 'controller_runtime_reconcile_panics_total',
    help: 'Total number of reconciliation panics per controller',
    labelNames: ['controller'] as const,
    registers,
  });
  const time = new Histogram({
    name: 'controller_runtime_reconcile_time_seconds',
    help: 'Length of time per reconciliation per controller',
    labelNames: ['controller'] as const,
    buckets: RECONCILE_BUCKETS,
    registers,
  });
  const maxWorkers = new Gauge({
    name: 'controller_runtime_max_concurrent_reconciles',
    help: 'Maximum number of concurrent reconciles per controller',
    labelNames: ['controller'] as const,
    registers,
  });
  const activeWorkers = new Gauge({
    name: 'controller_runtime_active_workers',
    help: 'Number of currently used workers per controller',
    labelNames: ['controller'] as const,
    registers,
  });
  return {
    forController(controller) {
      const labels = { controller };
      for (const result of ['success', 'error', 'requeue', 'requeue_after'] as const)
        total.inc({ controller, result }, 0);
      errors.inc(labels, 0);
      terminalErrors.inc(labels, 0);
      panics.inc(labels, 0);
      activeWorkers.set(labels, 0);
      return {
        reconciled(result, seconds) {
          total.inc({ controller, result });
          time.observe(labels, seconds);
        },
        errored(terminal) {
          errors.inc(labels);
          if (terminal) terminalErrors.inc(labels);
        },
        panicked: () => panics.inc(labels),
        workers: (max) => maxWorkers.set(labels, max),
        active: (delta) => activeWorkers.inc(labels, delta),
      };
    },
  };
}

export const noControllerMetrics: ControllerMetrics = Object.freeze({
  reconciled: () => {},
  errored: () => {},
  panicked: () => {},
  workers: () => {},
  active: () => {},
});
