// The built-in scan server's health check against a loopback HTTP server: "up" is cached for the configured
// time, "down" is not, an outage is logged once, and concurrent callers share one request.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createFakeClock, createRecordingLogger } from '../k8s/testkit.js';
import { startTestServer } from '../server/testkit.js';
import { createServerHealthCheck } from './server-health.js';

describe('scan server health check', () => {
  let status = 200;
  let hits = 0;
  let paths: string[] = [];
  let release: (() => void) | undefined;
  let url = '';
  const server = http.createServer((request, response) => {
    hits++;
    paths.push(request.url ?? '');
    const answer = () => {
      response.writeHead(status, { 'Content-Type': 'text/plain' });
      response.end(status === 200 ? 'ok' : 'down');
    };
    if (release === undefined) answer();
    else {
      const previous = release;
      release = () => {
        previous();
        answer();
      };
    }
  });

  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('"up" is trusted for the cache time, then asked again', async () => {
    status = 200;
    hits = 0;
    paths = [];
    const clock = createFakeClock();
    const health = createServerHealthCheck({
      serverURL: url,
      cacheMs: 60_000,
      clock,
      logger: createRecordingLogger(),
    });
    assert.equal(await health.isUp(), true);
    assert.deepEqual(paths, ['/healthz'], 'GET <serverURL>/healthz, the trailing slash not doubled');
    await clock.advance(59_999);
    status = 503;
    assert.equal(await health.isUp(), true, 'still cached');
    assert.equal(hits, 1);
    await clock.advance(2);
    assert.equal(await health.isUp(), false, 'cache expired: asked again');
    assert.equal(hits, 2);
  });

  test('"down" is not cached; an outage is logged once, its end once; a new outage again', async () => {
    status = 503;
    hits = 0;
    const clock = createFakeClock();
    const logger = createRecordingLogger();
    const health = createServerHealthCheck({ serverURL: url, cacheMs: 60_000, clock, logger });
    assert.equal(await health.isUp(), false);
    assert.equal(await health.isUp(), false);
    assert.equal(await health.isUp(), false);
    assert.equal(hits, 3, 'every check while down asks the server');
    const warnings = () => logger.lines.filter((l) => l.level === 'warn');
    assert.equal(warnings().length, 1);
    assert.match(warnings()[0]?.message ?? '', /deferred.*nothing is marked FAILED/);
    assert.equal(warnings()[0]?.fields?.status, 503);

    status = 200;
    assert.equal(await health.isUp(), true);
    assert.deepEqual(
      logger.lines.filter((l) => l.level === 'info').map((l) => l.message),
      ['scan server is up again; scan jobs resume'],
    );
    await clock.advance(60_001);
    status = 500;
    assert.equal(await health.isUp(), false);
    assert.equal(warnings().length, 2, 'a second outage is logged');
  });

  test('concurrent callers share one request', async () => {
    status = 200;
    hits = 0;
    release = () => {};
    const health = createServerHealthCheck({
      serverURL: url,
      cacheMs: 60_000,
      clock: createFakeClock(),
      logger: createRecordingLogger(),
    });
    const answers = [health.isUp(), health.isUp(), health.isUp()];
    // Bounded wait for the one request to arrive, then let it answer.
    for (let i = 0; i < 200 && hits === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const answer = release;
    release = undefined;
    answer();
    assert.deepEqual(await Promise.all(answers), [true, true, true]);
    assert.equal(hits, 1);
  });

  test('a server that is not listening is down, with the error in the log', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const logger = createRecordingLogger();
    const health = createServerHealthCheck({
      serverURL: `http://127.0.0.1:${port}`,
      cacheMs: 60_000,
      clock: createFakeClock(),
      logger,
    });
    assert.equal(await health.isUp(), false);
    assert.equal(logger.lines.filter((l) => l.level === 'warn').length, 1);
    assert.equal(logger.lines[0]?.fields?.url, `http://127.0.0.1:${port}/healthz`);
  });

  test('against a real vigil server (with a token, which /healthz does not need): up, then down once it stops', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'server-health-'));
    const server = await startTestServer({ cacheDir, token: 's3cret', noDbStart: true });
    try {
      const clock = createFakeClock();
      const logger = createRecordingLogger();
      const health = createServerHealthCheck({ serverURL: server.server.url, cacheMs: 1_000, clock, logger });
      assert.equal(await health.isUp(), true);
      await server.close();
      assert.equal(await health.isUp(), true, 'cached');
      await clock.advance(1_001);
      assert.equal(await health.isUp(), false, 'stopped: down');
      assert.equal(logger.lines.filter((l) => l.level === 'warn').length, 1);
    } finally {
      await server.close().catch(() => {});
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});
