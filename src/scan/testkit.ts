// Helpers for the scan tests and the scan benchmark: the test DB (the shared Trivy fixtures plus Vigil's
// scan-db.yaml) pushed as the trivy-db artifact, a counting proxy in front of the registry, `vigil` run as a
// real process, and docker-save / OCI-layout inputs written from pushed images. Test support only.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { Layer, PushedImage } from '../../test/env/image-builder.js';
import type { LocalRegistry } from '../../test/env/registry.js';
import { forward, type StubServer, startStub } from '../image/testkit.js';
import { buildDbArchive, metadataJson, pushDbArtifact } from '../vulndb/distribution-testkit.js';
import { repoRoot, trivyDbFixturesDir } from '../vulndb/testkit.js';

export const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));

export function scanFixture(): string {
  return join(repoRoot(), 'src', 'scan', 'testdata', 'scan-db.yaml');
}

/**
 * Builds trivy.db from the shared fixtures and scan-db.yaml, packs it as trivy-db CI does and pushes it to
 * `<registry>/vigil/trivy-db:2`; returns the repository to pass as --db-repository.
 */
export async function pushScanDb(registry: LocalRegistry, workDir: string): Promise<string> {
  const shared = readdirSync(trivyDbFixturesDir())
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(trivyDbFixturesDir(), f));
  const now = Date.now();
  const archive = await buildDbArchive(workDir, 'scan-db', {
    metadata: metadataJson({
      nextUpdate: new Date(now + 24 * 3_600_000).toISOString(),
      updatedAt: new Date(now).toISOString(),
    }),
    fixtures: [...shared, scanFixture()],
  });
  const { reference } = await pushDbArtifact(registry, 'vigil/trivy-db', '2', { file: archive.tarball });
  return reference;
}

export interface CountingProxy extends StubServer {
  /** GETs of blobs (not manifests) seen, by digest. */
  blobGets(): Map<string, number>;
  reset(): void;
}

/** A loopback proxy in front of the registry that records what it is asked for. */
export async function startCountingProxy(registry: LocalRegistry): Promise<CountingProxy> {
  let self = '';
  const stub = await startStub((req, res) => forward(req, res, registry.url, self));
  self = stub.url;
  return Object.assign(stub, {
    blobGets() {
      const counts = new Map<string, number>();
      for (const r of stub.requests) {
        const match = /\/blobs\/(sha256:[a-f0-9]{64})/.exec(r.url);
        if (r.method === 'GET' && match?.[1]) counts.set(match[1], (counts.get(match[1]) ?? 0) + 1);
      }
      return counts;
    },
    reset() {
      stub.requests.length = 0;
    },
  });
}

export interface VigilRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the built vigil CLI as a process with a clean TRIVY_* environment plus `env`. */
export function runVigil(args: string[], env: Record<string, string> = {}): Promise<VigilRun> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TRIVY_')));
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--enable-source-maps', CLI, ...args],
      { env: { ...clean, ...env }, maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr, ms: performance.now() - started });
      },
    );
  });
}

const hex = (digest: string) => digest.slice('sha256:'.length);

/**
 * `docker save` output as Docker before 25 wrote it: manifest.json, the config as <id>.json, each layer
 * uncompressed as <diffid>/layer.tar; tarred into `file`.
 */
export async function writeDockerArchive(
  image: PushedImage,
  repoTags: string[],
  dir: string,
  file: string,
): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const config = Buffer.from(JSON.stringify(image.config));
  const configName = `${hex(image.configDigest)}.json`;
  writeFileSync(join(dir, configName), config);
  const layerNames = image.layers.map((layer: Layer) => {
    const name = `${hex(layer.diffId)}/layer.tar`;
    mkdirSync(join(dir, hex(layer.diffId)), { recursive: true });
    writeFileSync(join(dir, name), gunzipSync(readFileSync(layer.file)));
    return name;
  });
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify([{ Config: configName, RepoTags: repoTags, Layers: layerNames }]),
  );
  return new Promise<string>((resolve, reject) =>
    execFile('tar', ['-cf', file, '-C', dir, '.'], (error) => (error ? reject(error) : resolve(file))),
  );
}

/** An OCI image layout directory holding one pushed image under `refName`. */
export function writeOciLayout(image: PushedImage, refName: string, dir: string): string {
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const manifest = Buffer.from(JSON.stringify(image.manifest));
  const manifestDigest = `sha256:${sha256Hex(manifest)}`;
  writeFileSync(join(blobs, hex(manifestDigest)), manifest);
  writeFileSync(join(blobs, hex(image.configDigest)), Buffer.from(JSON.stringify(image.config)));
  for (const layer of image.layers) copyFileSync(layer.file, join(blobs, hex(layer.digest)));
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: image.manifest.mediaType,
          digest: manifestDigest,
          size: manifest.length,
          annotations: { 'org.opencontainers.image.ref.name': refName },
        },
      ],
    }),
  );
  return dir;
}

function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
