// The built-in scan server's health check (OPERATOR_BUILT_IN_TRIVY_SERVER=true, trivy-operator.md §2.3 step 4):
// before Jobs are submitted, GET <serverURL>/healthz. An "up" answer is trusted for
// TRIVY_SERVER_HEALTH_CHECK_CACHE_EXPIRATION; a "down" one is not cached, so the first reconcile after the server
// comes back sees it. While it is down the workload reconciler defers (requeue after scanJobsRetryDelay) and
// writes nothing FAILED: an absent server is not the workload's fault. One warning per outage, not per workload.
import { type Clock, errorFields, type Logger } from '../k8s/index.js';

export interface ServerHealthCheckOptions {
  /** trivy.serverURL, e.g. http://trivy-service.trivy-system:4975 (a trailing slash is fine). */
  serverURL: string;
  /** How long an "up" answer is trusted (TRIVY_SERVER_HEALTH_CHECK_CACHE_EXPIRATION). */
  cacheMs: number;
  clock: Clock;
  logger: Logger;
  /** Per request; default 5 s. */
  timeoutMs?: number;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
}

export interface ServerHealthCheck {
  /** true when the server answered 2xx to /healthz (now, or within the cache time). Never throws. */
  isUp(): Promise<boolean>;
}

export function createServerHealthCheck(options: ServerHealthCheckOptions): ServerHealthCheck {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const url = `${options.serverURL.replace(/\/+$/, '')}/healthz`;
  let upUntil = Number.NEGATIVE_INFINITY;
  let down = false;
  // Concurrent reconciles share one request instead of each asking the server.
  let inFlight: Promise<boolean> | undefined;

  async function check(): Promise<boolean> {
    let problem: Record<string, unknown>;
    try {
      const response = await doFetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      await response.body?.cancel();
      if (response.ok) {
        upUntil = options.clock.now() + options.cacheMs;
        if (down) options.logger.info('scan server is up again; scan jobs resume', { url });
        down = false;
        return true;
      }
      problem = { status: response.status };
    } catch (error) {
      problem = errorFields(error);
    }
    if (!down)
      options.logger.warn(
        'scan server health check failed; scans are deferred until it answers (nothing is marked FAILED)',
        { url, ...problem, fix: 'check the trivy server Deployment/Service in the operator namespace' },
      );
    down = true;
    return false;
  }

  return {
    isUp() {
      if (options.clock.now() < upUntil) return Promise.resolve(true);
      inFlight ??= check().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
  };
}
