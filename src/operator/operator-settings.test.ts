// operatorSettings / trivyConfigSnapshot: how the loaded configuration reaches the scan Job builder with
// vulnerabilityReports.scanJobsInSameNamespace (pure: parsed config objects, no API server).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseOperatorConfigMap, parseOperatorEnv, parseTrivyConfig } from './config/index.js';
import { operatorSettings, trivyConfigSnapshot } from './operator.js';
import { buildScanJob } from './scan-job/index.js';

const env = parseOperatorEnv({ OPERATOR_NAMESPACE: 'trivy-system' });
const trivy = parseTrivyConfig(
  {
    'trivy.mode': 'ClientServer',
    'trivy.serverURL': 'http://trivy-service.trivy-system:4975',
    'trivy.severity': 'high,CRITICAL',
    'trivy.ignoreUnfixed': 'true',
    'trivy.timeout': '10m',
    'trivy.skipFiles': '/a, /b',
    'trivy.httpProxy': 'http://proxy:3128',
  },
  { 'trivy.serverToken': 's3cret' },
);
const config = (sameNamespace: boolean) => ({
  ...env,
  ...parseOperatorConfigMap({
    'vulnerabilityReports.scanJobsInSameNamespace': String(sameNamespace),
  }),
  trivy,
});

describe('scanJobsInSameNamespace settings', () => {
  test('trivyConfigSnapshot: the loaded values under the env names the scan container reads', () => {
    const snapshot = trivyConfigSnapshot(trivy);
    assert.deepEqual(snapshot.env, {
      TRIVY_SEVERITY: 'HIGH,CRITICAL',
      TRIVY_IGNORE_UNFIXED: 'true',
      TRIVY_OFFLINE_SCAN: 'false',
      TRIVY_TIMEOUT: '10m0s',
      TRIVY_TOKEN_HEADER: 'Trivy-Token',
      TRIVY_SKIP_FILES: '/a,/b',
      HTTP_PROXY: 'http://proxy:3128',
    });
    assert.equal(snapshot.serverToken?.reveal(), 's3cret');
    assert.equal(snapshot.serverCustomHeaders, undefined);
    assert.ok(!JSON.stringify(snapshot).includes('s3cret'), 'the token never prints');
  });

  test('off: no same-namespace setting and no snapshot in the Job config; on: both', () => {
    const off = operatorSettings(config(false), '1.0.0').scanJobConfig;
    assert.equal(off.scanJobsInSameNamespace, undefined);
    assert.equal(off.trivyConfigSnapshot, undefined);
    const on = operatorSettings(config(true), '1.0.0').scanJobConfig;
    assert.equal(on.scanJobsInSameNamespace, true);
    const owner = { kind: 'Pod', name: 'p', namespace: 'apps', uid: 'u' };
    const built = buildScanJob({
      owner,
      specHash: 'h',
      targets: [{ container: 'main', image: 'nginx:1.25' }],
      config: on,
    });
    assert.equal(built.job.metadata.namespace, 'apps');
    const envOf = Object.fromEntries(
      (built.job.spec.template.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]),
    );
    assert.equal(envOf.TRIVY_SEVERITY, 'HIGH,CRITICAL');
    assert.deepEqual(envOf.TRIVY_TOKEN, {
      secretKeyRef: { name: `${built.job.metadata.name}-regcred`, key: 'trivy.serverToken' },
    });
    assert.equal(Buffer.from(built.secret?.data?.['trivy.serverToken'] ?? '', 'base64').toString(), 's3cret');
  });
});
