// The Event recorder on the real API server: a repeated event is one Event whose count and lastTimestamp go
// up; a different message is another Event; a repeat after the Event is gone (expired) starts a new one.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ControlPlane, startControlPlane } from '../../test/env/control-plane.js';
import type { KubeObject } from '../k8s/index.js';
import { createFakeClock, createRecordingLogger, stopInOrder } from '../k8s/testkit.js';
import { createEventRecorder } from './events.js';

const NS = 'events-test';

interface CoreEvent extends KubeObject {
  involvedObject: { kind?: string; name?: string; uid?: string; apiVersion?: string };
  type: string;
  reason: string;
  message: string;
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  source?: { component?: string };
}

describe('event recorder (real API server)', () => {
  let cp: ControlPlane;
  let pod: KubeObject;

  before(async () => {
    cp = await startControlPlane();
    await cp.client.create('/api/v1/namespaces', { metadata: { name: NS } });
    const created = await cp.client.create<KubeObject>(`/api/v1/namespaces/${NS}/pods`, {
      metadata: { name: 'app', namespace: NS },
      spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1' }] },
    });
    // List and create responses differ in kind/apiVersion; the recorder is given what the caller has.
    pod = { ...created, apiVersion: 'v1', kind: 'Pod' };
  });

  after(async () => {
    if (cp) await stopInOrder(cp);
  });

  const eventsOf = async (reason: string) =>
    (await cp.client.list<CoreEvent>(`/api/v1/namespaces/${NS}/events`)).items.filter(
      (e) => e.reason === reason && e.involvedObject.name === 'app',
    );

  test('a repeated event bumps count and lastTimestamp of one Event; another message is another Event', async () => {
    const clock = createFakeClock(Date.UTC(2026, 5, 1, 12, 0, 0));
    const logger = createRecordingLogger();
    const events = createEventRecorder({ client: cp.client, clock, logger, component: 'trivy-operator' });
    await events.record(pod, 'Warning', 'ScanFailed', 'container app: registry unreachable');
    await clock.advance(5_000);
    await events.record(pod, 'Warning', 'ScanFailed', 'container app: registry unreachable');
    await clock.advance(5_000);
    await events.record(pod, 'Warning', 'ScanFailed', 'container app: registry unreachable');

    const [one, ...rest] = await eventsOf('ScanFailed');
    assert.equal(rest.length, 0, 'one Event for three occurrences');
    assert.ok(one);
    assert.equal(one.count, 3);
    assert.equal(one.firstTimestamp, '2026-06-01T12:00:00Z');
    assert.equal(one.lastTimestamp, '2026-06-01T12:00:10Z');
    assert.equal(one.type, 'Warning');
    assert.equal(one.source?.component, 'trivy-operator');
    assert.deepEqual(
      {
        kind: one.involvedObject.kind,
        uid: one.involvedObject.uid,
        apiVersion: one.involvedObject.apiVersion,
      },
      { kind: 'Pod', uid: pod.metadata?.uid, apiVersion: 'v1' },
    );

    await events.record(pod, 'Warning', 'ScanFailed', 'container app: scan timed out after 5m');
    const both = await eventsOf('ScanFailed');
    assert.equal(both.length, 2, 'a different message is a different Event');
    assert.deepEqual(both.map((e) => e.count).sort(), [1, 3]);
    assert.equal(logger.lines.filter((l) => l.level === 'warn').length, 0);
  });

  test('a repeat after the Event expired creates a new one with count 1', async () => {
    const clock = createFakeClock(Date.UTC(2026, 5, 2, 12, 0, 0));
    const events = createEventRecorder({
      client: cp.client,
      clock,
      logger: createRecordingLogger(),
      component: 'trivy-operator',
    });
    await events.record(pod, 'Normal', 'Scanned', 'container app scanned');
    const [first] = await eventsOf('Scanned');
    assert.ok(first);
    await cp.client.delete(`/api/v1/namespaces/${NS}/events/${first.metadata?.name}`);
    await clock.advance(1_000);
    await events.record(pod, 'Normal', 'Scanned', 'container app scanned');
    const [again, ...rest] = await eventsOf('Scanned');
    assert.equal(rest.length, 0);
    assert.ok(again);
    assert.notEqual(again.metadata?.name, first.metadata?.name);
    assert.equal(again.count, 1);
  });
});
