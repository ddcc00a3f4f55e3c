import { type Clock, systemClock } from './clock.js';
import { type ControllerMetrics, noControllerMetrics } from './controller-metrics.js';
import { KubeApiError } from './errors.js';
import type { EventHandler } from './informer.js';
import type { KubeObject } from './kube-client.js';
import { errorFields, type Logger, silentLogger } from './logger.js';
import type { RateLimiter } from './rate-limiter.js';
import { createWorkQueue, type WorkQueue } from './workqueue.js';
import type { WorkQueueMetrics } from './workqueue-metrics.js';

export interface ReconcileResult {
  /** Reconcile again after this long (and reset the key's backoff): for work that is due later. */
  requeueAfterMs?: number;
  /** Reconcile again after the key's next backoff delay, without counting as an error. */
  requeue?: boolean;
}

// biome-ignore lint/suspicious/noConfusingVoidType: lets reconcilers that return nothing (async () => {}) type-check
type ReconcileReturn = Promise<ReconcileResult | undefined | void> | ReconcileResult | undefined | void;

export type Reconciler<K> = (key: K, context: { signal: AbortSignal }) => ReconcileReturn;

/** A reconcile failure that retrying cannot fix: logged and counted, the key is not requeued. */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

export interface ControllerOptions<K> {
  /** Used in logs and as the metrics' controller label. */
  name: string;
  reconcile: Reconciler<K>;
  /** Concurrent reconciles; default 1. A key is never reconciled by two workers at once. */
  workers?: number;
  /** Default: a new queue with rateLimiter (or the default 5 ms → 1000 s backoff), clock and queueMetrics. */
  queue?: WorkQueue<K>;
  rateLimiter?: RateLimiter<K>;
  queueMetrics?: WorkQueueMetrics;
  metrics?: ControllerMetrics;
  clock?: Clock;
  logger?: Logger;
}

export interface Controller<K> {
  readonly name: string;
  readonly queue: WorkQueue<K>;
  enqueue(key: K): void;
  /** Informer handlers that enqueue the keys `map` returns for an object (both old and new ones on update). */
  eventHandler<T extends KubeObject>(map: (object: T) => K | readonly K[] | undefined): EventHandler<T>;
  start(): void;
  /**
   * Stops the workers. With drain, queued keys are still reconciled (with a live signal) until the queue is
   * empty or timeoutMs passes; without, the reconcile signal aborts at once and queued keys are dropped.
   */
  stop(options?: { drain?: boolean; timeoutMs?: number }): Promise<void>;
}

/**
 * controller-runtime's controller loop: N workers take keys from the queue and reconcile them. A thrown error
 * requeues the key with backoff; a result can ask for a later requeue; nothing a reconciler throws, however
 * odd, stops a worker or the process.
 */
export function createController<K = string>(options: ControllerOptions<K>): Controller<K> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const metrics = options.metrics ?? noControllerMetrics;
  const workerCount = options.workers ?? 1;
  if (!Number.isInteger(workerCount) || workerCount < 1)
    throw new Error(`controller ${options.name}: workers must be a positive integer, not ${workerCount}`);
  const queue =
    options.queue ??
    createWorkQueue<K>({
      clock,
      ...(options.rateLimiter ? { rateLimiter: options.rateLimiter } : {}),
      ...(options.queueMetrics ? { metrics: options.queueMetrics } : {}),
    });
  const abort = new AbortController();
  let workers: Promise<void>[] | undefined;

  async function reconcileOne(key: K): Promise<void> {
    metrics.active(1);
    const started = clock.now();
    let outcome: 'success' | 'error' | 'requeue' | 'requeue_after' = 'success';
    try {
      const result = (await options.reconcile(key, { signal: abort.signal })) ?? undefined;
      if (result?.requeueAfterMs !== undefined && result.requeueAfterMs > 0) {
        queue.forget(key);
        queue.addAfter(key, result.requeueAfterMs);
        outcome = 'requeue_after';
      } else if (result?.requeue) {
        queue.addRateLimited(key);
        outcome = 'requeue';
      } else {
        queue.forget(key);
      }
    } catch (error) {
      outcome = 'error';
      const terminal = error instanceof TerminalError;
      metrics.errored(terminal);
      const fields = { controller: options.name, key: String(key), ...errorFields(error) };
      if (terminal) {
        queue.forget(key);
        logger.error('reconcile failed for good; not retrying', fields);
      } else {
        queue.addRateLimited(key);
        const retry = { ...fields, retries: queue.numRequeues(key) };
        if (isProgrammingError(error)) {
          metrics.panicked();
          logger.error('reconciler crashed; retrying with backoff', retry);
        } else if (error instanceof KubeApiError && error.isConflict) {
          // Stale reads are routine under concurrent writers; the retry reads afresh.
          logger.debug('reconcile conflicted; retrying', retry);
        } else {
          logger.warn('reconcile failed; retrying with backoff', retry);
        }
      }
    } finally {
      metrics.reconciled(outcome, (clock.now() - started) / 1000);
      metrics.active(-1);
      queue.done(key);
    }
  }

  async function work(): Promise<void> {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      if (abort.signal.aborted) {
        queue.done(key);
        continue;
      }
      try {
        await reconcileOne(key);
      } catch (error) {
        // Only a failing logger or metric could get here; the worker must outlive it.
        queue.done(key);
        logger.error('controller worker error', { controller: options.name, ...errorFields(error) });
      }
    }
  }

  const enqueueAll = (keys: K | readonly K[] | undefined) => {
    if (keys === undefined) return;
    if (Array.isArray(keys)) for (const key of keys as readonly K[]) queue.add(key);
    else queue.add(keys as K);
  };

  return {
    name: options.name,
    queue,
    enqueue: (key) => queue.add(key),
    eventHandler(map) {
      return {
        onAdd: (object) => enqueueAll(map(object)),
        onUpdate: (oldObject, newObject) => {
          enqueueAll(map(oldObject));
          enqueueAll(map(newObject));
        },
        onDelete: (object) => enqueueAll(map(object)),
      };
    },
    start() {
      if (workers) return;
      metrics.workers(workerCount);
      workers = Array.from({ length: workerCount }, () => work());
    },
    async stop(stopOptions = {}) {
      if (stopOptions.drain && workers) {
        const drained = await queue.shutdownWithDrain(stopOptions.timeoutMs);
        if (!drained) logger.warn('controller did not drain in time', { controller: options.name });
      }
      abort.abort();
      queue.shutdown();
      await Promise.all(workers ?? []);
    },
  };
}

function isProgrammingError(error: unknown): boolean {
  return (
    !(error instanceof Error) ||
    error instanceof TypeError ||
    error instanceof ReferenceError ||
    error instanceof RangeError ||
    error instanceof SyntaxError
  );
}
