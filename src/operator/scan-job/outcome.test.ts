import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { containerOutcomes, failureReason, humanDuration, jobOutcome } from './outcome.js';
import type { Job, JobCondition, Pod } from './types.js';

const job = (conditions: JobCondition[] | undefined, deadline = 300): Job => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'scan-vulnerabilityreport-x' },
  spec: { activeDeadlineSeconds: deadline, template: { spec: { containers: [] } } },
  ...(conditions ? { status: { conditions } } : {}),
});
const cond = (
  type: string,
  status: 'True' | 'False' = 'True',
  reason?: string,
  message?: string,
): JobCondition => ({
  type,
  status,
  ...(reason ? { reason } : {}),
  ...(message ? { message } : {}),
});

const pod = (status: Pod['status'], spec?: Pod['spec']): Pod => ({
  metadata: { name: 'scan-pod' },
  ...(spec ? { spec } : {}),
  status,
});

describe('jobOutcome', () => {
  test('conditions decide; none, or only false ones, is active', () => {
    assert.equal(jobOutcome(job(undefined)), 'active');
    assert.equal(jobOutcome(job([])), 'active');
    assert.equal(jobOutcome(job([cond('Suspended', 'True'), cond('Failed', 'False')])), 'active');
    assert.equal(jobOutcome(job([cond('SuccessCriteriaMet')])), 'succeeded');
    assert.equal(jobOutcome(job([cond('SuccessCriteriaMet'), cond('Complete')])), 'succeeded');
    assert.equal(jobOutcome(job([cond('Complete')])), 'succeeded');
    assert.equal(jobOutcome(job([cond('FailureTarget', 'True', 'DeadlineExceeded')])), 'failed');
    assert.equal(jobOutcome(job([cond('Failed', 'True', 'BackoffLimitExceeded')])), 'failed');
  });
});

describe('containerOutcomes', () => {
  test('terminated containers only, init containers flagged', () => {
    const outcomes = containerOutcomes(
      pod({
        initContainerStatuses: [
          { name: 'vigil-db-download', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
        ],
        containerStatuses: [
          { name: 'web', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
          {
            name: 'db',
            state: { terminated: { exitCode: 1, reason: 'Error', message: 'vigil: UNAUTHORIZED' } },
          },
          { name: 'busy', state: { running: {} } },
        ],
      }),
    );
    assert.deepEqual(
      [...outcomes],
      [
        ['vigil-db-download', { exitCode: 0, reason: 'Completed', init: true }],
        ['web', { exitCode: 0, reason: 'Completed', init: false }],
        ['db', { exitCode: 1, reason: 'Error', message: 'vigil: UNAUTHORIZED', init: false }],
      ],
    );
    assert.equal(containerOutcomes(pod(undefined)).size, 0);
  });
});

describe('failureReason', () => {
  const failed = job([
    cond('Failed', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'),
  ]);

  test('deadline: "scan timed out after 5m"', () => {
    assert.equal(
      failureReason(job([cond('Failed', 'True', 'DeadlineExceeded', 'Job was active longer')])),
      'scan timed out after 5m',
    );
    assert.equal(
      failureReason(job([cond('FailureTarget', 'True', 'DeadlineExceeded')], 90)),
      'scan timed out after 1m30s',
    );
    assert.equal(humanDuration(3600), '1h');
    assert.equal(humanDuration(3725), '1h2m5s');
  });

  test('the scanner image cannot be pulled (also when the deadline then passed)', () => {
    const stuck = pod({
      containerStatuses: [
        {
          name: 'web',
          image: 'ghcr.io/vigil/vigil:9',
          state: {
            waiting: {
              reason: 'ImagePullBackOff',
              message: 'Back-off pulling image "ghcr.io/vigil/vigil:9"',
            },
          },
        },
      ],
    });
    assert.equal(
      failureReason(failed, stuck),
      'cannot pull the scanner image ghcr.io/vigil/vigil:9 (ImagePullBackOff: Back-off pulling image "ghcr.io/vigil/vigil:9"); check scannerImage and its pull secret',
    );
    assert.match(
      failureReason(job([cond('Failed', 'True', 'DeadlineExceeded')], 300), stuck),
      /^scan timed out after 5m: cannot pull the scanner image ghcr\.io\/vigil\/vigil:9/,
    );
  });

  test('OOMKilled names the container and its limit', () => {
    const oom = pod(
      { containerStatuses: [{ name: 'web', state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }] },
      { containers: [{ name: 'web', image: 'vigil', resources: { limits: { memory: '500M' } } }] },
    );
    assert.equal(
      failureReason(failed, oom),
      'container web ran out of memory (OOMKilled, limit 500M); raise trivy.resources.limits.memory',
    );
  });

  test("the termination message's vigil line: UNAUTHORIZED, image not found", () => {
    const message = [
      '2026-01-01T00:00:00Z INFO scanning',
      'vigil: cannot read registry.example.com/app:1: UNAUTHORIZED: authentication required; pass --username/--password',
      '',
    ].join('\n');
    const p = pod({
      containerStatuses: [
        { name: 'web', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
        { name: 'app', state: { terminated: { exitCode: 1, reason: 'Error', message } } },
      ],
    });
    assert.equal(
      failureReason(failed, p),
      'the scan of container app failed (exit 1, Error): cannot read registry.example.com/app:1: UNAUTHORIZED: authentication required; pass --username/--password',
    );
    const notFound = pod({
      containerStatuses: [
        {
          name: 'app',
          state: {
            terminated: {
              exitCode: 1,
              reason: 'Error',
              message: 'unable to find the specified image "x:1"\n',
            },
          },
        },
      ],
    });
    assert.equal(
      failureReason(failed, notFound),
      'the scan of container app failed (exit 1, Error): unable to find the specified image "x:1"',
    );
  });

  test('the DB download init container failing', () => {
    const p = pod({
      initContainerStatuses: [
        {
          name: 'vigil-db-download',
          state: {
            terminated: {
              exitCode: 1,
              reason: 'Error',
              message: 'vigil: TOOMANYREQUESTS from mirror.gcr.io',
            },
          },
        },
      ],
      containerStatuses: [{ name: 'web', state: { waiting: { reason: 'PodInitializing' } } }],
    });
    assert.equal(
      failureReason(failed, p),
      'the DB download failed (exit 1, Error): TOOMANYREQUESTS from mirror.gcr.io',
    );
  });

  test('a missing Secret key, and the Job condition when the pod is gone', () => {
    const p = pod({
      containerStatuses: [
        {
          name: 'web',
          state: {
            waiting: { reason: 'CreateContainerConfigError', message: 'secret "x-regcred" not found' },
          },
        },
      ],
    });
    assert.equal(failureReason(failed, p), 'container web cannot start (secret "x-regcred" not found)');
    assert.equal(
      failureReason(failed),
      'scan Job failed (BackoffLimitExceeded): Job has reached the specified backoff limit; its pod is gone',
    );
    assert.equal(failureReason(job([])), 'scan Job failed without a reason');
  });

  test('a long message is cut to one short line', () => {
    const p = pod({
      containerStatuses: [
        { name: 'web', state: { terminated: { exitCode: 2, message: `vigil: ${'x'.repeat(1000)}\nmore` } } },
      ],
    });
    const reason = failureReason(failed, p);
    assert.ok(!reason.includes('\n'));
    assert.ok(reason.length < 400);
  });
});
