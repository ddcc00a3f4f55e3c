// The metrics and probe listeners over loopback: paths (with and without the Helm probes' trailing slash),
// 200 "ok" / 503 with the reason, /metrics exposition, and ephemeral ports.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Counter, Registry } from 'prom-client';
import { createRecordingLogger } from '../k8s/testkit.js';
import { createOperatorHttpServers, type OperatorHttpServers } from './health.js';

async function get(
  port: number,
  path: string,
): Promise<{ status: number; body: string; type: string | null }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5000) });
  return { status: response.status, body: await response.text(), type: response.headers.get('content-type') };
}

describe('operator HTTP servers', () => {
  const open: OperatorHttpServers[] = [];
  after(async () => {
    for (const servers of open) await servers.close();
  });

  test('metrics on one port, probes on the other; readiness and liveness report their reasons', async () => {
    const registry = new Registry();
    new Counter({ name: 'vigil_test_total', help: 'A test counter.', registers: [registry] }).inc(3);
    let ready: boolean | string = 'informers not synced: pods';
    let live: boolean | string = true;
    const servers = createOperatorHttpServers({
      metricsAddress: '127.0.0.1:0',
      healthAddress: '127.0.0.1:0',
      registry,
      ready: () => ready,
      live: () => live,
      logger: createRecordingLogger(),
    });
    open.push(servers);
    const { metricsPort, healthPort } = await servers.start();
    assert.notEqual(metricsPort, 0);
    assert.notEqual(metricsPort, healthPort);

    const metrics = await get(metricsPort, '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.type ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(metrics.body, /^vigil_test_total 3$/m);
    assert.equal((await get(metricsPort, '/healthz')).status, 404, 'probes are not on the metrics port');
    assert.equal((await get(healthPort, '/metrics')).status, 404, 'metrics are not on the probe port');

    for (const path of ['/healthz', '/healthz/'])
      assert.deepEqual(await get(healthPort, path), {
        status: 200,
        body: 'ok',
        type: 'text/plain; charset=utf-8',
      });
    for (const path of ['/readyz', '/readyz/']) {
      const r = await get(healthPort, path);
      assert.equal(r.status, 503);
      assert.equal(r.body, 'informers not synced: pods');
    }
    ready = true;
    assert.equal((await get(healthPort, '/readyz/')).body, 'ok');
    live = false;
    assert.deepEqual(
      { ...(await get(healthPort, '/healthz/')), type: null },
      { status: 503, body: 'not live', type: null },
    );
    live = 'leader election lost';
    assert.equal((await get(healthPort, '/healthz')).body, 'leader election lost');
  });

  test('/metrics streams a large answer byte for byte; HEAD has headers only; a failing metric is a 500', async () => {
    const registry = new Registry();
    const gauge = new Counter({
      name: 'vigil_big_total',
      help: 'many series',
      labelNames: ['n', 'pad'],
      registers: [registry],
    });
    for (let i = 0; i < 20_000; i++) gauge.labels(String(i), 'x'.repeat(100)).inc(i);
    const logger = createRecordingLogger();
    const servers = createOperatorHttpServers({
      metricsAddress: '127.0.0.1:0',
      healthAddress: '127.0.0.1:0',
      registry,
      ready: () => true,
      live: () => true,
      logger,
    });
    open.push(servers);
    const { metricsPort } = await servers.start();
    const expected = await registry.metrics();
    assert.ok(expected.length > 2_000_000, 'large enough to need the socket to drain');
    const r = await get(metricsPort, '/metrics');
    assert.equal(r.status, 200);
    assert.equal(r.body, expected);
    const head = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, {
      method: 'HEAD',
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(head.status, 200);
    assert.match(head.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.equal(await head.text(), '');

    new Counter({
      name: 'vigil_broken_total',
      help: 'collect throws',
      registers: [registry],
      collect() {
        throw new Error('cache gone');
      },
    });
    // The first metric is fine, so the answer has begun: the connection is cut, never a truncated 200.
    await assert.rejects(get(metricsPort, '/metrics'));
    assert.ok(logger.lines.some((l) => l.message === 'collecting metrics failed'));
    registry.removeSingleMetric('vigil_big_total');
    const failed = await get(metricsPort, '/metrics');
    assert.equal(failed.status, 500);
    assert.match(failed.body, /collecting metrics failed: cache gone/);
  });

  test('a throwing check is a 503 with its message', async () => {
    const servers = createOperatorHttpServers({
      metricsAddress: ':0',
      healthAddress: '0',
      registry: new Registry(),
      ready: () => {
        throw new Error('store exploded');
      },
      live: () => true,
      logger: createRecordingLogger(),
    });
    open.push(servers);
    const { healthPort } = await servers.start();
    const r = await get(healthPort, '/readyz');
    assert.equal(r.status, 503);
    assert.equal(r.body, 'ready check failed: store exploded');
  });

  test('a port in use fails start with the address, and close releases the ports', async () => {
    const first = createOperatorHttpServers({
      metricsAddress: '127.0.0.1:0',
      healthAddress: '127.0.0.1:0',
      registry: new Registry(),
      ready: () => true,
      live: () => true,
      logger: createRecordingLogger(),
    });
    const { metricsPort, healthPort } = await first.start();
    const clash = createOperatorHttpServers({
      metricsAddress: '127.0.0.1:0',
      healthAddress: `127.0.0.1:${healthPort}`,
      registry: new Registry(),
      ready: () => true,
      live: () => true,
      logger: createRecordingLogger(),
    });
    await assert.rejects(
      clash.start(),
      new RegExp(`cannot listen for health probes on 127\\.0\\.0\\.1:${healthPort}`),
    );
    await first.close();
    await assert.rejects(get(metricsPort, '/metrics'));
    const again = createOperatorHttpServers({
      metricsAddress: `127.0.0.1:${metricsPort}`,
      healthAddress: `127.0.0.1:${healthPort}`,
      registry: new Registry(),
      ready: () => true,
      live: () => true,
      logger: createRecordingLogger(),
    });
    open.push(again);
    assert.deepEqual(await again.start(), { metricsPort, healthPort });
  });

  test('an invalid address is refused when the servers are built', () => {
    assert.throws(
      () =>
        createOperatorHttpServers({
          metricsAddress: '8080',
          healthAddress: ':9090',
          registry: new Registry(),
          ready: () => true,
          live: () => true,
          logger: createRecordingLogger(),
        }),
      /metricsAddress: "8080" has no port/,
    );
  });
});
