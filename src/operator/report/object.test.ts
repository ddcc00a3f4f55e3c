// The whole object (metadata, owner reference, status) and the update semantics (Trivy Operator's
// createOrUpdate plus Vigil's FAILED status), then freshness and reuse.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { failedReportData } from './data.js';
import { reportIsCurrent, reusableResult } from './freshness.js';
import { buildVulnerabilityReport, mergeForUpdate, type VigilVulnerabilityReport } from './object.js';
import { builtReport, golden, OWNER } from './testkit.js';

const TTL = 'trivy-operator.aquasecurity.github.io/report-ttl';
const KEY = 'vigil.aquasecurity.github.io/image-key';
const IMAGE = 'vigil.aquasecurity.github.io/image';
const REDUCED = 'vigil.aquasecurity.github.io/report-reduced';

/** What the API server hands back: server-set metadata on top of what was sent. */
function stored(
  report: VigilVulnerabilityReport,
  extra: Record<string, string> = {},
): VigilVulnerabilityReport {
  return {
    ...report,
    metadata: {
      ...report.metadata,
      uid: 'aaaa-bbbb',
      resourceVersion: '42',
      creationTimestamp: '2026-03-01T00:00:00Z',
      annotations: { ...report.metadata.annotations, ...extra },
    },
  };
}

describe('buildVulnerabilityReport', () => {
  test('apiVersion/kind, name, namespace, labels, annotations, one controller owner reference, report, status', () => {
    const report = builtReport(golden('fluentd-gems'));
    assert.equal(report.apiVersion, 'aquasecurity.github.io/v1alpha1');
    assert.equal(report.kind, 'VulnerabilityReport');
    assert.equal(report.metadata.name, 'replicaset-web-6d4cf56db6-web');
    assert.equal(report.metadata.namespace, 'report-test');
    assert.deepEqual(report.metadata.labels, {
      'trivy-operator.container.name': 'web',
      'app.kubernetes.io/managed-by': 'trivy-operator',
      'resource-spec-hash': '5b9d7c8f4',
      team: 'payments',
      env: 'test',
      'trivy-operator.resource.kind': 'ReplicaSet',
      'trivy-operator.resource.namespace': 'report-test',
      'trivy-operator.resource.name': 'web-6d4cf56db6',
    });
    assert.deepEqual(report.metadata.annotations, {
      [TTL]: '24h0m0s',
      [KEY]: 'index.docker.io/fluent/fluentd:v1.8',
      [IMAGE]: 'fluent/fluentd:v1.8',
    });
    assert.deepEqual(report.metadata.ownerReferences, [
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        name: 'web-6d4cf56db6',
        uid: OWNER.uid,
        controller: true,
        blockOwnerDeletion: false,
      },
    ]);
    assert.deepEqual(report.status, { phase: 'Succeeded', lastScanTime: '2026-03-04T05:06:07Z' });
    assert.equal(report.report.vulnerabilities.length, 2);
  });

  test('a first failure: empty data, zero summary, FAILED with failedAttempts 1', () => {
    const now = new Date('2026-03-04T05:06:07Z');
    const report = buildVulnerabilityReport({
      owner: OWNER,
      container: 'web',
      specHash: 'h',
      image: 'private.example/app:1',
      imageKey: 'private.example/app:1',
      data: failedReportData({ image: 'private.example/app:1', now, scannerVersion: '0.72.0' }),
      status: {
        phase: 'FAILED',
        reason: 'ScanJobFailed',
        message: 'UNAUTHORIZED',
        lastScanTime: '2026-03-04T05:06:07Z',
      },
      resourceLabels: [],
      additionalLabels: {},
    });
    assert.deepEqual(report.status, {
      phase: 'FAILED',
      reason: 'ScanJobFailed',
      message: 'UNAUTHORIZED',
      lastScanTime: '2026-03-04T05:06:07Z',
      failedAttempts: 1,
    });
    assert.deepEqual(report.report.vulnerabilities, []);
    assert.deepEqual(report.report.artifact, { repository: 'app', tag: '1' });
    assert.ok(!(TTL in (report.metadata.annotations ?? {})), 'no TTL when none is configured');
  });
});

describe('mergeForUpdate', () => {
  const existing = stored(builtReport(golden('debian-stretch')), {
    'someone.else/annotation': 'keep me',
    [REDUCED]: 'descriptions',
  });

  test('success: labels, report and status replaced; creationTimestamp, resourceVersion, foreign annotations and TTL kept', () => {
    const desired = builtReport(golden('fluentd-gems'), { now: new Date('2026-03-05T00:00:00Z') });
    desired.metadata.labels!['resource-spec-hash'] = 'newhash';
    desired.metadata.annotations![TTL] = '48h0m0s';
    const merged = mergeForUpdate(existing, desired);
    assert.equal(merged.metadata.creationTimestamp, '2026-03-01T00:00:00Z');
    assert.equal(merged.metadata.resourceVersion, '42');
    assert.equal(merged.metadata.uid, 'aaaa-bbbb');
    assert.deepEqual(merged.metadata.labels, desired.metadata.labels);
    assert.deepEqual(
      merged.metadata.annotations,
      {
        [TTL]: '24h0m0s',
        'someone.else/annotation': 'keep me',
        [KEY]: 'index.docker.io/fluent/fluentd:v1.8',
        [IMAGE]: 'fluent/fluentd:v1.8',
      },
      'the TTL is not reset; the stale reduction mark is gone',
    );
    assert.equal(merged.report, desired.report);
    assert.deepEqual(merged.status, desired.status);
  });

  test('a TTL annotation is added when the existing report has none', () => {
    const bare = stored(builtReport(golden('debian-stretch')));
    delete bare.metadata.annotations![TTL];
    const merged = mergeForUpdate(bare, builtReport(golden('debian-stretch')));
    assert.equal(merged.metadata.annotations?.[TTL], '24h0m0s');
  });

  test('failed rescan: the last good report and its annotations stay; FAILED with failedAttempts counting up', () => {
    const failure = {
      phase: 'FAILED' as const,
      reason: 'ScanJobFailed',
      message: 'pod log: unexpected EOF',
      lastScanTime: '2026-03-06T00:00:00Z',
    };
    const desired = buildVulnerabilityReport({
      owner: OWNER,
      container: 'web',
      specHash: 'newhash',
      image: 'fluent/fluentd:v1.9',
      imageKey: 'index.docker.io/fluent/fluentd:v1.9',
      data: failedReportData({ image: 'fluent/fluentd:v1.9', now: new Date(), scannerVersion: '0.72.0' }),
      status: failure,
      resourceLabels: [],
      additionalLabels: {},
    });
    const once = mergeForUpdate(existing, desired);
    assert.equal(once.report, existing.report, 'the last good data is kept');
    assert.deepEqual(once.status, { ...failure, failedAttempts: 1 });
    assert.equal(once.metadata.labels?.['resource-spec-hash'], 'newhash', 'labels follow the workload');
    assert.equal(
      once.metadata.annotations?.[KEY],
      'index.docker.io/fluent/fluentd:v1.8',
      'key describes the data',
    );
    assert.equal(once.metadata.annotations?.[REDUCED], 'descriptions');
    const twice = mergeForUpdate(stored(once), desired);
    assert.equal(twice.status?.failedAttempts, 2);
    const thrice = mergeForUpdate(stored(twice), desired);
    assert.equal(thrice.status?.failedAttempts, 3);
    assert.equal(thrice.report, existing.report);
    const recovered = mergeForUpdate(stored(thrice), builtReport(golden('fluentd-gems')));
    assert.deepEqual(recovered.status, { phase: 'Succeeded', lastScanTime: '2026-03-04T05:06:07Z' });
    assert.equal(recovered.report.vulnerabilities.length, 2);
  });
});

describe('reportIsCurrent and reusableResult', () => {
  const at = (
    iso: string,
    phase: 'Succeeded' | 'FAILED' = 'Succeeded',
    key = 'index.docker.io/fluent/fluentd:v1.8',
  ) => {
    const r = builtReport(golden('debian-stretch'), { now: new Date(iso) });
    r.status = { phase, lastScanTime: iso };
    r.metadata.annotations![KEY] = key;
    return r;
  };

  test('current: Succeeded, same spec hash, updated at or after notBefore', () => {
    const r = at('2026-03-04T05:06:07Z');
    assert.ok(reportIsCurrent(r, { specHash: '5b9d7c8f4' }));
    assert.ok(!reportIsCurrent(r, { specHash: 'other' }));
    assert.ok(reportIsCurrent(r, { specHash: '5b9d7c8f4', notBefore: new Date('2026-03-04T05:06:07Z') }));
    assert.ok(!reportIsCurrent(r, { specHash: '5b9d7c8f4', notBefore: new Date('2026-03-04T05:06:08Z') }));
    assert.ok(!reportIsCurrent(at('2026-03-04T05:06:07Z', 'FAILED'), { specHash: '5b9d7c8f4' }));
    const trivyOperators = at('2026-03-04T05:06:07Z');
    delete trivyOperators.status;
    assert.ok(reportIsCurrent(trivyOperators, { specHash: '5b9d7c8f4' }), 'no status = written on success');
  });

  test('reuse: the newest Succeeded report with the image key, within notBefore and maxAge', () => {
    const old = at('2026-03-01T00:00:00Z');
    const newer = at('2026-03-03T00:00:00Z');
    const failed = at('2026-03-04T00:00:00Z', 'FAILED');
    const otherImage = at('2026-03-04T00:00:00Z', 'Succeeded', 'index.docker.io/library/nginx:1');
    const all = [old, failed, newer, otherImage];
    const key = 'index.docker.io/fluent/fluentd:v1.8';
    assert.equal(reusableResult(all, key), newer);
    assert.equal(reusableResult(all, 'ghcr.io/none:1'), undefined);
    assert.equal(reusableResult(all, key, { notBefore: new Date('2026-03-03T00:00:01Z') }), undefined);
    const now = new Date('2026-03-04T00:00:00Z');
    assert.equal(reusableResult(all, key, { maxAge: 36 * 3600_000, now }), newer);
    assert.equal(reusableResult(all, key, { maxAge: 12 * 3600_000, now }), undefined);
    assert.throws(() => reusableResult(all, key, { maxAge: 1 }), /maxAge needs now/);
  });
});
