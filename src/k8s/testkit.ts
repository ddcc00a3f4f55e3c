// Helpers for the k8s tests: a manual clock, a recording logger, a client wrapper that can inject faults into
// a real API server's traffic, and control-plane process handling. Test support only.
import { type Clock, sleepOn } from './clock.js';
import type { KubeClient, Query, WatchEvent } from './kube-client.js';
import type { Logger } from './logger.js';

export interface FakeClock extends Clock {
  /** Moves time forward by ms, firing due timers in order and letting promises settle after each. */
  advance(ms: number): Promise<void>;
  /** Timers not yet fired or cancelled. */
  pending(): number;
}

/** Lets every promise chain that is ready run to its next real wait. */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

export function createFakeClock(start = Date.UTC(2026, 0, 1)): FakeClock {
  let now = start;
  let sequence = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: FakeClock = {
    now: () => now,
    setTimer(fn, ms) {
      const id = ++sequence;
      timers.set(id, { at: now + Math.max(0, ms), fn });
      return { cancel: () => timers.delete(id) };
    },
    sleep: (ms, signal) => sleepOn(clock, ms, signal),
    async advance(ms) {
      const target = now + ms;
      // Bounded: each round fires one timer, and a test never schedules this many.
      for (let round = 0; round < 100_000; round++) {
        await settle();
        let nextId: number | undefined;
        let next: { at: number; fn: () => void } | undefined;
        for (const [id, timer] of timers) {
          if (timer.at <= target && (next === undefined || timer.at < next.at)) {
            next = timer;
            nextId = id;
          }
        }
        if (next === undefined || nextId === undefined) break;
        timers.delete(nextId);
        now = Math.max(now, next.at);
        next.fn();
      }
      now = target;
      await settle();
    },
    pending: () => timers.size,
  };
  return clock;
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields?: Record<string, unknown>;
}

export function createRecordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push({ level, message, ...(fields ? { fields } : {}) });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** One request the wrapper saw. */
export interface SeenRequest {
  verb: 'list' | 'watch' | 'get' | 'create' | 'replace' | 'other';
  path: string;
  query: Query;
}

export interface FaultyClient extends KubeClient {
  readonly seen: SeenRequest[];
  /** Rewrites the query of the next watch (e.g. to start from a long-compacted resourceVersion). */
  rewriteNextWatch(rewrite: (query: Query) => Query): void;
  /** Every watch event passed on, including ERROR events the informer never shows its handlers. */
  readonly watchEvents: WatchEvent[];
  /** Every error a watch ended with (e.g. an HTTP 410 answer). */
  readonly watchErrors: unknown[];
  /** Cuts every open watch as a dropped connection would. */
  dropWatches(): void;
  /** While set, every request fails with this error before reaching the server. */
  failWith(error: Error | undefined): void;
}

/** Wraps a real client: records traffic and injects faults, so the server's own answers stay real. */
export function createFaultyClient(inner: KubeClient): FaultyClient {
  const seen: SeenRequest[] = [];
  const watchEvents: WatchEvent[] = [];
  const watchErrors: unknown[] = [];
  const openWatches = new Set<AbortController>();
  let nextWatchRewrite: ((query: Query) => Query) | undefined;
  let failure: Error | undefined;
  const check = () => {
    if (failure) throw failure;
  };
  return {
    get server() {
      return inner.server;
    },
    seen,
    watchEvents,
    watchErrors,
    dropWatches() {
      for (const controller of openWatches) controller.abort();
    },
    rewriteNextWatch(rewrite) {
      nextWatchRewrite = rewrite;
    },
    failWith(error) {
      failure = error;
    },
    async request(method, path, options) {
      check();
      seen.push({ verb: 'other', path, query: options?.query ?? {} });
      return inner.request(method, path, options);
    },
    async get(path, options) {
      check();
      seen.push({ verb: 'get', path, query: options?.query ?? {} });
      return inner.get(path, options);
    },
    async find(path, options) {
      check();
      seen.push({ verb: 'get', path, query: options?.query ?? {} });
      return inner.find(path, options);
    },
    async list(path, options) {
      check();
      seen.push({ verb: 'list', path, query: options?.query ?? {} });
      return inner.list(path, options);
    },
    async create(path, body, options) {
      check();
      seen.push({ verb: 'create', path, query: options?.query ?? {} });
      return inner.create(path, body, options);
    },
    async replace(path, body, options) {
      check();
      seen.push({ verb: 'replace', path, query: options?.query ?? {} });
      return inner.replace(path, body, options);
    },
    async patch(path, body, contentType, options) {
      check();
      seen.push({ verb: 'other', path, query: options?.query ?? {} });
      return inner.patch(path, body, contentType, options);
    },
    async delete(path, options) {
      check();
      seen.push({ verb: 'other', path, query: options?.query ?? {} });
      return inner.delete(path, options);
    },
    async watch<T>(
      path: string,
      query: Query,
      onEvent: (event: WatchEvent<T>) => void,
      signal?: AbortSignal,
    ) {
      check();
      const rewrite = nextWatchRewrite;
      nextWatchRewrite = undefined;
      const effective = rewrite ? rewrite(query) : query;
      seen.push({ verb: 'watch', path, query: effective });
      const drop = new AbortController();
      openWatches.add(drop);
      try {
        await inner.watch<T>(
          path,
          effective,
          (event) => {
            watchEvents.push(event as unknown as WatchEvent);
            onEvent(event);
          },
          signal ? AbortSignal.any([signal, drop.signal]) : drop.signal,
        );
      } catch (error) {
        watchErrors.push(error);
        throw error;
      } finally {
        openWatches.delete(drop);
      }
    },
    async text(path, options) {
      check();
      seen.push({ verb: 'other', path, query: options?.query ?? {} });
      return inner.text(path, options);
    },
    close: () => inner.close(),
  };
}

/**
 * Stops a control plane's processes one by one, newest first, then the control plane itself. Stopped all at
 * once (as ControlPlane.stop does), etcd waits out its 5 s grace for the API server's open streams; in order it
 * takes about a second.
 */
export async function stopInOrder(cp: {
  supervisor: { running(): Array<{ stop(): Promise<number> }> };
  stop(): Promise<void>;
}): Promise<void> {
  for (const proc of cp.supervisor.running().reverse()) await proc.stop();
  await cp.stop();
}
