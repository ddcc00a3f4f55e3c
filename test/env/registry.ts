import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './net.js';
import { createSupervisor, type Supervisor } from './supervisor.js';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string; variant?: string };
  artifactType?: string;
}

export interface LocalRegistry {
  /** host:port, as used in image references (127.0.0.1:PORT). */
  readonly host: string;
  readonly url: string;
  readonly dir: string;
  /** Uploads a blob (bytes or a file) unless the registry has it; returns its descriptor fields. */
  pushBlob(repository: string, content: Buffer | { file: string }): Promise<{ digest: string; size: number }>;
  /** Puts a manifest (image manifest, index or artifact) under a tag or digest; returns its digest. */
  pushManifest(repository: string, reference: string, manifest: object, mediaType: string): Promise<string>;
  fetchManifest(
    repository: string,
    reference: string,
    accept?: string[],
  ): Promise<{ body: Buffer; mediaType: string; digest: string }>;
  fetchBlob(repository: string, digest: string): Promise<Buffer>;
  /** Sends these credentials with every later request (for a registry started with htpasswdFile). */
  useBasicAuth(user: string, password: string): void;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  /** An htpasswd file (bcrypt) to require basic auth. */
  htpasswdFile?: string;
  supervisor?: Supervisor;
}

const ALL_MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

/**
 * Starts Debian's docker-registry (the CNCF distribution registry) on a free loopback port with storage in a
 * temporary directory, and returns a small push/fetch client for test images and OCI artifacts.
 */
export async function startRegistry(options: RegistryOptions = {}): Promise<LocalRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-registry-'));
  const ownSupervisor = options.supervisor === undefined;
  const supervisor = options.supervisor ?? createSupervisor(dir);
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const url = `http://${host}`;
  await mkdir(join(dir, 'storage'), { recursive: true });
  const auth = options.htpasswdFile
    ? `auth:\n  htpasswd:\n    realm: vigil-test\n    path: ${options.htpasswdFile}\n`
    : '';
  await writeFile(
    join(dir, 'config.yml'),
    `version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'storage')}\n  delete:\n    enabled: true\nhttp:\n  addr: ${host}\n${auth}`,
  );
  const proc = supervisor.spawn(`registry-${port}`, 'docker-registry', ['serve', join(dir, 'config.yml')]);
  const credentials = { header: undefined as string | undefined };
  await waitFor(
    `docker-registry on ${host}`,
    async () => {
      const response = await fetch(`${url}/v2/`);
      return response.status === 200 || response.status === 401;
    },
    { timeoutMs: 20_000, describe: async () => `registry log: ${proc.logFile}` },
  );

  const request = async (method: string, path: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    if (credentials.header) headers.set('Authorization', credentials.header);
    const response = await fetch(path.startsWith('http') ? path : `${url}${path}`, {
      ...init,
      method,
      headers,
      duplex: 'half',
    } as RequestInit);
    return response;
  };
  const expectOk = async (response: Response, what: string): Promise<Response> => {
    if (!response.ok)
      throw new Error(`registry ${host}: ${what}: HTTP ${response.status} ${await response.text()}`);
    return response;
  };

  const registry: LocalRegistry = {
    host,
    url,
    dir,
    useBasicAuth(user: string, password: string) {
      credentials.header = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    },
    async pushBlob(repository, content) {
      const { digest, size } = Buffer.isBuffer(content)
        ? { digest: sha256(content), size: content.length }
        : await fileDigest(content.file);
      const head = await request('HEAD', `/v2/${repository}/blobs/${digest}`);
      if (head.ok) return { digest, size };
      const start = await expectOk(
        await request('POST', `/v2/${repository}/blobs/uploads/`),
        `start upload to ${repository}`,
      );
      const location = new URL(start.headers.get('location') ?? '', url);
      location.searchParams.set('digest', digest);
      const body = Buffer.isBuffer(content)
        ? content
        : (createReadStream(content.file) as unknown as RequestInit['body']);
      await expectOk(
        await request('PUT', location.toString(), {
          body: body as RequestInit['body'],
          headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
        }),
        `upload ${digest} to ${repository}`,
      );
      return { digest, size };
    },
    async pushManifest(repository, reference, manifest, mediaType) {
      const body = Buffer.from(JSON.stringify(manifest));
      await expectOk(
        await request('PUT', `/v2/${repository}/manifests/${reference}`, {
          body,
          headers: { 'Content-Type': mediaType },
        }),
        `put manifest ${repository}:${reference}`,
      );
      return sha256(body);
    },
    async fetchManifest(repository, reference, accept = ALL_MANIFEST_TYPES) {
      const response = await expectOk(
        await request('GET', `/v2/${repository}/manifests/${reference}`, {
          headers: { Accept: accept.join(', ') },
        }),
        `get manifest ${repository}:${reference}`,
      );
      const body = Buffer.from(await response.arrayBuffer());
      return {
        body,
        mediaType: response.headers.get('content-type') ?? '',
        digest: response.headers.get('docker-content-digest') ?? sha256(body),
      };
    },
    async fetchBlob(repository, digest) {
      const response = await expectOk(
        await request('GET', `/v2/${repository}/blobs/${digest}`),
        `get blob ${digest}`,
      );
      return Buffer.from(await response.arrayBuffer());
    },
    async stop() {
      if (ownSupervisor) await supervisor.stopAll();
      else await proc.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return registry;
}

export function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export async function fileDigest(file: string): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return { digest: `sha256:${hash.digest('hex')}`, size: (await stat(file)).size };
}
