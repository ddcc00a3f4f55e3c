// Helpers for the image tests: loopback HTTP stubs and proxies in front of the real registry, a token
// service, a manual clock, htpasswd files and self-signed certificates. Test support only.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalRegistry, startRegistry } from '../../test/env/registry.js';
import { createSupervisor } from '../../test/env/supervisor.js';
import type { Clock } from './clock.js';

export interface StubServer {
  /** http://127.0.0.1:PORT (https:// for TLS stubs) */
  readonly url: string;
  /** 127.0.0.1:PORT */
  readonly host: string;
  /** Every request seen: method, path and headers. */
  readonly requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders }>;
  close(): Promise<void>;
}

export type StubHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** A loopback HTTP(S) server; handler errors answer 500 so a broken stub shows up in the test. */
export async function startStub(
  handler: StubHandler,
  tls?: { key: string; cert: string },
): Promise<StubServer> {
  const requests: StubServer['requests'] = [];
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    Promise.resolve(handler(req, res)).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    });
  };
  const server = tls ? https.createServer(tls, listener) : http.createServer(listener);
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Forwards a request to upstream (the real registry) and relays the answer, Location rewritten to us. */
export async function forward(
  req: IncomingMessage,
  res: ServerResponse,
  upstream: string,
  self: string,
): Promise<void> {
  const headers = { ...req.headers };
  delete headers.host;
  delete headers.authorization;
  await new Promise<void>((resolve, reject) => {
    const out = http.request(`${upstream}${req.url}`, { method: req.method, headers }, (answer) => {
      const relayed = { ...answer.headers };
      if (typeof relayed.location === 'string') relayed.location = relayed.location.replace(upstream, self);
      res.writeHead(answer.statusCode ?? 502, relayed);
      answer.pipe(res);
      answer.on('end', resolve);
      answer.on('error', reject);
    });
    out.on('error', reject);
    req.pipe(out);
  });
}

/** A clock whose sleeps return at once and advance its time; the sleeps are recorded. */
export function manualClock(
  start = 1_700_000_000_000,
): Clock & { sleeps: number[]; advance(ms: number): void } {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
    async sleep(ms: number) {
      sleeps.push(ms);
      now += ms;
    },
  };
}

/** A bcrypt htpasswd file made by Debian's htpasswd (apache2-utils), as docker-registry requires. */
export function htpasswdFile(dir: string, user: string, password: string): string {
  const file = join(dir, 'htpasswd');
  execFileSync('htpasswd', ['-B', '-b', '-c', file, user, password], { stdio: 'pipe' });
  return file;
}

/** A throwaway self-signed certificate for 127.0.0.1 (Debian openssl). */
export function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'pipe' },
    );
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A temporary directory and its cleanup. */
export function scratchDir(prefix: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), `vigil-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a docker config.json into dir and returns its path. */
export function writeDockerConfig(dir: string, config: unknown): string {
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}

/** Reads a stream to a buffer. */
export async function drain(stream: AsyncIterable<Buffer | Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/**
 * startRegistry with a supervisor of our own whose stop uses a short grace period: test/env's default stop
 * leaves a 5 s grace timer running after the registry has exited, which holds the test process open.
 */
export async function startTestRegistry(options: { htpasswdFile?: string } = {}): Promise<LocalRegistry> {
  const { dir, cleanup } = scratchDir('registry-supervisor');
  const supervisor = createSupervisor(dir);
  const registry = await startRegistry({ ...options, supervisor });
  return {
    ...registry,
    useBasicAuth: registry.useBasicAuth,
    async stop() {
      await Promise.all(supervisor.running().map((p) => p.stop(200)));
      await registry.stop();
      await supervisor.stopAll();
      cleanup();
    },
  };
}
