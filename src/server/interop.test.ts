/**
 * Interoperability with the real Trivy (v0.74, built from the Go module proxy by tools/build-trivy.sh): the
 * real `trivy image --server` client against `vigil server`, on images in Debian's docker-registry on
 * loopback, must report exactly what the real Trivy finds standalone with the same DB file — results,
 * vulnerabilities and the package lists — except the package UID, which Trivy's server computes with Go's
 * hashstructure (Vigil's is its own stable hash; see src/scan/README.md), and InstalledFiles, which the protocol
 * does not carry.
 *
 * Images: the debootstrapped Debian bookworm layer (the scan tests' Debian 12 advisories), the same with a
 * layer of real npm and PyPI packages, a Go binary and a cargo-auditable binary, and an Alpine 3.10 layer made
 * of files (Trivy's alpine fixtures). The DB is the shared Trivy fixtures plus src/scan/testdata/scan-db.yaml.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildLayer, debianBase, pushImage } from '../../test/env/image-builder.js';
import type { LocalRegistry } from '../../test/env/registry.js';
import { runBuildScript } from '../../test/env/run-tool.js';
import { type BlobInfo, createImageAnalyzers } from '../analyze/index.js';
import { testData } from '../analyze/testkit.js';
import { createDetector } from '../detect/index.js';
import { createRegistryClient } from '../image/index.js';
import { scratchDir, startTestRegistry } from '../image/testkit.js';
import { createRemoteCache, createRemoteScanner } from '../rpc/index.js';
import { inspectImage, scanBlobs } from '../scan/index.js';
import { CLI, runVigil } from '../scan/testkit.js';
import { openTrivyDb } from '../vulndb/index.js';
import { placeTestDb } from './testkit.js';

// biome-ignore lint/suspicious/noExplicitAny: Trivy's reports are compared as parsed JSON
type Json = any;

const TOKEN = 'interop-token';

const APK_INSTALLED = `C:Q1sSNCl4MTQ0d1V/0NTXAhIjY7Nqo=
P:musl
V:1.1.20-r4
A:x86_64
S:368734
I:598016
T:the musl c library (libc) implementation
U:http://www.musl-libc.org/
L:MIT
o:musl
m:Timo Teräs <timo.teras@iki.fi>
t:1565162130
c:0c777cf840e82cdc528651e3f3f8a66c0a47a1a5

C:Q1+xnT4pQLVxzm3y8qCfNTxbVBJnA=
P:libssl1.1
V:1.1.1c-r0
A:x86_64
S:208012
I:536576
T:SSL shared libraries
U:https://www.openssl.org
L:OpenSSL
o:openssl
m:Timo Teras <timo.teras@iki.fi>
t:1559726014
c:5bac8f0b7e4e7e8e3b4b1a7ac6f13c8f1a5ff1c0
D:so:libc.musl-x86_64.so.1 so:libcrypto.so.1.1

`;

function run(
  file: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env, maxBuffer: 512 * 1024 * 1024, timeout: 10 * 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr, ms: performance.now() - started });
      },
    );
  });
}

/**
 * Results without what legitimately differs: the package UID (Go hashstructure vs Vigil's own hash), and a
 * package's InstalledFiles, which Trivy's protocol does not carry (a Trivy server's answers lack them too).
 */
function comparable(report: Json): Json {
  const strip = (o: Json) => {
    if (o?.PkgIdentifier) delete o.PkgIdentifier.UID;
    if (o?.Identifier) delete o.Identifier.UID;
    delete o.InstalledFiles;
    return o;
  };
  return (report.Results ?? []).map((r: Json) => ({
    ...r,
    Packages: (r.Packages ?? []).map(strip),
    Vulnerabilities: (r.Vulnerabilities ?? []).map(strip),
  }));
}

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

function ids(report: Json): string[] {
  return (report.Results ?? [])
    .flatMap((r: Json) => (r.Vulnerabilities ?? []).map((v: Json) => `${v.PkgName} ${v.VulnerabilityID}`))
    .sort();
}

describe('interop with the real Trivy', () => {
  const scratch = scratchDir('interop');
  let trivy: string;
  let registry: LocalRegistry;
  let server: ChildProcess | undefined;
  let serverUrl = '';
  let serverLog = '';
  let trivyServer: ChildProcess | undefined;
  let trivyServerUrl = '';
  let trivyServerLog = '';
  const images: Record<string, string> = {};
  const timings: string[] = [];
  const env = (home: string): Record<string, string> => ({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    // No update checks or notices: the tests reach loopback only.
    TRIVY_DISABLE_VEX_NOTICE: 'true',
  });

  before(async () => {
    const started = performance.now();
    trivy = await runBuildScript('build-trivy.sh');
    timings.push(`${Math.round(performance.now() - started)} ms  tools/build-trivy.sh`);
    const work = join(scratch.dir, 'work');
    mkdirSync(work, { recursive: true });
    const [base, lang, goDir, rustDir] = await Promise.all([
      debianBase(),
      testData('fetch-lang-testdata.sh'),
      testData('build-go-testbin.sh'),
      testData('build-rust-auditable.sh'),
    ]);
    registry = await startTestRegistry();
    const langLayer = await buildLayer(
      {
        trees: [
          { from: join(lang, 'npm'), to: '/app' },
          { from: join(lang, 'python/site'), to: '/usr/local/lib/python3.11/site-packages' },
        ],
        files: [
          {
            path: '/usr/local/bin/vigil-gobin',
            content: readFileSync(join(goDir, 'bin/vigil-gobin')),
            mode: 0o755,
          },
          {
            path: '/usr/local/bin/vigil-auditable',
            content: readFileSync(join(rustDir, 'bin/vigil-auditable')),
            mode: 0o755,
          },
        ],
      },
      work,
    );
    const alpineLayer = await buildLayer(
      {
        files: [
          { path: '/etc/alpine-release', content: '3.10.2\n' },
          { path: '/etc/os-release', content: 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.10.2\n' },
          { path: '/lib/apk/db/installed', content: APK_INSTALLED },
        ],
      },
      work,
    );
    images.debian = (await pushImage(registry, 'vigil/debian', 'bookworm', [base.layer])).reference;
    images.app = (await pushImage(registry, 'vigil/app', '1.0', [base.layer, langLayer])).reference;
    images.alpine = (await pushImage(registry, 'vigil/alpine', '3.10', [alpineLayer])).reference;

    // The same DB file for the Vigil server and for standalone Trivy.
    await placeTestDb(join(scratch.dir, 'server'));
    mkdirSync(join(scratch.dir, 'standalone', 'db'), { recursive: true });
    for (const f of ['trivy.db', 'metadata.json']) {
      copyFileSync(join(scratch.dir, 'server', 'db', f), join(scratch.dir, 'standalone', 'db', f));
    }

    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TRIVY_')));
    server = spawn(
      process.execPath,
      [
        CLI,
        'server',
        '--listen',
        '127.0.0.1:0',
        '--cache-dir',
        join(scratch.dir, 'server'),
        '--skip-db-update',
        '--token',
        TOKEN,
      ],
      { env: clean, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    server.stderr?.on('data', (d: Buffer) => {
      serverLog += d.toString();
    });
    for (let i = 0; i < 200 && serverUrl === ''; i++) {
      const line = serverLog.split('\n').find((l) => l.includes('"scan server listening"'));
      if (line) serverUrl = `http://${JSON.parse(line).address}`;
      else await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(serverUrl, `vigil server did not start:\n${serverLog}`);
    for (let i = 0; i < 100 && (await fetch(`${serverUrl}/readyz`)).status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }

    // The real Trivy server, over another copy of the same DB, for Vigil's client.
    mkdirSync(join(scratch.dir, 'trivy-server', 'db'), { recursive: true });
    for (const f of ['trivy.db', 'metadata.json']) {
      copyFileSync(join(scratch.dir, 'server', 'db', f), join(scratch.dir, 'trivy-server', 'db', f));
    }
    const port = await freePort();
    trivyServerUrl = `http://127.0.0.1:${port}`;
    const home = join(scratch.dir, 'home-server');
    mkdirSync(home, { recursive: true });
    trivyServer = spawn(
      trivy,
      [
        'server',
        '--listen',
        `127.0.0.1:${port}`,
        '--cache-dir',
        join(scratch.dir, 'trivy-server'),
        '--skip-db-update',
        '--token',
        TOKEN,
        '--quiet',
      ],
      { env: env(home), stdio: ['ignore', 'ignore', 'pipe'] },
    );
    trivyServer.stderr?.on('data', (d: Buffer) => {
      trivyServerLog += d.toString();
    });
    let healthy = false;
    for (let i = 0; i < 200 && !healthy; i++) {
      healthy = await fetch(`${trivyServerUrl}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (!healthy) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(healthy, `trivy server did not start:\n${trivyServerLog}`);
  });

  after(async () => {
    for (const child of [server, trivyServer]) {
      if (child && child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    }
    await registry?.stop();
    scratch.cleanup();
    if (timings.length > 0) console.log(`interop runs:\n  ${timings.join('\n  ')}`);
  });

  const common = [
    '--format',
    'json',
    '--scanners',
    'vuln',
    '--list-all-pkgs',
    '--skip-db-update',
    '--skip-version-check',
    '--disable-telemetry',
    '--insecure',
    '--image-src',
    'remote',
    '--quiet',
  ];

  async function viaVigilServer(image: string): Promise<Json> {
    const home = join(scratch.dir, 'home-client');
    mkdirSync(home, { recursive: true });
    const r = await run(
      trivy,
      [
        'image',
        ...common,
        '--server',
        serverUrl,
        '--token',
        TOKEN,
        '--cache-dir',
        join(scratch.dir, 'client-cache'),
        image,
      ],
      env(home),
    );
    timings.push(`${Math.round(r.ms)} ms  trivy image --server (vigil) ${image}`);
    assert.equal(r.code, 0, `trivy client failed: ${r.stderr}\nserver log:\n${serverLog.slice(-4000)}`);
    return JSON.parse(r.stdout);
  }

  async function standalone(image: string): Promise<Json> {
    const home = join(scratch.dir, 'home-standalone');
    mkdirSync(home, { recursive: true });
    const r = await run(
      trivy,
      ['image', ...common, '--skip-java-db-update', '--cache-dir', join(scratch.dir, 'standalone'), image],
      env(home),
    );
    timings.push(`${Math.round(r.ms)} ms  trivy image (standalone) ${image}`);
    assert.equal(r.code, 0, `trivy standalone failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  for (const [name, expectSome] of [
    ['debian', ['zlib1g CVE-2023-45853', 'apt CVE-2011-3374']],
    [
      'app',
      [
        'zlib1g CVE-2023-45853',
        'minimist CVE-2021-44906',
        'requests CVE-2023-32681',
        'smallvec CVE-2021-25900',
        'golang.org/x/text CVE-2022-32149',
      ],
    ],
    ['alpine', ['musl CVE-2019-14697', 'libssl1.1 CVE-2019-1549', 'libssl1.1 CVE-2019-1551']],
  ] as const) {
    test(`trivy image --server <vigil server> finds what standalone Trivy finds: ${name}`, async () => {
      const image = images[name] ?? '';
      const [remote, local] = await Promise.all([viaVigilServer(image), standalone(image)]);
      // For a person looking into a difference: both reports, as written.
      const dump = process.env.VIGIL_INTEROP_DUMP;
      if (dump) {
        mkdirSync(dump, { recursive: true });
        writeFileSync(join(dump, `${name}-server.json`), JSON.stringify(comparable(remote), null, 2));
        writeFileSync(join(dump, `${name}-standalone.json`), JSON.stringify(comparable(local), null, 2));
      }
      for (const id of expectSome) assert.ok(ids(local).includes(id), `standalone Trivy finds ${id}`);
      assert.deepEqual(ids(remote), ids(local));
      assert.deepEqual(comparable(remote), comparable(local));
      assert.deepEqual(remote.Metadata.OS, local.Metadata.OS);
    });
  }

  test('a second client scan of an image sharing layers uploads nothing new; the server counted cache hits', async () => {
    const metrics = await (await fetch(`${serverUrl}/metrics`)).text();
    const hits = Number(/^vigil_server_cache_hits_total (\S+)$/m.exec(metrics)?.[1]);
    assert.ok(hits >= 1, `the app image reused the Debian layer (hits ${hits})`);
    assert.match(metrics, /^vigil_server_scans_total\{code="ok"\} [1-9]/m);
    assert.ok(!serverLog.includes(TOKEN));
  });

  const analysedByVigil = new Map<string, BlobInfo>();
  for (const name of ['debian', 'app', 'alpine'] as const) {
    test(`Vigil's client (analysis, MissingBlobs/PutBlob/PutArtifact, Scan) against the real trivy server finds what Vigil finds standalone: ${name}`, async () => {
      const image = images[name] ?? '';
      const registryClient = createRegistryClient({ insecure: true, env: {} });
      try {
        const source = await registryClient.openImage(image);
        const remoteOptions = { serverUrl: trivyServerUrl, token: TOKEN, retry: false as const };
        const started = performance.now();
        const inspected = await inspectImage(image, source, {
          cache: createRemoteCache(remoteOptions),
          analyzers: createImageAnalyzers(),
        });
        const scanOptions = { pkgTypes: ['os', 'library'], scanners: ['vuln'] };
        const remote = await createRemoteScanner(remoteOptions).scan({
          target: image,
          artifactId: inspected.id,
          blobIds: inspected.blobIds,
          options: scanOptions,
        });
        timings.push(`${Math.round(performance.now() - started)} ms  vigil client → trivy server ${image}`);
        await source.close();

        // Vigil standalone on the same blobs and the same DB file.
        const db = await openTrivyDb(join(scratch.dir, 'trivy-server', 'db', 'trivy.db'));
        try {
          for (const [key, blob] of inspected.analysed) analysedByVigil.set(key, blob);
          if (name === 'app') {
            assert.equal(
              inspected.analysed.size,
              1,
              'the Debian layer the server already holds is not analysed again',
            );
          }
          const blobs = inspected.blobIds.map((key) => {
            const blob = analysedByVigil.get(key);
            assert.ok(blob, `${key} was analysed`);
            return blob;
          });
          const local = await scanBlobs(image, undefined, blobs, {
            detector: createDetector({ db }),
            scan: { pkgTypes: ['os', 'library'], detectVulnerabilities: true },
          });
          const view = (results: readonly Json[]) =>
            comparable({ Results: JSON.parse(JSON.stringify(results)) }).map((r: Json) => ({
              ...r,
              Packages: r.Packages.map((p: Json) => ({ ...p, Licenses: p.Licenses ?? undefined })),
              // Detection leaves ordering to the client's report step (Trivy's server too).
              Vulnerabilities: [...r.Vulnerabilities].sort((a: Json, b: Json) => {
                const ka = `${a.PkgID}\u0000${a.VulnerabilityID}\u0000${a.PkgPath ?? ''}`;
                const kb = `${b.PkgID}\u0000${b.VulnerabilityID}\u0000${b.PkgPath ?? ''}`;
                return ka < kb ? -1 : ka > kb ? 1 : 0;
              }),
            }));
          assert.ok(remote.results.length > 0);
          assert.deepEqual(remote.os, local.os);
          assert.deepEqual(view(remote.results), view(local.results));
        } finally {
          await db.close();
        }
      } finally {
        await registryClient.close();
      }
    });
  }

  test('a Trivy client scanning while the server has no DB yet retries Scan until the DB arrives', async () => {
    const cacheDir = join(scratch.dir, 'late-db');
    mkdirSync(cacheDir, { recursive: true });
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TRIVY_')));
    const late = spawn(
      process.execPath,
      [
        CLI,
        'server',
        '--listen',
        '127.0.0.1:0',
        '--cache-dir',
        cacheDir,
        '--skip-db-update',
        '--db-update-interval',
        '1s',
      ],
      { env: clean, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    late.stderr?.on('data', (d: Buffer) => {
      log += d.toString();
    });
    try {
      let url = '';
      for (let i = 0; i < 200 && url === ''; i++) {
        const line = log.split('\n').find((l) => l.includes('"scan server listening"'));
        if (line) url = `http://${JSON.parse(line).address}`;
        else await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(url, `vigil server did not start:\n${log}`);
      assert.equal((await fetch(`${url}/readyz`)).status, 503);
      const home = join(scratch.dir, 'home-late');
      mkdirSync(home, { recursive: true });
      const scan = run(
        trivy,
        [
          'image',
          ...common,
          '--server',
          url,
          '--cache-dir',
          join(scratch.dir, 'late-client'),
          images.alpine ?? '',
        ],
        env(home),
      );
      // The DB lands while the client is already waiting on Scan.
      await new Promise((r) => setTimeout(r, 1500));
      mkdirSync(join(cacheDir, 'db'), { recursive: true });
      for (const f of ['trivy.db', 'metadata.json']) {
        copyFileSync(join(scratch.dir, 'server', 'db', f), join(cacheDir, 'db', f));
      }
      const result = await scan;
      assert.equal(result.code, 0, `${result.stderr}\n${log}`);
      assert.deepEqual(ids(JSON.parse(result.stdout)), [
        'libssl1.1 CVE-2019-1549',
        'libssl1.1 CVE-2019-1551',
        'musl CVE-2019-14697',
      ]);
      // Scan was refused as unavailable first, and the client's retry got the answer above.
      assert.match(log, /"procedure":"trivy.scanner.v1.Scanner\/Scan","code":"unavailable"/);
    } finally {
      const exited = new Promise((r) => late.once('exit', r));
      late.kill('SIGTERM');
      await exited;
    }
  });

  for (const name of ['debian', 'app', 'alpine'] as const) {
    test(`vigil scan image --server <trivy server> and --server <vigil server> report what vigil finds standalone: ${name}`, async () => {
      const image = images[name] ?? '';
      const vigil = async (args: string[]) => {
        const started = performance.now();
        const r = await runVigil([
          'scan',
          'image',
          '--format',
          'json',
          '--quiet',
          '--insecure',
          ...args,
          image,
        ]);
        timings.push(`${Math.round(performance.now() - started)} ms  vigil scan image ${args[0]} ${image}`);
        assert.equal(r.code, 0, r.stderr);
        return JSON.parse(r.stdout);
      };
      const standaloneCache = join(scratch.dir, 'vigil-standalone');
      mkdirSync(join(standaloneCache, 'db'), { recursive: true });
      for (const f of ['trivy.db', 'metadata.json']) {
        copyFileSync(join(scratch.dir, 'server', 'db', f), join(standaloneCache, 'db', f));
      }
      const [viaTrivy, viaVigil, local] = await Promise.all([
        vigil(['--server', trivyServerUrl, '--token', TOKEN]),
        vigil(['--server', serverUrl, '--token', TOKEN]),
        vigil(['--cache-dir', standaloneCache, '--skip-db-update']),
      ]);
      assert.ok(ids(local).length > 0);
      assert.deepEqual(ids(viaTrivy), ids(local));
      assert.deepEqual(comparable(viaTrivy), comparable(local));
      assert.deepEqual(comparable(viaVigil), comparable(local));
      assert.deepEqual(viaTrivy.Metadata.OS, local.Metadata.OS);
      assert.equal(viaTrivy.ArtifactID, local.ArtifactID);
    });
  }

  test('vigil scan image --server with a wrong token fails with the reason and what to do', async () => {
    const r = await runVigil([
      'scan',
      'image',
      '--quiet',
      '--insecure',
      '--server',
      trivyServerUrl,
      '--token',
      'nope',
      images.alpine ?? '',
    ]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /with the server http:\/\/127\.0\.0\.1:\d+ failed: invalid token; give the server's token with --token/,
    );
  });
});
