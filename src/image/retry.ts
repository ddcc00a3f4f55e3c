// Retries of idempotent registry requests: exponential backoff with jitter, Retry-After honoured, bounded both
// in attempts and in total time so a failing registry never holds a scan for long.

export interface RetryPolicy {
  /** Attempts in all, the first included (default 5). */
  maxAttempts: number;
  /** Delay before the first retry (default 500 ms); doubles each time. */
  initialDelayMs: number;
  /** Cap of one backoff delay (default 10 s). */
  maxDelayMs: number;
  /** Cap of the time spent waiting in all (default 60 s); a Retry-After beyond it ends the retries. */
  maxElapsedMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 5,
  initialDelayMs: 500,
  maxDelayMs: 10_000,
  maxElapsedMs: 60_000,
});

/** Status codes worth another attempt: timeouts, rate limits and server errors that are usually transient. */
export function isRetryableStatus(status: number): boolean {
  return (
    status === 408 || status === 429 || status === 500 || status === 502 || status === 503 || status === 504
  );
}

const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** Network failures that a new connection may not see again (refused connections and DNS misses are not). */
export function isTransientNetworkError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code)) return true;
  }
  return false;
}

/** Retry-After as delta-seconds or an HTTP date; undefined when absent or unparsable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * The wait before retry number `retry` (1-based): full-jitter-free exponential backoff so the schedule is
 * predictable in tests; `random` adds up to 20 % to spread clients that failed together.
 */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (retry - 1));
  return Math.round(base * (1 + 0.2 * random()));
}
