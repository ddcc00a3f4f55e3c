import { setTimeout as sleep } from 'node:timers/promises';
import { KubeApiError } from './errors.js';
import type { KubeClient, KubeObject, Query, WatchEvent } from './kube-client.js';

export interface ListWatchHandlers<T> {
  /**
   * Called with the complete list after every (re)list, so the caller can reconcile what it holds with it
   * (objects deleted while the watch was down are only visible this way).
   */
  onList(items: T[]): void | Promise<void>;
  onEvent(event: WatchEvent<T>): void | Promise<void>;
  onError?(error: unknown, attempt: number): void;
}

export interface ListWatchOptions {
  /** Collection path, e.g. /api/v1/pods. */
  path: string;
  query?: Query;
  signal: AbortSignal;
  /** Server-side watch timeout in seconds; the watch is re-opened after it. Default 5 minutes (jittered). */
  watchTimeoutSeconds?: number;
  /** Backoff after a failure: starts at minBackoffMs, doubles up to maxBackoffMs, with ±20 % jitter. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  random?: () => number;
}

/**
 * List, then watch from the list's resourceVersion, forever: re-watch when the server closes the stream,
 * relist when the resourceVersion is too old (410 Gone), and back off with jitter on any other error. Ends only
 * when the signal aborts. Handlers run in order; a slow handler delays the stream rather than reordering it.
 */
export async function listAndWatch<T extends KubeObject>(
  client: KubeClient,
  handlers: ListWatchHandlers<T>,
  options: ListWatchOptions,
): Promise<void> {
  const random = options.random ?? Math.random;
  const minBackoff = options.minBackoffMs ?? 500;
  const maxBackoff = options.maxBackoffMs ?? 30_000;
  const baseTimeout = options.watchTimeoutSeconds ?? 300;
  let resourceVersion: string | undefined;
  let attempt = 0;

  while (!options.signal.aborted) {
    try {
      if (resourceVersion === undefined) {
        const list = await client.list<T>(options.path, {
          ...(options.query ? { query: options.query } : {}),
          signal: options.signal,
        });
        await handlers.onList(list.items);
        resourceVersion = list.metadata.resourceVersion;
      }
      const queue: WatchEvent<T>[] = [];
      let draining = Promise.resolve();
      let expired = false;
      const drain = async () => {
        while (queue.length > 0) {
          const event = queue.shift()!;
          if (event.type === 'ERROR') {
            const status = event.object as unknown as { code?: number; message?: string };
            if (status.code === 410) expired = true;
            else
              throw new KubeApiError(
                `watch ${options.path}: ${status.message ?? 'error event'}`,
                status.code ?? 500,
                'WatchError',
                '',
              );
            continue;
          }
          const rv = event.object.metadata?.resourceVersion;
          if (rv) resourceVersion = rv;
          if (event.type === 'BOOKMARK') continue;
          try {
            await handlers.onEvent(event);
          } catch (error) {
            // A handler's failure is the handler's to report; the stream goes on.
            handlers.onError?.(error, 0);
          }
        }
      };
      const timeout = Math.round(baseTimeout * (0.8 + 0.4 * random()));
      await client.watch<T>(
        options.path,
        { ...options.query, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: timeout },
        (event) => {
          queue.push(event);
          draining = draining.then(drain);
        },
        options.signal,
      );
      await draining;
      if (expired) resourceVersion = undefined;
      attempt = 0;
    } catch (error) {
      if (options.signal.aborted) return;
      if (error instanceof KubeApiError && error.status === 410) {
        resourceVersion = undefined;
        continue;
      }
      attempt += 1;
      handlers.onError?.(error, attempt);
      const delay = Math.min(maxBackoff, minBackoff * 2 ** (attempt - 1)) * (0.8 + 0.4 * random());
      try {
        await sleep(delay, undefined, { signal: options.signal });
      } catch {
        return;
      }
    }
  }
}
