/**
 * `vigil server` as a real process: JSON logs without the token, readiness, a graceful SIGTERM that lets a
 * call in flight finish, a start without any DB (up, not ready, a clear log line), and refused flags.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { scratchDir } from '../image/testkit.js';
import { cachePb, toRpcBlobInfo } from '../rpc/index.js';
import { CLI, runVigil } from '../scan/testkit.js';
import { placeTestDb } from './testkit.js';

const TOKEN = 'cli-test-token-0123456789';

interface Running {
  child: ChildProcess;
  url: string;
  lines: () => Array<Record<string, unknown>>;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts vigil server on a free port and waits (bounded) until it says where it listens. */
async function startServer(args: string[], env: Record<string, string> = {}): Promise<Running> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TRIVY_')));
  const child = spawn(
    process.execPath,
    ['--enable-source-maps', CLI, 'server', '--listen', '127.0.0.1:0', ...args],
    {
      env: { ...clean, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = () =>
    stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  for (let i = 0; i < 200; i++) {
    const listening = lines().find((l) => l.msg === 'scan server listening');
    if (listening)
      return { child, url: `http://${String(listening.address)}`, lines, stderr: () => stderr, exited };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`vigil server did not start:\n${stderr}`);
}

async function waitReady(url: string, want: number): Promise<void> {
  let last = 0;
  for (let i = 0; i < 100; i++) {
    last = (await fetch(`${url}/readyz`)).status;
    if (last === want) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`/readyz stayed ${last}, wanted ${want}`);
}

describe('vigil server (process)', () => {
  const scratch = scratchDir('server-cli');
  const running: ChildProcess[] = [];

  before(async () => {
    await placeTestDb(scratch.dir);
  });

  after(() => {
    for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
    scratch.cleanup();
  });

  test('serves with the DB in the cache; SIGTERM drains the call in flight and exits 0; the token is never logged', async () => {
    const server = await startServer([
      '--cache-dir',
      scratch.dir,
      '--skip-db-update',
      '--token',
      TOKEN,
      '--debug',
    ]);
    running.push(server.child);
    await waitReady(server.url, 200);

    const body = Buffer.from(
      toBinary(
        cachePb.PutBlobRequestSchema,
        create(cachePb.PutBlobRequestSchema, {
          diffId: 'sha256:inflight',
          blobInfo: toRpcBlobInfo({ SchemaVersion: 2, DiffID: 'sha256:inflight' }),
        }),
      ),
    );
    // A PutBlob whose body arrives in two parts, with SIGTERM between them.
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        `${server.url}/twirp/trivy.cache.v1.Cache/PutBlob`,
        {
          method: 'POST',
          headers: {
            'Content-Type': 'application/protobuf',
            'Content-Length': body.length,
            'Trivy-Token': TOKEN,
          },
        },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => {
            text += d.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.write(body.subarray(0, 5));
      setTimeout(() => {
        server.child.kill('SIGTERM');
        setTimeout(() => req.end(body.subarray(5)), 300);
      }, 200);
    });
    const result = await answer;
    assert.equal(result.status, 200, result.body);
    assert.equal(await server.exited, 0);
    const lines = server.lines();
    assert.ok(
      lines.length > 0 && lines.every((l) => typeof l.level === 'string' && typeof l.time === 'string'),
    );
    assert.ok(lines.some((l) => l.msg === 'waiting for calls in flight'));
    assert.ok(lines.some((l) => l.msg === 'scan server stopped'));
    assert.ok(!server.stderr().includes(TOKEN), 'the token is not in the log');
  });

  test('without a DB: up, /readyz 503, and an error line that says what to do', async () => {
    const empty = scratchDir('server-cli-empty');
    try {
      const server = await startServer(['--cache-dir', empty.dir, '--skip-db-update']);
      running.push(server.child);
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
      await waitReady(server.url, 503);
      const warn = server.lines().find((l) => l.level === 'warn');
      assert.match(String(warn?.msg), /no token is set/);
      const error = server.lines().find((l) => l.level === 'error');
      assert.match(String(error?.msg), /--skip-db-update cannot be specified on the first run.*not ready/);
      server.child.kill('SIGTERM');
      assert.equal(await server.exited, 0);
    } finally {
      empty.cleanup();
    }
  });

  test('a server killed mid-upload restarts on the same cache: acknowledged blobs survive, nothing is torn, it serves again', async () => {
    const cacheDir = scratchDir('server-cli-restart');
    try {
      await placeTestDb(cacheDir.dir);
      const args = ['--cache-dir', cacheDir.dir, '--skip-db-update', '--token', TOKEN];
      const putBlob = async (url: string, id: string) => {
        const body = Buffer.from(
          toBinary(
            cachePb.PutBlobRequestSchema,
            create(cachePb.PutBlobRequestSchema, {
              diffId: id,
              blobInfo: toRpcBlobInfo({
                SchemaVersion: 2,
                DiffID: id,
                OS: { Family: 'debian', Name: '12.5' },
              }),
            }),
          ),
        );
        const response = await fetch(`${url}/twirp/trivy.cache.v1.Cache/PutBlob`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/protobuf', 'Trivy-Token': TOKEN },
          body,
        });
        return response.status;
      };
      const missing = async (url: string, ids: string[]) => {
        const body = Buffer.from(
          toBinary(
            cachePb.MissingBlobsRequestSchema,
            create(cachePb.MissingBlobsRequestSchema, { artifactId: 'sha256:art', blobIds: ids }),
          ),
        );
        const response = await fetch(`${url}/twirp/trivy.cache.v1.Cache/MissingBlobs`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/protobuf', 'Trivy-Token': TOKEN },
          body,
        });
        assert.equal(response.status, 200);
        return fromBinary(cachePb.MissingBlobsResponseSchema, new Uint8Array(await response.arrayBuffer()))
          .missingBlobIds;
      };

      const first = await startServer(args);
      running.push(first.child);
      await waitReady(first.url, 200);
      // Uploads run back to back while the server is killed without warning part-way through.
      const acknowledged: string[] = [];
      const attempted: string[] = [];
      const uploads = (async () => {
        for (let i = 0; i < 400; i++) {
          const id = `sha256:${i.toString(16).padStart(64, '0')}`;
          attempted.push(id);
          try {
            if ((await putBlob(first.url, id)) === 200) acknowledged.push(id);
          } catch {
            return; // the server is gone: the client sees a connection error
          }
        }
      })();
      await new Promise((r) => setTimeout(r, 400));
      first.child.kill('SIGKILL');
      await uploads;
      await first.exited;
      assert.ok(acknowledged.length > 0, 'some uploads were acknowledged before the kill');
      assert.ok(attempted.length < 400, 'the kill happened while uploads were still running');

      const second = await startServer(args);
      running.push(second.child);
      await waitReady(second.url, 200);
      // Every acknowledged blob is still there; the one in flight is either whole or missing, never an error.
      assert.deepEqual(await missing(second.url, acknowledged), []);
      const unacknowledged = attempted.filter((id) => !acknowledged.includes(id));
      const stillMissing = await missing(second.url, unacknowledged);
      assert.ok(stillMissing.length <= unacknowledged.length);
      // And it takes new work.
      assert.equal(await putBlob(second.url, 'sha256:after-restart'), 200);
      assert.deepEqual(await missing(second.url, ['sha256:after-restart']), []);
      assert.ok(!second.lines().some((l) => l.level === 'error'), second.stderr());
      second.child.kill('SIGTERM');
      assert.equal(await second.exited, 0);
    } finally {
      cacheDir.cleanup();
    }
  });

  test('bad flags are refused before anything starts', async () => {
    const listen = await runVigil(['server', '--listen', 'nowhere']);
    assert.equal(listen.code, 2);
    assert.match(listen.stderr, /--listen: "nowhere" is not host:port/);
    const backend = await runVigil(['server', '--cache-backend', 'bolt']);
    assert.equal(backend.code, 2);
    assert.match(backend.stderr, /--cache-backend: "bolt" is not fs, memory or a redis:\/\/ URL/);
    const size = await runVigil(['server', '--cache-max-size', 'lots']);
    assert.equal(size.code, 2);
  });
});
