// Leader election with the default timings (lease 15 s, renew deadline 10 s, retry 2 s) on a fake clock and an
// in-memory Lease store that enforces resourceVersion the way the API server does.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KubeApiError } from './errors.js';
import type { KubeClient, RequestOptions } from './kube-client.js';
import { createLeaderElector, type LeaderElector, type Lease, microTime } from './leader-election.js';
import { createFakeClock, type FakeClock } from './testkit.js';

function createLeaseServer() {
  let stored: Lease | undefined;
  let version = 0;
  let writes = 0;
  let down = false;
  const check = (path: string) => {
    if (down) throw KubeApiError.network('GET', path, new Error('ECONNREFUSED'));
  };
  const unsupported = () => Promise.reject(new Error('not scripted'));
  const client: KubeClient = {
    server: 'https://127.0.0.1:1',
    request: unsupported,
    get: unsupported,
    list: unsupported,
    patch: unsupported,
    delete: unsupported,
    watch: unsupported,
    text: unsupported,
    close() {},
    async find<T>(path: string, _options?: RequestOptions) {
      check(path);
      return (stored ? structuredClone(stored) : undefined) as T | undefined;
    },
    async create<T>(path: string, body: unknown) {
      check(path);
      if (stored) throw new KubeApiError('exists', 409, 'AlreadyExists', '');
      const lease = structuredClone(body) as Lease;
      lease.metadata = { ...lease.metadata, resourceVersion: String(++version) };
      stored = lease;
      writes += 1;
      return structuredClone(stored) as T;
    },
    async replace<T>(path: string, body: unknown) {
      check(path);
      const lease = structuredClone(body) as Lease;
      if (lease.metadata?.resourceVersion !== stored?.metadata?.resourceVersion)
        throw new KubeApiError('conflict', 409, 'Conflict', '');
      lease.metadata = { ...lease.metadata, resourceVersion: String(++version) };
      stored = lease;
      writes += 1;
      return structuredClone(stored) as T;
    },
  };
  return {
    client,
    lease: () => stored,
    writes: () => writes,
    setDown(value: boolean) {
      down = value;
    },
  };
}

function elector(
  server: ReturnType<typeof createLeaseServer>,
  clock: FakeClock,
  identity: string,
  release = true,
) {
  const events: string[] = [];
  const instance: LeaderElector = createLeaderElector({
    client: server.client,
    namespace: 'ns',
    name: 'vigil-operator',
    identity,
    clock,
    random: () => 1, // the longest jitter: the slowest standby
    releaseOnCancel: release,
    callbacks: {
      onStartedLeading: () => {
        events.push('started');
      },
      onStoppedLeading: () => events.push('stopped'),
    },
  });
  return { instance, events };
}

/** Advances in 100 ms steps until `done` or `limitMs`; fails if both candidates ever lead at once. */
async function advanceUntil(
  clock: FakeClock,
  electors: LeaderElector[],
  done: () => boolean,
  limitMs: number,
): Promise<number> {
  const start = clock.now();
  while (!done()) {
    assert.ok(clock.now() - start < limitMs, `not within ${limitMs} ms`);
    await clock.advance(100);
    assert.ok(electors.filter((e) => e.isLeader()).length <= 1, 'two leaders at once');
  }
  return clock.now() - start;
}

describe('leader election (default timings, fake clock)', () => {
  test('a standby takes over within 30 s of the leader dying, and not before the 15 s lease ran out', async (t) => {
    const clock = createFakeClock();
    const server = createLeaseServer();
    const a = elector(server, clock, 'a', false);
    const b = elector(server, clock, 'b');
    const stopA = new AbortController();
    const stopB = new AbortController();
    const runA = a.instance.run(stopA.signal);
    await clock.advance(0);
    assert.equal(a.instance.isLeader(), true);
    const runB = b.instance.run(stopB.signal);
    const t0 = clock.now();
    await advanceUntil(clock, [a.instance, b.instance], () => clock.now() - t0 >= 60_000, 70_000);
    assert.equal(b.instance.isLeader(), false, 'a minute of renewals every 2 s keeps the standby out');
    assert.equal(server.lease()?.spec?.holderIdentity, 'a');
    assert.equal(server.lease()?.spec?.leaseDurationSeconds, 15);

    stopA.abort(); // dies: no release
    await runA;
    const takeover = await advanceUntil(clock, [a.instance, b.instance], () => b.instance.isLeader(), 30_000);
    t.diagnostic(`take-over ${takeover} ms after the leader died (slowest jitter)`);
    assert.ok(takeover >= 15_000 - 2_000, `took over after only ${takeover} ms`);
    assert.ok(takeover <= 15_000 + 2.2 * 2_000 + 200, `took ${takeover} ms`);
    assert.equal(server.lease()?.spec?.holderIdentity, 'b');
    assert.equal(server.lease()?.spec?.leaseTransitions, 1);
    stopB.abort();
    await runB;
    assert.equal(server.lease()?.spec?.holderIdentity, '', 'b released on a graceful stop');
    assert.deepEqual(b.events, ['started', 'stopped']);
  });

  test('a leader that cannot renew for 10 s steps down; it is 3 s ahead of any standby', async () => {
    const clock = createFakeClock();
    const server = createLeaseServer();
    const a = elector(server, clock, 'a');
    const stop = new AbortController();
    const run = a.instance.run(stop.signal);
    await clock.advance(0);
    assert.equal(a.instance.isLeader(), true);
    await clock.advance(4000);
    const lastRenew = Date.parse(server.lease()!.spec!.renewTime!);
    server.setDown(true);
    const steppedDown = await advanceUntil(clock, [a.instance], () => !a.instance.isLeader(), 20_000);
    await run;
    const sinceRenew = clock.now() - lastRenew;
    assert.ok(sinceRenew <= 2_000 + 10_000 + 100, `leader held on ${sinceRenew} ms after its last renewal`);
    assert.ok(sinceRenew < 15_000, 'stepped down before any standby could take over');
    assert.ok(steppedDown > 0);
    assert.deepEqual(a.events, ['started', 'stopped']);
  });

  test('conflicting timings and an empty identity are refused; MicroTime has six digits', () => {
    const server = createLeaseServer();
    const base = {
      client: server.client,
      namespace: 'ns',
      name: 'l',
      identity: 'x',
      callbacks: { onStartedLeading() {} },
    };
    assert.throws(
      () => createLeaderElector({ ...base, leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }),
      /leaseDuration/,
    );
    assert.throws(
      () => createLeaderElector({ ...base, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }),
      /renewDeadline/,
    );
    assert.throws(() => createLeaderElector({ ...base, identity: '' }), /identity/);
    assert.equal(microTime(Date.UTC(2026, 4, 6, 7, 8, 9, 123)), '2026-05-06T07:08:09.123000Z');
  });
});
