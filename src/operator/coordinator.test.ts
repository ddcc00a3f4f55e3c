import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../k8s/index.js';
import { silentLogger } from '../k8s/index.js';
import { createFakeClock } from '../k8s/testkit.js';
import { createScanCoordinator, JOB_IMAGE_KEYS_ANNOTATION, jobImageKeys } from './coordinator.js';

const job = (name: string, keys: Record<string, string>, finished = false): KubeObject => ({
  metadata: { name, annotations: { [JOB_IMAGE_KEYS_ANNOTATION]: JSON.stringify(keys) } },
  status: finished ? { conditions: [{ type: 'Complete', status: 'True' }] } : {},
});

const isActive = (j: KubeObject) =>
  !((j.status as { conditions?: Array<{ type: string }> } | undefined)?.conditions ?? []).some(
    (c) => c.type === 'Complete' || c.type === 'Failed',
  );

describe('scan coordinator', () => {
  test('counts only active Jobs plus created ones the informer has not shown; finished Jobs free their slot', () => {
    const clock = createFakeClock();
    let jobs: KubeObject[] = [job('a', { c: 'reg/app@sha256:1' }), job('b', { c: 'reg/db:1' }, true)];
    const coordinator = createScanCoordinator({
      limit: 2,
      jobs: () => jobs,
      isActive,
      clock,
      logger: silentLogger,
    });
    assert.equal(coordinator.activeCount(), 1, 'the finished Job b does not count');
    assert.equal(coordinator.reserve('c', ['reg/x:1']), true);
    assert.equal(coordinator.activeCount(), 2, 'c is created but not yet in the informer');
    assert.equal(coordinator.reserve('d', ['reg/y:1']), false, 'limit 2 reached');
    assert.equal(coordinator.reserve('a', ['reg/app@sha256:1']), true, 'an active name takes no new slot');
    // The informer shows c; then a finishes.
    jobs = [job('a', { c: 'reg/app@sha256:1' }, true), job('c', { c: 'reg/x:1' })];
    assert.equal(coordinator.activeCount(), 1);
    assert.equal(coordinator.reserve('d', ['reg/y:1']), true);
    coordinator.release('d');
    assert.equal(coordinator.activeCount(), 1, 'a released reservation gives its slot back');
  });

  test('a finished Job covers its images until its results are handled (finished()), then no longer', () => {
    const withUid = (j: KubeObject, uid: string): KubeObject => ({ ...j, metadata: { ...j.metadata, uid } });
    let jobs: KubeObject[] = [withUid(job('a', { c: 'reg/app@sha256:1' }, true), 'u1')];
    const coordinator = createScanCoordinator({
      limit: 1,
      jobs: () => jobs,
      isActive,
      clock: createFakeClock(),
      logger: silentLogger,
    });
    assert.equal(coordinator.activeCount(), 0, 'a finished Job takes no slot');
    assert.equal(coordinator.jobForImage('reg/app@sha256:1'), 'a', 'its reports are not written yet');
    coordinator.wait('reg/app@sha256:1', 'Pod/ns/p');
    assert.deepEqual(coordinator.finished('a', ['reg/app@sha256:1']), ['Pod/ns/p']);
    assert.equal(coordinator.jobForImage('reg/app@sha256:1'), undefined, 'handled: the reports say it now');
    // The workload's next Job has the same name (README decision 5) but is another Job.
    jobs = [withUid(job('a', { c: 'reg/app@sha256:1' }, true), 'u2')];
    assert.equal(coordinator.jobForImage('reg/app@sha256:1'), 'a');
  });

  test('an unseen reservation stops counting after its grace period', async () => {
    const clock = createFakeClock();
    const coordinator = createScanCoordinator({
      limit: 1,
      jobs: () => [],
      isActive,
      clock,
      logger: silentLogger,
      unseenGraceMs: 1000,
    });
    assert.equal(coordinator.reserve('a', ['k']), true);
    assert.equal(coordinator.reserve('b', ['k2']), false);
    await clock.advance(1001);
    assert.equal(coordinator.reserve('b', ['k2']), true);
  });

  test('image index: an image in flight names its Job; waiters are returned once when that Job ends', () => {
    const clock = createFakeClock();
    const jobs = [job('scan-1', { app: 'reg/app@sha256:1', side: 'reg/side:2' })];
    const coordinator = createScanCoordinator({
      limit: 5,
      jobs: () => jobs,
      isActive,
      clock,
      logger: silentLogger,
    });
    assert.equal(coordinator.jobForImage('reg/app@sha256:1'), 'scan-1');
    assert.equal(coordinator.jobForImage('reg/other:1'), undefined);
    coordinator.reserve('scan-2', ['reg/other:1']);
    assert.equal(coordinator.jobForImage('reg/other:1'), 'scan-2', 'a Job being created covers its images');
    coordinator.wait('reg/app@sha256:1', 'ReplicaSet/ns/a');
    coordinator.wait('reg/side:2', 'Pod/ns/b');
    coordinator.wait('reg/side:2', 'ReplicaSet/ns/a');
    coordinator.wait('reg/unrelated:1', 'Pod/ns/c');
    assert.deepEqual(coordinator.finished('scan-1', jobImageKeys(jobs[0] as KubeObject)).sort(), [
      'Pod/ns/b',
      'ReplicaSet/ns/a',
    ]);
    assert.deepEqual(
      coordinator.finished('scan-1', jobImageKeys(jobs[0] as KubeObject)),
      [],
      'returned once',
    );
  });

  test('a freed slot wakes deferred workloads, oldest first, as many as slots are free', async () => {
    const clock = createFakeClock();
    let jobs: KubeObject[] = [job('a', { c: 'reg/a:1' }), job('b', { c: 'reg/b:1' })];
    const coordinator = createScanCoordinator({
      limit: 2,
      jobs: () => jobs,
      isActive,
      clock,
      logger: silentLogger,
    });
    assert.equal(coordinator.reserve('w1', ['reg/1:1'], 'Pod/ns/w1'), false);
    await clock.advance(10);
    assert.equal(coordinator.reserve('w2', ['reg/2:1'], 'Pod/ns/w2'), false);
    await clock.advance(10);
    assert.equal(coordinator.reserve('w3', ['reg/3:1'], 'Pod/ns/w3'), false);
    await clock.advance(10);
    assert.equal(
      coordinator.reserve('w1', ['reg/1:1'], 'Pod/ns/w1'),
      false,
      'refused again: keeps its place',
    );
    assert.deepEqual(coordinator.deferred(), ['Pod/ns/w1', 'Pod/ns/w2', 'Pod/ns/w3']);
    coordinator.wait('reg/a:1', 'Pod/ns/x');

    // Job a finishes: one slot, so the waiter on its image and the oldest deferred workload are woken.
    jobs = [job('a', { c: 'reg/a:1' }, true), job('b', { c: 'reg/b:1' })];
    assert.deepEqual(coordinator.finished('a', ['reg/a:1']).sort(), ['Pod/ns/w1', 'Pod/ns/x']);
    assert.deepEqual(coordinator.deferred(), ['Pod/ns/w2', 'Pod/ns/w3']);

    // Before w1 runs, another workload takes the slot; w1 is refused again and goes back to the front.
    assert.equal(coordinator.reserve('new', ['reg/n:1'], 'Pod/ns/new'), true);
    await clock.advance(10);
    assert.equal(coordinator.reserve('w1', ['reg/1:1'], 'Pod/ns/w1'), false);
    assert.deepEqual(coordinator.deferred(), ['Pod/ns/w1', 'Pod/ns/w2', 'Pod/ns/w3']);

    // Both b and new end: two free slots wake the two oldest; a success takes a workload out of the line.
    jobs = [job('b', { c: 'reg/b:1' }, true), job('new', { c: 'reg/n:1' }, true)];
    assert.deepEqual(coordinator.finished('b', ['reg/b:1']), ['Pod/ns/w1', 'Pod/ns/w2']);
    assert.equal(coordinator.reserve('w2', ['reg/2:1'], 'Pod/ns/w2'), true);
    assert.deepEqual(coordinator.deferred(), ['Pod/ns/w3']);
    assert.equal(coordinator.reserve('w3', ['reg/3:1'], 'Pod/ns/w3'), true, 'slot 2 of 2');
    assert.deepEqual(coordinator.deferred(), []);
  });

  test('no free slot, nothing deferred is woken; a Job ending with no deferred workloads wakes only waiters', () => {
    const clock = createFakeClock();
    let jobs: KubeObject[] = [job('a', { c: 'reg/a:1' }), job('b', { c: 'reg/b:1' })];
    const coordinator = createScanCoordinator({
      limit: 1,
      jobs: () => jobs,
      isActive,
      clock,
      logger: silentLogger,
    });
    assert.equal(coordinator.reserve('w1', ['reg/1:1'], 'Pod/ns/w1'), false);
    jobs = [job('a', { c: 'reg/a:1' }, true), job('b', { c: 'reg/b:1' })];
    assert.deepEqual(coordinator.finished('a', ['reg/a:1']), [], 'b still holds the only slot');
    assert.deepEqual(coordinator.deferred(), ['Pod/ns/w1']);
    jobs = [job('b', { c: 'reg/b:1' }, true)];
    assert.deepEqual(coordinator.finished('b', ['reg/b:1']), ['Pod/ns/w1']);
    assert.deepEqual(coordinator.finished('b'), [], 'woken once');
  });

  test('jobImageKeys tolerates a missing or malformed annotation', () => {
    assert.deepEqual(jobImageKeys({ metadata: { name: 'x' } }), []);
    assert.deepEqual(
      jobImageKeys({ metadata: { name: 'x', annotations: { [JOB_IMAGE_KEYS_ANNOTATION]: '{nope' } } }),
      [],
    );
    assert.deepEqual(jobImageKeys(job('x', { a: 'k1', b: 'k1', c: 'k2' })), ['k1', 'k2']);
  });
});
