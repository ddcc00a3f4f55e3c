// createOperator on the real API server across two leadership terms: each term's controllers register their
// informer handlers (report TTL, Secret TTL, VulnerabilityScanner schedule) and the end of the term removes
// them, so the count after the second term is what it was after the first; stop() removes the rest.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { type ControlPlane, startControlPlane } from '../../test/env/control-plane.js';
import { waitFor } from '../../test/env/net.js';
import { VULNERABILITY_REPORT } from '../k8s/crds/index.js';
import { collectionPath, type KubeObject, microTime, silentLogger } from '../k8s/index.js';
import { createRecordingLogger, stopInOrder } from '../k8s/testkit.js';
import { loadOperatorConfig } from './config/index.js';
import { createOperator, type Operator } from './operator.js';

const execFileAsync = promisify(execFile);
const CRDS = ['vulnerabilityreports', 'vulnerabilityscanners'].map((plural) =>
  fileURLToPath(new URL(`../../../deploy/crds/aquasecurity.github.io_${plural}.yaml`, import.meta.url)),
);
const OPERATOR_NS = 'op-system';
const LEASE = 'op-test-lock';
/** Handlers one term's controllers add: report TTL, Secret TTL, VulnerabilityScanner schedule. */
const PER_TERM = 3;

describe('createOperator across leadership terms (real API server)', () => {
  let cp: ControlPlane;
  let operator: Operator | undefined;

  before(async () => {
    cp = await startControlPlane();
    for (const crd of CRDS)
      await execFileAsync(join(cp.binDir, 'kubectl'), [
        '--kubeconfig',
        cp.kubeconfigPath,
        'apply',
        '-f',
        crd,
      ]);
    await cp.client.create('/api/v1/namespaces', { metadata: { name: OPERATOR_NS } });
    await waitFor(
      'the VulnerabilityReport CRD to serve',
      async () => {
        await cp.client.list(collectionPath(VULNERABILITY_REPORT));
        return true;
      },
      { timeoutMs: 30_000 },
    );
  });

  after(async () => {
    await operator?.stop();
    if (cp) await stopInOrder(cp);
  });

  test('a lost and regained lease: handlers back to one term’s worth, none after stop()', async () => {
    const config = await loadOperatorConfig({
      env: {
        OPERATOR_NAMESPACE: OPERATOR_NS,
        OPERATOR_METRICS_BIND_ADDRESS: '127.0.0.1:0',
        OPERATOR_HEALTH_PROBE_BIND_ADDRESS: '127.0.0.1:0',
        OPERATOR_LEADER_ELECTION_ENABLED: 'true',
        OPERATOR_LEADER_ELECTION_ID: LEASE,
      },
      client: cp.client,
      logger: silentLogger,
    });
    const logger = createRecordingLogger();
    operator = createOperator({
      config,
      client: cp.client,
      logger,
      registry: new Registry(),
      scannerVersion: '0.0.0-test',
      identity: 'operator-a',
      leaseDurationMs: 2_000,
      renewDeadlineMs: 1_500,
      retryPeriodMs: 250,
    });
    const routing = operator.eventHandlerCount();
    assert.ok(routing > 0, 'the event routing is registered at construction');
    await operator.start();
    const termsStarted = () => logger.lines.filter((l) => l.message === 'controllers started').length;
    const termsStopped = () => logger.lines.filter((l) => l.message === 'controllers stopped').length;

    const op = operator;
    await waitFor('the first term', async () => op.isLeader() && termsStarted() === 1, {
      timeoutMs: 60_000,
    });
    assert.equal(op.eventHandlerCount(), routing + PER_TERM);

    // Someone else takes the lease (as a replica whose clock ran ahead would): this replica cannot renew,
    // its term ends; the thief never renews, so the lease expires and a second term starts.
    const path = `/apis/coordination.k8s.io/v1/namespaces/${OPERATOR_NS}/leases/${LEASE}`;
    const lease = await cp.client.get<KubeObject & { spec: Record<string, unknown> }>(path);
    await cp.client.replace(path, {
      ...lease,
      spec: {
        ...lease.spec,
        holderIdentity: 'thief',
        renewTime: microTime(Date.now()),
        leaseDurationSeconds: 2,
      },
    });
    await waitFor('the first term to end', async () => termsStopped() === 1, { timeoutMs: 30_000 });
    assert.equal(op.eventHandlerCount(), routing, 'the ended term left no handler behind');
    await waitFor('the second term', async () => op.isLeader() && termsStarted() === 2, {
      timeoutMs: 30_000,
    });
    assert.equal(op.eventHandlerCount(), routing + PER_TERM, 'one term’s handlers, not two');

    await op.stop();
    operator = undefined;
    assert.equal(op.eventHandlerCount(), 0, 'stop() removes the routing handlers too');
  });
});
