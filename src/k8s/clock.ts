// Time as the Kubernetes machinery sees it: injected so informers, queues and leader election can be driven
// by a fake clock in tests instead of real waiting.

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls fn once after ms unless cancelled first. */
  setTimer(fn: () => void, ms: number): Timer;
  /** Resolves true after ms, or false as soon as the signal aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<boolean>;
}

export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimer(fn: () => void, ms: number): Timer {
    const handle = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(handle) };
  },
  sleep: (ms: number, signal?: AbortSignal) => sleepOn(systemClock, ms, signal),
});

/** A sleep built on any clock's timers, so fake clocks get an abortable sleep for free. */
export function sleepOn(clock: Pick<Clock, 'setTimer'>, ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      timer.cancel();
      resolve(false);
    };
    const timer = clock.setTimer(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Multiplies a delay by a factor drawn uniformly from [1 - spread, 1 + spread]. */
export function jitter(ms: number, random: () => number, spread = 0.2): number {
  return ms * (1 - spread + 2 * spread * random());
}
