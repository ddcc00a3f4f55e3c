import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Polls `probe` until it returns true, at most `timeoutMs`; fails with the last probe error and `describe()`
 * (for example the tail of a log file) so a component that did not come up says why.
 */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  options: {
    timeoutMs: number;
    intervalMs?: number;
    describe?: () => Promise<string> | string;
    /** Checked before each probe: a reason to give up at once (e.g. the process being waited for exited). */
    failIf?: () => string | undefined;
  },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const failure = options.failIf?.();
    if (failure) {
      const detail = options.describe ? await options.describe() : '';
      throw new Error(`gave up waiting for ${what}: ${failure}\n${detail}`);
    }
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = error;
    }
    await sleep(options.intervalMs ?? 200);
  }
  const detail = options.describe ? await options.describe() : '';
  const cause = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
  throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}${cause}\n${detail}`);
}
