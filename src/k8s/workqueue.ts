import { type Clock, systemClock, type Timer } from './clock.js';
import { createMinHeap } from './min-heap.js';
import { createExponentialRateLimiter, type RateLimiter } from './rate-limiter.js';
import { noWorkQueueMetrics, type WorkQueueMetrics } from './workqueue-metrics.js';

export interface WorkQueueOptions<K> {
  /** Default: exponential per item, 5 ms doubling up to 1000 s. */
  rateLimiter?: RateLimiter<K>;
  clock?: Clock;
  metrics?: WorkQueueMetrics;
}

/**
 * A keyed work queue with client-go's guarantees: a key waiting in the queue is held once however often it is
 * added; a key being processed is never handed to a second worker, and adds during processing make it come back
 * once done() is called; failures are retried after a per-key backoff.
 */
export interface WorkQueue<K = string> {
  add(key: K): void;
  /** Adds key after delayMs; when key is already waiting for a later time, the earlier time wins. */
  addAfter(key: K, delayMs: number): void;
  /** Adds key after the rate limiter's next delay for it (a retry). */
  addRateLimited(key: K): void;
  /** Resets key's backoff; call after it was processed successfully. */
  forget(key: K): void;
  numRequeues(key: K): number;
  /**
   * The next key to process, waiting for one if none is queued; undefined once the queue is shut down and
   * empty. Every key obtained must be handed back with done().
   */
  get(): Promise<K | undefined>;
  done(key: K): void;
  /** Keys waiting to be taken (not in flight, not delayed). */
  len(): number;
  /** Keys taken and not yet done. */
  processing(): number;
  isShuttingDown(): boolean;
  /**
   * Stops accepting adds and drops delayed ones. Keys already queued are still handed out; keys in flight
   * finish but are not re-queued.
   */
  shutdown(): void;
  /** shutdown(), then resolves true once the queue is empty and nothing is in flight, false after timeoutMs. */
  shutdownWithDrain(timeoutMs?: number): Promise<boolean>;
}

export function createWorkQueue<K = string>(options: WorkQueueOptions<K> = {}): WorkQueue<K> {
  const clock = options.clock ?? systemClock;
  const limiter = options.rateLimiter ?? createExponentialRateLimiter<K>();
  const metrics = options.metrics ?? noWorkQueueMetrics;

  // FIFO of queued keys; `head` avoids O(n) shifts.
  let fifo: K[] = [];
  let head = 0;
  /** Keys that need processing: queued, or re-added while in flight. */
  const dirty = new Set<K>();
  /** Keys in flight → when a worker took them. */
  const inFlight = new Map<K, number>();
  /** When each dirty key was first added, for the queue-latency metric. */
  const addedAt = new Map<K, number>();
  /** Delayed keys → the time they become due; the heap may hold stale entries for earlier/later times. */
  const delayed = new Map<K, number>();
  const heap = createMinHeap<K>();
  let timer: Timer | undefined;
  let timerAt = Number.POSITIVE_INFINITY;
  const getters: Array<(key: K | undefined) => void> = [];
  const drainWaiters = new Set<() => void>();
  let shuttingDown = false;

  metrics.inFlight(() => {
    const now = clock.now();
    let unfinished = 0;
    let longest = 0;
    for (const started of inFlight.values()) {
      const age = (now - started) / 1000;
      unfinished += age;
      longest = Math.max(longest, age);
    }
    return { unfinishedSeconds: unfinished, longestSeconds: longest };
  });

  const queued = () => fifo.length - head;

  function take(): K {
    const key = fifo[head]!;
    head += 1;
    if (head > 1024 && head * 2 > fifo.length) {
      fifo = fifo.slice(head);
      head = 0;
    }
    const now = clock.now();
    dirty.delete(key);
    inFlight.set(key, now);
    const since = addedAt.get(key);
    addedAt.delete(key);
    if (since !== undefined) metrics.queued((now - since) / 1000);
    metrics.depth(dirty.size);
    return key;
  }

  function push(key: K): void {
    fifo.push(key);
    while (getters.length > 0 && queued() > 0) getters.shift()!(take());
  }

  function checkDrained(): void {
    if (!shuttingDown || queued() > 0 || inFlight.size > 0) return;
    for (const resolve of drainWaiters) resolve();
    drainWaiters.clear();
  }

  function add(key: K): void {
    if (shuttingDown || dirty.has(key)) return;
    dirty.add(key);
    addedAt.set(key, clock.now());
    metrics.added();
    metrics.depth(dirty.size);
    // An in-flight key comes back on done(); handing it out now would process it twice at once.
    if (!inFlight.has(key)) push(key);
  }

  function fireDue(): void {
    timer = undefined;
    timerAt = Number.POSITIVE_INFINITY;
    const now = clock.now();
    for (let top = heap.peek(); top && top.at <= now; top = heap.peek()) {
      heap.pop();
      if (delayed.get(top.value) !== top.at) continue; // superseded by an earlier addAfter
      delayed.delete(top.value);
      add(top.value);
    }
    arm();
  }

  function arm(): void {
    let top = heap.peek();
    while (top && delayed.get(top.value) !== top.at) {
      heap.pop();
      top = heap.peek();
    }
    if (!top || top.at >= timerAt) return;
    timer?.cancel();
    timerAt = top.at;
    timer = clock.setTimer(fireDue, top.at - clock.now());
  }

  function addAfter(key: K, delayMs: number): void {
    if (shuttingDown) return;
    if (!(delayMs > 0)) {
      add(key);
      return;
    }
    const at = clock.now() + delayMs;
    const current = delayed.get(key);
    if (current !== undefined && current <= at) return;
    delayed.set(key, at);
    heap.push(at, key);
    arm();
  }

  function shutdown(): void {
    if (shuttingDown) return;
    shuttingDown = true;
    timer?.cancel();
    timer = undefined;
    timerAt = Number.POSITIVE_INFINITY;
    heap.clear();
    delayed.clear();
    // Re-adds of in-flight keys would only come back after the workers have gone.
    for (const key of inFlight.keys()) {
      if (dirty.delete(key)) addedAt.delete(key);
    }
    metrics.depth(dirty.size);
    if (queued() === 0) for (const resolve of getters.splice(0)) resolve(undefined);
    checkDrained();
  }

  return {
    add,
    addAfter,
    addRateLimited(key) {
      if (shuttingDown) return;
      metrics.retried();
      addAfter(key, limiter.when(key));
    },
    forget: (key) => limiter.forget(key),
    numRequeues: (key) => limiter.numRequeues(key),
    get() {
      if (queued() > 0) return Promise.resolve(take());
      if (shuttingDown) return Promise.resolve(undefined);
      return new Promise((resolve) => getters.push(resolve));
    },
    done(key) {
      const started = inFlight.get(key);
      if (started === undefined) return;
      inFlight.delete(key);
      metrics.worked((clock.now() - started) / 1000);
      if (dirty.has(key)) push(key);
      checkDrained();
    },
    len: queued,
    processing: () => inFlight.size,
    isShuttingDown: () => shuttingDown,
    shutdown,
    shutdownWithDrain(timeoutMs) {
      shutdown();
      if (queued() === 0 && inFlight.size === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const finish = (drained: boolean) => {
          deadline?.cancel();
          drainWaiters.delete(onDrained);
          resolve(drained);
        };
        const onDrained = () => finish(true);
        const deadline = timeoutMs === undefined ? undefined : clock.setTimer(() => finish(false), timeoutMs);
        drainWaiters.add(onDrained);
      });
    },
  };
}
