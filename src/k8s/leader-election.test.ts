// Two electors against the real API server's Lease: one leader at a time, hand-over on release, take-over when
// the leader dies or is cut off. Short timings (lease 4 s, renew 2.5 s, retry 0.5 s) keep it quick; the rules
// are the same as with the 15/10/2 s defaults (see leader-election.unit.test.ts for those).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ControlPlane, startControlPlane } from '../../test/env/control-plane.js';
import { waitFor } from '../../test/env/net.js';
import { KubeApiError } from './errors.js';
import type { KubeClient } from './kube-client.js';
import { createLeaderElector, type LeaderElector, type Lease } from './leader-election.js';
import { createFaultyClient, createRecordingLogger, stopInOrder } from './testkit.js';

const NS = 'leader-test';
const TIMING = { leaseDurationMs: 4000, renewDeadlineMs: 2500, retryPeriodMs: 500 };

interface Candidate {
  identity: string;
  elector: LeaderElector;
  stop: AbortController;
  running: Promise<void>;
  events: string[];
  leadership?: AbortSignal;
}

describe('leader election on the real API server', () => {
  let cp: ControlPlane;
  const candidates: Candidate[] = [];
  let sampler: NodeJS.Timeout | undefined;
  let samples = 0;
  let overlaps = 0;

  function campaign(
    identity: string,
    lease: string,
    options: { client?: KubeClient; releaseOnCancel?: boolean } = {},
  ): Candidate {
    const events: string[] = [];
    const stop = new AbortController();
    const candidate: Candidate = {
      identity,
      stop,
      events,
      running: Promise.resolve(),
      elector: undefined as never,
    };
    candidate.elector = createLeaderElector({
      client: options.client ?? cp.client,
      namespace: NS,
      name: lease,
      identity,
      ...TIMING,
      ...(options.releaseOnCancel === undefined ? {} : { releaseOnCancel: options.releaseOnCancel }),
      logger: createRecordingLogger(),
      callbacks: {
        onStartedLeading(signal) {
          candidate.leadership = signal;
          events.push('started');
        },
        onStoppedLeading: () => events.push('stopped'),
        onNewLeader: (leader) => events.push(`leader:${leader}`),
      },
    });
    candidate.running = candidate.elector.run(stop.signal);
    candidates.push(candidate);
    return candidate;
  }

  const leaseOf = (name: string) =>
    cp.client.get<Lease>(`/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/${name}`);
  const leaders = () => candidates.filter((c) => c.elector.isLeader());

  before(async () => {
    cp = await startControlPlane();
    await cp.client.create('/api/v1/namespaces', { metadata: { name: NS } });
    // Two leaders of the same lease at the same moment is the one thing that must never happen.
    sampler = setInterval(() => {
      samples += 1;
      const byLease = new Map<string, number>();
      for (const c of leaders())
        byLease.set(c.identity.split('/')[0]!, (byLease.get(c.identity.split('/')[0]!) ?? 0) + 1);
      if ([...byLease.values()].some((n) => n > 1)) overlaps += 1;
    }, 5);
  });

  after(async () => {
    clearInterval(sampler);
    for (const c of candidates) c.stop.abort();
    await Promise.all(candidates.map((c) => c.running));
    if (cp) await stopInOrder(cp);
  });

  test('exactly one of two candidates leads; a graceful stop hands over at once', async (t) => {
    const a = campaign('one/a', 'one');
    const b = campaign('one/b', 'one');
    await waitFor('a leader', async () => a.elector.isLeader() || b.elector.isLeader(), {
      timeoutMs: 10_000,
    });
    const [leader, standby] = a.elector.isLeader() ? [a, b] : [b, a];
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(leader.elector.isLeader(), true, 'the leader keeps renewing');
    assert.equal(standby.elector.isLeader(), false);
    const lease = await leaseOf('one');
    assert.equal(lease.spec?.holderIdentity, leader.identity);
    assert.equal(lease.spec?.leaseDurationSeconds, 4);
    assert.match(lease.spec?.renewTime ?? '', /\.\d{6}Z$/, 'MicroTime with six digits');
    assert.equal(standby.elector.getLeader(), leader.identity);
    assert.ok(standby.events.includes(`leader:${leader.identity}`), 'the standby was told who leads');
    assert.deepEqual(
      leader.events.filter((e) => !e.startsWith('leader:')),
      ['started'],
    );
    assert.deepEqual(
      standby.events.filter((e) => !e.startsWith('leader:')),
      [],
    );

    const stoppedAt = Date.now();
    leader.stop.abort();
    await leader.running;
    assert.equal(leader.leadership?.aborted, true, 'the leadership signal ended');
    assert.deepEqual(
      leader.events.filter((e) => !e.startsWith('leader:')),
      ['started', 'stopped'],
    );
    await waitFor('the standby to take over', async () => standby.elector.isLeader(), { timeoutMs: 5000 });
    const handover = Date.now() - stoppedAt;
    t.diagnostic(`hand-over after release: ${handover} ms`);
    // Released: the standby needs only its next retry (at most 2.2 × 0.5 s), not the 4 s lease.
    assert.ok(handover < 2000, `hand-over took ${handover} ms`);
    const handedOver = await leaseOf('one');
    assert.equal(handedOver.spec?.holderIdentity, standby.identity);
    assert.equal(handedOver.spec?.leaseTransitions, 1);
  });

  test('a leader that dies without releasing is replaced after the lease runs out, not before', async (t) => {
    const dying = campaign('two/dying', 'two', { releaseOnCancel: false });
    await waitFor('the first leader', async () => dying.elector.isLeader(), { timeoutMs: 10_000 });
    const standby = campaign('two/standby', 'two');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(standby.elector.isLeader(), false);

    const diedAt = Date.now();
    dying.stop.abort();
    await dying.running;
    assert.equal(
      (await leaseOf('two')).spec?.holderIdentity,
      'two/dying',
      'a dead leader leaves its name behind',
    );
    await waitFor('the standby to take over', async () => standby.elector.isLeader(), { timeoutMs: 30_000 });
    const takeover = Date.now() - diedAt;
    t.diagnostic(`take-over after the leader died: ${takeover} ms`);
    // The standby must wait out the lease from the last renewal it saw (at most one retry before the death), and
    // then needs at most one jittered retry period.
    assert.ok(
      takeover >= TIMING.leaseDurationMs - TIMING.retryPeriodMs - 200,
      `took over after only ${takeover} ms`,
    );
    assert.ok(
      takeover <= TIMING.leaseDurationMs + 2.2 * TIMING.retryPeriodMs + 1500,
      `take-over took ${takeover} ms`,
    );
    assert.equal((await leaseOf('two')).spec?.holderIdentity, 'two/standby');
  });

  test('a leader cut off from the API server steps down before the standby takes over', async (t) => {
    const faulty = createFaultyClient(cp.client);
    const cutOff = campaign('three/cut-off', 'three', { client: faulty });
    await waitFor('the first leader', async () => cutOff.elector.isLeader(), { timeoutMs: 10_000 });
    const standby = campaign('three/standby', 'three');
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const cutAt = Date.now();
    faulty.failWith(
      KubeApiError.network('PUT', '/apis/coordination.k8s.io', new Error('connect ECONNREFUSED')),
    );
    await waitFor('the cut-off leader to step down', async () => !cutOff.elector.isLeader(), {
      timeoutMs: 10_000,
    });
    const steppedDown = Date.now() - cutAt;
    await cutOff.running;
    assert.deepEqual(
      cutOff.events.filter((e) => !e.startsWith('leader:')),
      ['started', 'stopped'],
    );
    assert.equal(cutOff.leadership?.aborted, true);
    await waitFor('the standby to take over', async () => standby.elector.isLeader(), { timeoutMs: 30_000 });
    const takeover = Date.now() - cutAt;
    t.diagnostic(
      `cut-off leader stepped down after ${steppedDown} ms; standby took over after ${takeover} ms`,
    );
    assert.ok(
      steppedDown <= TIMING.retryPeriodMs + TIMING.renewDeadlineMs + 700,
      `stepped down after ${steppedDown} ms`,
    );
    assert.ok(takeover > steppedDown, 'the old leader let go first');
    assert.ok(takeover < 30_000);
    assert.equal((await leaseOf('three')).spec?.holderIdentity, 'three/standby');
  });

  test('no two leaders were ever seen at once', (t) => {
    t.diagnostic(`${samples} samples of both candidates' state, ${overlaps} with two leaders`);
    assert.ok(samples > 500, `sampled ${samples} times`);
    assert.equal(overlaps, 0);
  });
});
