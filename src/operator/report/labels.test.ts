// Report names, labels and annotations: Trivy Operator's rules (label-value check, hash fallback, name vs
// name-hash + annotation, copied and extra labels) and Vigil's annotations.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { computeHash } from '../workload/hash.js';
import { isValidLabelValue, ownerLabels, reportAnnotations, reportLabels, reportName } from './labels.js';

describe('isValidLabelValue', () => {
  test('k8s label values: ≤63, alphanumeric at both ends, - _ . inside; empty is valid', () => {
    for (const ok of ['', 'a', 'nginx-6d4cf56db6', 'A_b.c-D', 'x'.repeat(63), '0'])
      assert.ok(isValidLabelValue(ok), ok);
    for (const bad of ['x'.repeat(64), '-a', 'a-', '_a', 'a.', 'a/b', 'a b', 'ä', 'a:b'])
      assert.ok(!isValidLabelValue(bad), bad);
  });
});

describe('reportName', () => {
  test('<kind>-<owner>-<container> when that is a valid label value', () => {
    assert.equal(reportName('ReplicaSet', 'nginx-6d4cf56db6', 'nginx'), 'replicaset-nginx-6d4cf56db6-nginx');
    assert.equal(reportName('Pod', 'my-pod', 'app'), 'pod-my-pod-app');
    // exactly 63 characters stays readable
    const owner = 'o'.repeat(63 - 'statefulset--c'.length);
    assert.equal(reportName('StatefulSet', owner, 'c'), `statefulset-${owner}-c`);
  });

  test('too long or bad characters → <kind>-<hash(owner-container)>, a valid DNS label', () => {
    const owner = 'a-very-long-deployment-name-that-goes-on-7f9c8d6b5';
    const long = reportName('ReplicaSet', owner, 'sidecar-container');
    assert.equal(long, `replicaset-${computeHash(`${owner}-sidecar-container`)}`);
    assert.match(long, /^replicaset-[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.ok(long.length <= 63);
    assert.notEqual(long, reportName('ReplicaSet', owner, 'other'), 'the container is part of the hash');
    // 64 characters: one over
    const owner64 = 'o'.repeat(64 - 'statefulset--c'.length);
    assert.match(reportName('StatefulSet', owner64, 'c'), /^statefulset-[a-z0-9]+$/);
    assert.equal(reportName('Pod', 'x', 'c'), reportName('Pod', 'x', 'c'), 'stable');
  });
});

describe('ownerLabels and reportLabels', () => {
  test('a short name is a label; a long one becomes name-hash with the full name as annotation', () => {
    assert.deepEqual(ownerLabels({ kind: 'ReplicaSet', name: 'nginx-6d4cf56db6', namespace: 'web' }), {
      labels: {
        'trivy-operator.resource.kind': 'ReplicaSet',
        'trivy-operator.resource.namespace': 'web',
        'trivy-operator.resource.name': 'nginx-6d4cf56db6',
      },
      annotations: {},
    });
    const name = `cronjob-${'x'.repeat(70)}`;
    assert.deepEqual(ownerLabels({ kind: 'CronJob', name, namespace: 'batch' }), {
      labels: {
        'trivy-operator.resource.kind': 'CronJob',
        'trivy-operator.resource.namespace': 'batch',
        'trivy-operator.resource.name-hash': computeHash(name),
      },
      annotations: { 'trivy-operator.resource.name': name },
    });
  });

  test('base labels, copied owner labels, extra labels; owner identity wins over both', () => {
    const labels = reportLabels({
      owner: {
        kind: 'Deployment',
        name: 'api',
        namespace: 'prod',
        labels: { team: 'payments', 'app.kubernetes.io/name': 'api', secret: 'no' },
      },
      container: 'server',
      specHash: '5b9d7c8f4',
      resourceLabels: ['team', 'app.kubernetes.io/name', 'missing'],
      additionalLabels: { env: 'prod', 'trivy-operator.resource.kind': 'Spoofed' },
    });
    assert.deepEqual(labels, {
      'trivy-operator.container.name': 'server',
      'app.kubernetes.io/managed-by': 'trivy-operator',
      'resource-spec-hash': '5b9d7c8f4',
      team: 'payments',
      'app.kubernetes.io/name': 'api',
      env: 'prod',
      'trivy-operator.resource.kind': 'Deployment',
      'trivy-operator.resource.namespace': 'prod',
      'trivy-operator.resource.name': 'api',
    });
    const noHash = reportLabels({
      owner: { kind: 'Pod', name: 'p', namespace: 'n' },
      container: 'c',
      specHash: '',
      resourceLabels: [],
      additionalLabels: {},
    });
    assert.ok(!('resource-spec-hash' in noHash));
  });

  test('annotations: TTL as a Go duration, hashed owner name, image key and image', () => {
    const name = 'n'.repeat(80);
    assert.deepEqual(
      reportAnnotations({
        owner: { kind: 'Job', name, namespace: 'ns' },
        image: 'nginx:1.25',
        imageKey: 'index.docker.io/library/nginx:1.25',
        ttl: '24h0m0s',
      }),
      {
        'trivy-operator.aquasecurity.github.io/report-ttl': '24h0m0s',
        'trivy-operator.resource.name': name,
        'vigil.aquasecurity.github.io/image-key': 'index.docker.io/library/nginx:1.25',
        'vigil.aquasecurity.github.io/image': 'nginx:1.25',
      },
    );
    const noTtl = reportAnnotations({
      owner: { kind: 'Job', name: 'j', namespace: 'ns' },
      image: 'a',
      imageKey: 'k',
    });
    assert.deepEqual(Object.keys(noTtl), [
      'vigil.aquasecurity.github.io/image-key',
      'vigil.aquasecurity.github.io/image',
    ]);
  });
});
