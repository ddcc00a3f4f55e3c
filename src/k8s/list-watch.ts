import { type Clock, jitter, systemClock } from './clock.js';
import { KubeApiError } from './errors.js';
import type { KubeClient, KubeList, KubeObject, Query, WatchEvent } from './kube-client.js';

export interface ListWatchHandlers<T> {
  /**
   * Called with the complete list after every (re)list, so the caller can reconcile what it holds with it
   * (objects deleted while the watch was down are only visible this way).
   */
  onList(items: T[]): void | Promise<void>;
  onEvent(event: WatchEvent<T>): void | Promise<void>;
  onError?(error: unknown, attempt: number): void;
  /** Called whenever the resourceVersion the next watch starts from moves (lists, events and bookmarks). */
  onResourceVersion?(resourceVersion: string): void;
}

export interface ListWatchOptions {
  /** Collection path, e.g. /api/v1/pods. */
  path: string;
  query?: Query;
  signal: AbortSignal;
  /** Server-side watch timeout in seconds; the watch is re-opened after it. Default 5 minutes (jittered). */
  watchTimeoutSeconds?: number;
  /**
   * A watch that delivers nothing, not even a bookmark, for its timeout plus this margin is presumed dead (a
   * half-open connection never ends by itself) and is restarted. Default 30 s.
   */
  watchdogMarginMs?: number;
  /** Page size of the list (limit/continue); unset lists in one response. */
  pageSize?: number;
  /** Backoff after a failure: starts at minBackoffMs, doubles up to maxBackoffMs, with ±20 % jitter. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  random?: () => number;
  clock?: Clock;
}

/** A watch shorter than this that delivered nothing counts as a failure, so a server that closes at once is not hammered. */
const MIN_USEFUL_WATCH_MS = 1000;

type WatchOutcome = 'closed' | 'expired' | 'empty' | 'aborted';

/**
 * List, then watch from the list's resourceVersion, forever: re-watch when the server closes the stream,
 * relist when the resourceVersion is too old (410 Gone, as a status or as an in-stream ERROR event), and back
 * off with jitter on any other error, including a watch gone silent. Ends only when the signal aborts. Handlers
 * run in order; a slow handler delays the stream rather than reordering it.
 */
export async function listAndWatch<T extends KubeObject>(
  client: KubeClient,
  handlers: ListWatchHandlers<T>,
  options: ListWatchOptions,
): Promise<void> {
  const random = options.random ?? Math.random;
  const clock = options.clock ?? systemClock;
  const minBackoff = options.minBackoffMs ?? 500;
  const maxBackoff = options.maxBackoffMs ?? 30_000;
  const baseTimeout = options.watchTimeoutSeconds ?? 300;
  const watchdogMargin = options.watchdogMarginMs ?? 30_000;
  const signal = options.signal;
  let resourceVersion: string | undefined;
  let attempt = 0;
  let expiredInARow = 0;
  // Whether the last watch delivered anything: a 410 after real progress is routine, not a failing server.
  let lastWatchDelivered = false;

  const moveTo = (rv: string | undefined) => {
    if (!rv || rv === resourceVersion) return;
    resourceVersion = rv;
    handlers.onResourceVersion?.(rv);
  };
  const reportError = (error: unknown, n: number) => {
    try {
      handlers.onError?.(error, n);
    } catch {
      // an error reporter that fails has nobody left to report to
    }
  };

  async function listAll(): Promise<{ items: T[]; resourceVersion: string | undefined }> {
    // A continue token pins the snapshot of the first page; once etcd compacts it the next page is 410. Start
    // over (once paged, then in one piece, which cannot expire) instead of failing the whole relist.
    const pageSizes = options.pageSize ? [options.pageSize, options.pageSize, undefined] : [undefined];
    for (let round = 0; ; round++) {
      const limit = pageSizes[round];
      const items: T[] = [];
      let next: string | undefined;
      try {
        for (;;) {
          const page: KubeList<T> = await client.list<T>(options.path, {
            query: { ...options.query, limit, continue: next },
            signal,
          });
          for (const item of page.items) items.push(withKind(item, page));
          next = page.metadata.continue || undefined;
          if (!next) return { items, resourceVersion: page.metadata.resourceVersion };
        }
      } catch (error) {
        const gone = error instanceof KubeApiError && error.status === 410;
        if (!gone || next === undefined || round + 1 >= pageSizes.length) throw error;
      }
    }
  }

  async function watchOnce(): Promise<WatchOutcome> {
    // An abort that came while the list was being handled has already fired; a listener added now would miss it.
    if (signal.aborted) return 'aborted';
    const controller = new AbortController();
    const stop = () => controller.abort();
    signal.addEventListener('abort', stop, { once: true });
    const timeoutSeconds = Math.max(1, Math.round(baseTimeout * (0.8 + 0.4 * random())));
    const silenceLimitMs = timeoutSeconds * 1000 + watchdogMargin;
    const started = clock.now();
    let failure: unknown;
    let expired = false;
    let ended = false;
    let received = 0;
    const queue: WatchEvent<T>[] = [];
    lastWatchDelivered = false;
    let pumping: Promise<void> | undefined;

    const onSilence = () => {
      failure = new KubeApiError(
        `watch ${options.path}: nothing received for ${silenceLimitMs} ms; restarting it`,
        0,
        'WatchInactive',
        '',
      );
      controller.abort();
    };
    let watchdog = clock.setTimer(onSilence, silenceLimitMs);

    const pump = async () => {
      while (queue.length > 0 && !signal.aborted) {
        const event = queue.shift()!;
        if (event.type !== 'BOOKMARK') {
          try {
            await handlers.onEvent(event);
          } catch (error) {
            // A handler's failure is the handler's to report; the stream goes on.
            reportError(error, 0);
          }
        }
        moveTo(event.object.metadata?.resourceVersion);
      }
    };

    try {
      await client.watch<T>(
        options.path,
        { ...options.query, resourceVersion, allowWatchBookmarks: true, timeoutSeconds },
        (event) => {
          watchdog.cancel();
          watchdog = clock.setTimer(onSilence, silenceLimitMs);
          received += 1;
          if (ended) return;
          if (event.type === 'ERROR') {
            // The server ends the stream after an ERROR; events after it (if any) are not to be trusted.
            ended = true;
            const status = event.object as unknown as { code?: number; message?: string; reason?: string };
            if (status.code === 410) expired = true;
            else
              failure = new KubeApiError(
                `watch ${options.path}: ${status.message ?? 'error event'}`,
                status.code ?? 500,
                status.reason ?? 'WatchError',
                JSON.stringify(status),
              );
            controller.abort();
            return;
          }
          lastWatchDelivered = true;
          queue.push(event);
          pumping ??= pump().finally(() => {
            pumping = undefined;
          });
        },
        controller.signal,
      );
    } catch (error) {
      if (failure === undefined && !expired) failure = error;
    } finally {
      watchdog.cancel();
      signal.removeEventListener('abort', stop);
    }
    // Events received before the stream ended are still delivered, in order.
    while (pumping) await pumping;
    if (signal.aborted) return 'aborted';
    if (expired) return 'expired';
    if (failure !== undefined) throw failure;
    return received === 0 && clock.now() - started < MIN_USEFUL_WATCH_MS ? 'empty' : 'closed';
  }

  while (!signal.aborted) {
    try {
      if (resourceVersion === undefined) {
        const list = await listAll();
        await handlers.onList(list.items);
        moveTo(list.resourceVersion);
      }
      const outcome = await watchOnce();
      if (outcome === 'aborted') return;
      if (outcome === 'expired')
        throw new KubeApiError(`watch ${options.path}: 410 Expired`, 410, 'Expired', '');
      if (outcome === 'empty')
        throw new KubeApiError(`watch ${options.path}: closed at once with no events`, 0, 'WatchClosed', '');
      attempt = 0;
      expiredInARow = 0;
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof KubeApiError && error.status === 410) {
        resourceVersion = undefined;
        expiredInARow = lastWatchDelivered ? 1 : expiredInARow + 1;
        lastWatchDelivered = false;
        // One relist at once is the normal cure; a server that keeps answering 410 gets the backoff.
        if (expiredInARow === 1) continue;
      }
      attempt += 1;
      reportError(error, attempt);
      const delay = jitter(Math.min(maxBackoff, minBackoff * 2 ** (attempt - 1)), random);
      if (!(await clock.sleep(delay, signal))) return;
    }
  }
}

/** List items come without apiVersion and kind; fill them in from the list so cached objects look like watched ones. */
function withKind<T extends KubeObject>(item: T, list: KubeList<T>): T {
  if (item.kind !== undefined && item.apiVersion !== undefined) return item;
  const kind = list.kind?.endsWith('List') ? list.kind.slice(0, -4) : undefined;
  return {
    ...item,
    ...(item.apiVersion === undefined && list.apiVersion ? { apiVersion: list.apiVersion } : {}),
    ...(item.kind === undefined && kind ? { kind } : {}),
  };
}
