import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../k8s/index.js';
import { secretMetadataOnly, slimPod, slimReport, withoutManagedFields } from './cache-transforms.js';
import { builtReport, hugeTrivyReport } from './report/testkit.js';

const managedFields = [
  { manager: 'kube-controller-manager', operation: 'Update', fieldsV1: { 'f:spec': {} } },
];

test('withoutManagedFields: drops metadata.managedFields only; an object without them is returned as is', () => {
  const object = {
    metadata: { name: 'a', namespace: 'ns', resourceVersion: '7', managedFields },
    spec: { x: 1 },
  };
  const slim = withoutManagedFields(object);
  assert.deepEqual(slim, { metadata: { name: 'a', namespace: 'ns', resourceVersion: '7' }, spec: { x: 1 } });
  assert.ok(object.metadata.managedFields, 'the input is not changed');
  const plain = { metadata: { name: 'b' } };
  assert.equal(withoutManagedFields(plain), plain);
});

test('slimReport: no findings, everything the readers use kept; with the vuln-id metric, only its fields', () => {
  const full = builtReport(hugeTrivyReport(40));
  full.metadata.managedFields = managedFields;
  (full as unknown as Record<string, unknown>).extra = { kept: true };
  const slim = slimReport({ keepFindingsForMetrics: false })(full);
  assert.equal('vulnerabilities' in slim.report, false);
  assert.equal(slim.metadata.managedFields, undefined);
  const { vulnerabilities: _v, ...data } = full.report;
  assert.deepEqual(slim.report, data, 'summary, artifact, registry, os, scanner, updateTimestamp');
  const { managedFields: _m, ...metadata } = full.metadata;
  assert.deepEqual(slim.metadata, metadata);
  assert.deepEqual(slim.status, full.status);
  assert.deepEqual((slim as unknown as Record<string, unknown>).extra, { kept: true });
  assert.equal(full.report.vulnerabilities.length, 40, 'the input is not changed');
  assert.ok(JSON.stringify(slim).length * 10 < JSON.stringify(full).length, 'a tenth of the size or less');

  const forMetrics = slimReport({ keepFindingsForMetrics: true })(full);
  assert.equal(forMetrics.report.vulnerabilities.length, 40);
  const [first] = forMetrics.report.vulnerabilities;
  const source = full.report.vulnerabilities[0]!;
  assert.ok(source.description && source.links && source.cvss, 'the full finding has the heavy fields');
  assert.deepEqual(first, {
    vulnerabilityID: source.vulnerabilityID,
    resource: source.resource,
    installedVersion: source.installedVersion,
    fixedVersion: source.fixedVersion,
    publishedDate: source.publishedDate,
    lastModifiedDate: source.lastModifiedDate,
    severity: source.severity,
    title: source.title,
    ...(source.score === undefined ? {} : { score: source.score }),
    ...(source.target === undefined ? {} : { target: source.target }),
    ...(source.class === undefined ? {} : { class: source.class }),
    ...(source.packageType === undefined ? {} : { packageType: source.packageType }),
    ...(source.packagePath === undefined ? {} : { packagePath: source.packagePath }),
  });

  const again = slimReport({ keepFindingsForMetrics: false })(slim);
  assert.deepEqual(again, slim, 'idempotent');
});

const pod = (ownerKind?: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'p',
    namespace: 'ns',
    uid: 'u',
    resourceVersion: '3',
    creationTimestamp: '2026-01-01T00:00:00Z',
    labels: { app: 'web' },
    managedFields,
    ...(ownerKind
      ? {
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: ownerKind, name: 'o', uid: 'ou', controller: true },
          ],
        }
      : {}),
  },
  spec: {
    serviceAccountName: 'sa',
    nodeSelector: { 'kubernetes.io/arch': 'arm64' },
    volumes: [{ name: 'v', emptyDir: {} }],
    containers: [
      { name: 'app', image: 'nginx:1', resources: { limits: { cpu: '1' } }, imagePullPolicy: 'Always' },
    ],
    initContainers: [{ name: 'init', image: 'busybox', command: ['true'] }],
  },
  status: {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: 'True' }],
    podIPs: [{ ip: '10.0.0.1' }],
    containerStatuses: [
      {
        name: 'app',
        image: 'docker.io/library/nginx:1',
        imageID: `docker.io/library/nginx@sha256:${'a'.repeat(64)}`,
        state: { running: { startedAt: '2026-01-01T00:00:01Z' } },
        lastState: {},
        ready: true,
        restartCount: 0,
        volumeMounts: [{ name: 'v', mountPath: '/v' }],
      },
    ],
    initContainerStatuses: [{ name: 'init', imageID: '', state: { waiting: { reason: 'PodInitializing' } } }],
  },
});

test('slimPod: a bare Pod keeps its whole spec (hashed, scanned); a controlled one only container names and images', () => {
  const bare = pod();
  const slimBare = slimPod(bare) as KubeObject & { spec: unknown; status: Record<string, unknown> };
  assert.deepEqual(slimBare.spec, bare.spec, 'a bare Pod is its own workload: spec untouched');
  assert.equal(slimBare.metadata?.managedFields, undefined);
  assert.deepEqual(slimBare.metadata?.labels, { app: 'web' });
  assert.deepEqual(slimBare.status, {
    phase: 'Running',
    containerStatuses: [
      {
        name: 'app',
        image: 'docker.io/library/nginx:1',
        imageID: `docker.io/library/nginx@sha256:${'a'.repeat(64)}`,
        state: { running: { startedAt: '2026-01-01T00:00:01Z' } },
      },
    ],
    initContainerStatuses: [{ name: 'init', imageID: '', state: { waiting: { reason: 'PodInitializing' } } }],
  });

  const controlled = slimPod(pod('ReplicaSet')) as KubeObject & { spec: unknown };
  assert.deepEqual(controlled.spec, {
    containers: [{ name: 'app', image: 'nginx:1' }],
    initContainers: [{ name: 'init', image: 'busybox' }],
  });
  assert.equal(controlled.metadata?.ownerReferences?.[0]?.kind, 'ReplicaSet');
  // A controller the operator does not scan through (e.g. a custom one): the pod is its own workload.
  assert.deepEqual((slimPod(pod('MyController')) as { spec: unknown }).spec, pod().spec);
});

test('secretMetadataOnly: no data, no stringData, no managedFields', () => {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's', namespace: 'ns', annotations: { a: 'b' }, managedFields },
    type: 'Opaque',
    data: { password: 'c2VjcmV0' },
    stringData: { token: 'secret' },
  };
  assert.deepEqual(secretMetadataOnly(secret), {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's', namespace: 'ns', annotations: { a: 'b' } },
    type: 'Opaque',
  });
});
