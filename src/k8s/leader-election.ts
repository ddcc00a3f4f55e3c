import { Gauge, type Registry } from 'prom-client';
import { type Clock, systemClock } from './clock.js';
import { KubeApiError } from './errors.js';
import type { KubeClient, KubeObject } from './kube-client.js';
import { errorFields, type Logger, silentLogger } from './logger.js';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface LeaderCallbacks {
  /** Leadership starts; the signal aborts when it ends (lost, or the elector stopped). */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Leadership ended, lost or released. Only called after onStartedLeading. */
  onStoppedLeading?(): void;
  /** Another (or this) identity was seen holding the lease. */
  onNewLeader?(identity: string): void;
}

export interface LeaderElectorOptions {
  client: KubeClient;
  namespace: string;
  /** Name of the coordination.k8s.io/v1 Lease. */
  name: string;
  /** Unique per candidate, e.g. the pod name plus a random suffix. */
  identity: string;
  /** How long a standby waits, after it last saw the lease change, before it takes over. Default 15 s. */
  leaseDurationMs?: number;
  /** How long the leader keeps retrying a failed renewal before it steps down. Default 10 s. */
  renewDeadlineMs?: number;
  /** Interval between attempts (jittered up to ×2.2 for standbys). Default 2 s. */
  retryPeriodMs?: number;
  /** Clear holderIdentity when stopped while leading, so a standby takes over at once. Default true. */
  releaseOnCancel?: boolean;
  callbacks: LeaderCallbacks;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  /** Registers leader_election_master_status{name} here when given. */
  registry?: Registry;
}

export interface LeaderElector {
  /**
   * Campaigns until this candidate leads, leads until the lease is lost or the signal aborts, then resolves
   * (release included). Call again to campaign anew.
   */
  run(signal: AbortSignal): Promise<void>;
  isLeader(): boolean;
  /** The holder last observed, "" when none. */
  getLeader(): string;
}

/** client-go's multiplier for standby retries (wait.JitterUntil with factor 1.2). */
const JITTER_FACTOR = 1.2;

/**
 * Leader election on a Lease with client-go's rules. The lease's age is judged by when this candidate last saw
 * it change, on its own clock, so clock skew between nodes does not matter; every write carries the
 * resourceVersion that was read, so two candidates cannot both win. A leader that cannot renew within
 * renewDeadline steps down before a standby (waiting leaseDuration) can take over.
 */
export function createLeaderElector(options: LeaderElectorOptions): LeaderElector {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const logger = options.logger ?? silentLogger;
  const leaseDurationMs = options.leaseDurationMs ?? 15_000;
  const renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
  const retryPeriodMs = options.retryPeriodMs ?? 2_000;
  const releaseOnCancel = options.releaseOnCancel ?? true;
  if (!options.identity) throw new Error('leader election: identity must not be empty');
  if (!(leaseDurationMs > renewDeadlineMs))
    throw new Error('leader election: leaseDuration must be greater than renewDeadline');
  if (!(renewDeadlineMs > JITTER_FACTOR * retryPeriodMs))
    throw new Error(`leader election: renewDeadline must be greater than retryPeriod × ${JITTER_FACTOR}`);
  if (!(retryPeriodMs > 0)) throw new Error('leader election: retryPeriod must be positive');
  const leaseSeconds = Math.ceil(leaseDurationMs / 1000);
  const path = `/apis/coordination.k8s.io/v1/namespaces/${options.namespace}/leases/${options.name}`;
  const fields = { lease: `${options.namespace}/${options.name}`, identity: options.identity };

  const status =
    options.registry &&
    ((options.registry.getSingleMetric('leader_election_master_status') as Gauge<'name'> | undefined) ??
      new Gauge({
        name: 'leader_election_master_status',
        help: "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. 'name' is the string used to identify the lease. Please make sure to group by name.",
        labelNames: ['name'] as const,
        registers: [options.registry],
      }));
  status?.set({ name: options.name }, 0);

  let leading = false;
  let observedSpec = '';
  let observedTime = 0;
  let observedLease: Lease | undefined;
  let reportedLeader = '';

  function observe(lease: Lease): void {
    const spec = JSON.stringify(lease.spec ?? {});
    observedLease = lease;
    if (spec !== observedSpec) {
      observedSpec = spec;
      observedTime = clock.now();
    }
    const holder = lease.spec?.holderIdentity ?? '';
    if (holder !== reportedLeader) {
      reportedLeader = holder;
      if (holder) {
        try {
          options.callbacks.onNewLeader?.(holder);
        } catch (error) {
          logger.error('onNewLeader failed', { ...fields, ...errorFields(error) });
        }
      }
    }
  }

  /** One attempt to take or keep the lease; false when someone else validly holds it or we lost a race. */
  async function tryAcquireOrRenew(timeoutMs: number, signal: AbortSignal): Promise<boolean> {
    const request = { timeoutMs: Math.max(1, Math.round(timeoutMs)), signal };
    const now = clock.now();
    const stamp = microTime(now);
    const current = await options.client.find<Lease>(path, request);
    if (!current) {
      const lease: Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: options.name, namespace: options.namespace },
        spec: {
          holderIdentity: options.identity,
          leaseDurationSeconds: leaseSeconds,
          acquireTime: stamp,
          renewTime: stamp,
          leaseTransitions: 0,
        },
      };
      try {
        observe(
          await options.client.create<Lease>(
            `/apis/coordination.k8s.io/v1/namespaces/${options.namespace}/leases`,
            lease,
            request,
          ),
        );
        return true;
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 409) return false;
        throw error;
      }
    }
    observe(current);
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const valid = observedTime + (spec.leaseDurationSeconds ?? 0) * 1000 > clock.now();
    if (holder !== '' && holder !== options.identity && valid) return false;
    const renewing = holder === options.identity;
    const next: Lease = {
      ...current,
      spec: {
        ...spec,
        holderIdentity: options.identity,
        leaseDurationSeconds: leaseSeconds,
        renewTime: stamp,
        acquireTime: renewing && spec.acquireTime ? spec.acquireTime : stamp,
        leaseTransitions: (spec.leaseTransitions ?? 0) + (renewing ? 0 : 1),
      },
    };
    try {
      // metadata.resourceVersion from the read makes this a compare-and-swap: a concurrent writer gets 409.
      observe(await options.client.replace<Lease>(path, next, request));
      return true;
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 409) return false;
      throw error;
    }
  }

  async function attempt(timeoutMs: number, signal: AbortSignal): Promise<boolean> {
    try {
      return await tryAcquireOrRenew(timeoutMs, signal);
    } catch (error) {
      if (!signal.aborted)
        logger.warn('leader election: lease request failed', { ...fields, ...errorFields(error) });
      return false;
    }
  }

  async function acquire(signal: AbortSignal): Promise<boolean> {
    logger.info('leader election: campaigning', fields);
    for (;;) {
      if (signal.aborted) return false;
      if (await attempt(renewDeadlineMs, signal)) return true;
      const wait = retryPeriodMs * (1 + JITTER_FACTOR * random());
      if (!(await clock.sleep(wait, signal))) return false;
    }
  }

  /** Renews every retryPeriod; resolves when a renewal cycle misses its deadline or the signal aborts. */
  async function renewUntilLost(signal: AbortSignal): Promise<void> {
    for (;;) {
      if (!(await clock.sleep(retryPeriodMs, signal))) return;
      const deadline = clock.now() + renewDeadlineMs;
      let renewed = false;
      while (!renewed && clock.now() < deadline && !signal.aborted) {
        renewed = await attempt(deadline - clock.now(), signal);
        if (renewed || signal.aborted) break;
        const wait = Math.min(retryPeriodMs, deadline - clock.now());
        if (wait <= 0 || !(await clock.sleep(wait, signal))) break;
      }
      if (signal.aborted) return;
      // A success that lands after the deadline does not count: by then a standby may be about to take over.
      if (!renewed || clock.now() >= deadline) {
        logger.warn('leader election: failed to renew the lease in time; stepping down', fields);
        return;
      }
    }
  }

  async function release(): Promise<void> {
    const lease = observedLease;
    if (!lease || lease.spec?.holderIdentity !== options.identity) return;
    const now = microTime(clock.now());
    const released: Lease = {
      ...lease,
      spec: {
        ...lease.spec,
        holderIdentity: '',
        leaseDurationSeconds: 1,
        acquireTime: now,
        renewTime: now,
      },
    };
    try {
      observe(await options.client.replace<Lease>(path, released, { timeoutMs: renewDeadlineMs }));
      logger.info('leader election: released the lease', fields);
    } catch (error) {
      // 409: someone else already wrote the lease, so there is nothing of ours to release.
      logger.warn('leader election: could not release the lease', { ...fields, ...errorFields(error) });
    }
  }

  return {
    async run(signal) {
      if (!(await acquire(signal))) return;
      leading = true;
      status?.set({ name: options.name }, 1);
      logger.info('leader election: became leader', fields);
      const leadership = new AbortController();
      try {
        Promise.resolve(options.callbacks.onStartedLeading(leadership.signal)).catch((error: unknown) =>
          logger.error('onStartedLeading failed', { ...fields, ...errorFields(error) }),
        );
      } catch (error) {
        logger.error('onStartedLeading failed', { ...fields, ...errorFields(error) });
      }
      await renewUntilLost(signal);
      leading = false;
      status?.set({ name: options.name }, 0);
      leadership.abort();
      try {
        options.callbacks.onStoppedLeading?.();
      } catch (error) {
        logger.error('onStoppedLeading failed', { ...fields, ...errorFields(error) });
      }
      if (signal.aborted && releaseOnCancel) await release();
      logger.info('leader election: stopped leading', fields);
    },
    isLeader: () => leading,
    getLeader: () => reportedLeader,
  };
}

/** Lease times are MicroTime: RFC 3339 with exactly six fractional digits, or the API server rejects them. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
