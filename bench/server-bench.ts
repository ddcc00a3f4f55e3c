// Benchmark for the scan server, side by side with the real Trivy server (tools/build-trivy.sh) on the same DB
// file and machine: 1, 8 and 32 concurrent client scans of the test images. A "client scan" is what a client
// whose layers the server already holds does: MissingBlobs, then Scan (protobuf, token auth), through Vigil's
// Twirp client; the blobs were uploaded once beforehand by Vigil's client (analysis + PutBlob/PutArtifact).
// Printed per server and concurrency: scans per second, p50 and p99 latency, and the server's peak RSS
// (VmHWM). Figures are printed, never asserted. Runs: node dist/bench/server-bench.js [--scans 64]
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { createImageAnalyzers } from '../src/analyze/index.js';
import { createRegistryClient } from '../src/image/index.js';
import { scratchDir, startTestRegistry } from '../src/image/testkit.js';
import { createRemoteCache, createRemoteScanner } from '../src/rpc/index.js';
import { inspectImage } from '../src/scan/index.js';
import { CLI } from '../src/scan/testkit.js';
import { placeTestDb } from '../src/server/testkit.js';
import { debianBase, pushImage } from '../test/env/image-builder.js';
import { runBuildScript } from '../test/env/run-tool.js';

const scansArg = process.argv.indexOf('--scans');
const SCANS = scansArg > 0 ? Number(process.argv[scansArg + 1]) : 64;
const CONCURRENCY = [1, 8, 32];
const TOKEN = 'bench-token';
// Each level stops early after this long, whatever SCANS says.
const LEVEL_BUDGET_MS = 120_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function peakRssMiB(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

async function waitHealthy(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (
      ok &&
      (await fetch(`${url}/readyz`).then(
        (r) => r.status !== 503,
        () => true,
      ))
    )
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not become healthy`);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function main(): Promise<void> {
  const scratch = scratchDir('server-bench');
  const registry = await startTestRegistry();
  const children: ChildProcess[] = [];
  try {
    const trivy = await runBuildScript('build-trivy.sh');
    const base = await debianBase();
    const image = (await pushImage(registry, 'bench/debian', 'bookworm', [base.layer])).reference;
    await placeTestDb(join(scratch.dir, 'vigil'));
    mkdirSync(join(scratch.dir, 'trivy', 'db'), { recursive: true });
    for (const f of ['trivy.db', 'metadata.json']) {
      copyFileSync(join(scratch.dir, 'vigil', 'db', f), join(scratch.dir, 'trivy', 'db', f));
    }
    const servers: Array<{ name: string; url: string; child: ChildProcess }> = [];
    const vigilPort = await freePort();
    const vigil = spawn(
      process.execPath,
      [
        CLI,
        'server',
        '--listen',
        `127.0.0.1:${vigilPort}`,
        '--cache-dir',
        join(scratch.dir, 'vigil'),
        '--skip-db-update',
        '--token',
        TOKEN,
        '--quiet',
      ],
      { stdio: 'ignore' },
    );
    children.push(vigil);
    servers.push({ name: 'vigil server', url: `http://127.0.0.1:${vigilPort}`, child: vigil });
    const trivyPort = await freePort();
    const trivyServer = spawn(
      trivy,
      [
        'server',
        '--listen',
        `127.0.0.1:${trivyPort}`,
        '--cache-dir',
        join(scratch.dir, 'trivy'),
        '--skip-db-update',
        '--token',
        TOKEN,
        '--quiet',
      ],
      { stdio: 'ignore', env: { PATH: process.env.PATH ?? '', HOME: scratch.dir } },
    );
    children.push(trivyServer);
    servers.push({ name: 'trivy server', url: `http://127.0.0.1:${trivyPort}`, child: trivyServer });

    console.log(
      `server benchmark: ${image} (Debian bookworm, ${base.packages.length} packages), ${SCANS} scans per level`,
    );
    console.log('server        conc  scans/s   p50 ms   p99 ms  peak RSS MiB');
    for (const server of servers) {
      await waitHealthy(server.url);
      const remote = { serverUrl: server.url, token: TOKEN, retry: false as const };
      const client = createRegistryClient({ insecure: true, env: {} });
      const source = await client.openImage(image);
      const inspected = await inspectImage(image, source, {
        cache: createRemoteCache(remote),
        analyzers: createImageAnalyzers(),
      });
      await source.close();
      await client.close();
      const cache = createRemoteCache(remote);
      const scanner = createRemoteScanner(remote);
      const oneScan = async () => {
        const started = performance.now();
        const missing = await cache.missingBlobs(inspected.id, inspected.blobIds);
        if (missing.missingBlobIds.length > 0) throw new Error('the server lost a blob');
        const response = await scanner.scan({
          target: image,
          artifactId: inspected.id,
          blobIds: inspected.blobIds,
          options: {
            pkgTypes: ['os', 'library'],
            scanners: ['vuln'],
            pkgRelationships: ['unknown', 'root', 'workspace', 'direct', 'indirect'],
          },
        });
        if (response.results.length === 0) throw new Error('no results');
        return performance.now() - started;
      };
      await oneScan(); // warm-up
      for (const concurrency of CONCURRENCY) {
        const latencies: number[] = [];
        let next = 0;
        const levelStart = performance.now();
        const worker = async () => {
          while (next < SCANS && performance.now() - levelStart < LEVEL_BUDGET_MS) {
            next++;
            latencies.push(await oneScan());
          }
        };
        await Promise.all(Array.from({ length: concurrency }, worker));
        const seconds = (performance.now() - levelStart) / 1000;
        latencies.sort((a, b) => a - b);
        console.log(
          `${server.name.padEnd(13)} ${String(concurrency).padStart(4)} ${(latencies.length / seconds).toFixed(1).padStart(8)} ${percentile(latencies, 50).toFixed(0).padStart(8)} ${percentile(latencies, 99).toFixed(0).padStart(8)} ${peakRssMiB(server.child.pid).toFixed(0).padStart(13)}`,
        );
      }
    }
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await registry.stop();
    scratch.cleanup();
  }
}

await main();
