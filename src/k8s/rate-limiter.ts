/** How long an item waits before its next retry; the workqueue asks once per failure. */
export interface RateLimiter<K> {
  /** The delay for this retry of key; counts the retry. */
  when(key: K): number;
  /** Clears key's failure history (after a success). */
  forget(key: K): void;
  numRequeues(key: K): number;
}

export interface ExponentialRateLimiterOptions {
  /** Delay of the first retry; default 5 ms (controller-runtime's). */
  baseDelayMs?: number;
  /** Ceiling; default 1000 s. */
  maxDelayMs?: number;
}

/** Per-item exponential backoff: base·2^failures, capped (client-go's ItemExponentialFailureRateLimiter). */
export function createExponentialRateLimiter<K>(options: ExponentialRateLimiterOptions = {}): RateLimiter<K> {
  const base = options.baseDelayMs ?? 5;
  const max = options.maxDelayMs ?? 1_000_000;
  if (!(base > 0) || !(max >= base)) throw new Error(`invalid backoff: base ${base} ms, max ${max} ms`);
  const failures = new Map<K, number>();
  return {
    when(key) {
      const n = failures.get(key) ?? 0;
      failures.set(key, n + 1);
      // Past 2^64 the product is Infinity anyway; stop the exponent growing without end.
      return Math.min(max, base * 2 ** Math.min(n, 64));
    },
    forget(key) {
      failures.delete(key);
    },
    numRequeues: (key) => failures.get(key) ?? 0,
  };
}
