// loadOperatorConfig against the real local control plane: it creates the two default ConfigMaps when they
// are missing, then reads edited ConfigMaps and the Secrets (decoded, kept redacted).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import { type ControlPlane, startControlPlane } from '../../../test/env/control-plane.js';
import type { KubeObject } from '../../k8s/kube-client.js';
import { createRecordingLogger, stopInOrder } from '../../k8s/testkit.js';
import { ConfigError } from './errors.js';
import { loadOperatorConfig } from './load.js';
import { DEFAULT_OPERATOR_CONFIGMAP_DATA } from './operator-configmap.js';
import { DEFAULT_TRIVY_CONFIGMAP_DATA } from './trivy-config.js';

const NS = 'vigil-config-test';
const CM = `/api/v1/namespaces/${NS}/configmaps`;
const SECRETS = `/api/v1/namespaces/${NS}/secrets`;

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

describe('loadOperatorConfig on a real API server', { timeout: 180_000 }, () => {
  let cp: ControlPlane | undefined;
  before(async () => {
    cp = await startControlPlane();
    await cp.client.create('/api/v1/namespaces', { metadata: { name: NS } });
  });
  after(async () => {
    if (cp) await stopInOrder(cp);
  });

  test('creates the default ConfigMaps, then reads edited ones and the Secrets', async () => {
    const client = cp!.client;
    const env = { OPERATOR_NAMESPACE: NS, OPERATOR_TARGET_NAMESPACES: 'apps,web' };
    const logger = createRecordingLogger();

    const first = await loadOperatorConfig({ env, client, logger, version: '9.9.9' });
    const operatorCm = await client.get<ConfigMap>(`${CM}/trivy-operator`);
    const trivyCm = await client.get<ConfigMap>(`${CM}/trivy-operator-trivy-config`);
    assert.deepEqual(operatorCm.data, DEFAULT_OPERATOR_CONFIGMAP_DATA);
    assert.deepEqual(trivyCm.data, DEFAULT_TRIVY_CONFIGMAP_DATA);
    assert.equal(operatorCm.metadata?.labels?.['app.kubernetes.io/managed-by'], 'trivy-operator');
    assert.equal(first.namespace, NS);
    assert.deepEqual(first.targetNamespaces, ['apps', 'web']);
    assert.equal(first.scanJob.compressLogs, true, 'the created ConfigMap turns log compression on');
    assert.equal(first.trivy.mode, 'Standalone');
    assert.deepEqual(first.trivy.resources.limits, { cpu: '500m', memory: '500M' });
    assert.equal(first.scannerImage, 'ghcr.io/vigil/vigil:9.9.9');
    assert.equal(
      logger.lines.filter((l) => l.message === 'created ConfigMap with default settings').length,
      2,
    );

    // Edit both ConfigMaps and add the Secrets, as Helm values would.
    await client.replace(`${CM}/trivy-operator`, {
      ...operatorCm,
      data: {
        ...operatorCm.data,
        'scanJob.excludeImages': 'registry.local/internal/*',
        'report.resourceLabels': 'app',
        'scanJob.podTemplateLabels': 'team=sec',
      },
    });
    await client.replace(`${CM}/trivy-operator-trivy-config`, {
      ...trivyCm,
      data: {
        ...trivyCm.data,
        'trivy.mode': 'ClientServer',
        'trivy.serverURL': 'http://trivy-service.vigil:4975',
        'trivy.severity': 'HIGH,CRITICAL',
        'trivy.ignoreUnfixed': 'true',
        'trivy.resources.limits.memory': '1Gi',
      },
    });
    await client.create(SECRETS, {
      metadata: { name: 'trivy-operator-trivy-config', namespace: NS },
      data: {
        'trivy.serverToken': Buffer.from('tok-s3cr3t').toString('base64'),
        'trivy.serverCustomHeaders': Buffer.from('X-Tenant:s3cr3t').toString('base64'),
      },
    });
    await client.create(SECRETS, {
      metadata: { name: 'trivy-operator', namespace: NS },
      stringData: { skipResourceByLabels: 'vigil.io/skip' },
    });

    const second = await loadOperatorConfig({ env, client, logger: createRecordingLogger() });
    assert.deepEqual(second.scanJob.excludeImages, ['registry.local/internal/*']);
    assert.deepEqual(second.report.resourceLabels, ['app']);
    assert.deepEqual(second.scanJob.podTemplateLabels, { team: 'sec' });
    assert.deepEqual(
      second.skipResourceByLabels,
      ['vigil.io/skip'],
      'Secret trivy-operator overrides its ConfigMap',
    );
    assert.equal(second.trivy.mode, 'ClientServer');
    assert.equal(second.trivy.serverURL, 'http://trivy-service.vigil:4975');
    assert.deepEqual(second.trivy.severity, ['HIGH', 'CRITICAL']);
    assert.equal(second.trivy.ignoreUnfixed, true);
    assert.equal(second.trivy.resources.limits.memory, '1Gi');
    assert.equal(second.trivy.serverToken?.reveal(), 'tok-s3cr3t');
    assert.equal(second.trivy.serverCustomHeaders?.reveal(), 'X-Tenant:s3cr3t');
    assert.doesNotMatch(JSON.stringify(second) + inspect(second, { depth: 6 }), /s3cr3t/);

    // The existing ConfigMaps were left as edited.
    assert.equal(
      (await client.get<ConfigMap>(`${CM}/trivy-operator-trivy-config`)).data?.['trivy.mode'],
      'ClientServer',
    );
  });

  test('an invalid edited value stops the load with a ConfigError naming the key', async () => {
    const client = cp!.client;
    const trivyCm = await client.get<ConfigMap>(`${CM}/trivy-operator-trivy-config`);
    await client.replace(`${CM}/trivy-operator-trivy-config`, {
      ...trivyCm,
      data: { ...trivyCm.data, 'trivy.serverURL': '' },
    });
    await assert.rejects(
      loadOperatorConfig({ env: { OPERATOR_NAMESPACE: NS }, client, logger: createRecordingLogger() }),
      (error: unknown) => error instanceof ConfigError && error.key === 'trivy.serverURL',
    );
  });
});
