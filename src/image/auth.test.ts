// Authentication for real over HTTP on loopback: basic auth against docker-registry with an htpasswd file,
// and the bearer-token flow through a token service and a registry front that demands its tokens. Also
// redirects to another origin (no Authorization may follow) and TLS verification.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { buildLayer, type Layer, type PushedImage, pushImage } from '../../test/env/image-builder.js';
import type { LocalRegistry } from '../../test/env/registry.js';
import { ImageError } from './errors.js';
import { createRegistryClient } from './registry-client.js';
import {
  drain,
  forward,
  htpasswdFile,
  manualClock,
  type StubServer,
  scratchDir,
  selfSignedCertificate,
  startStub,
  startTestRegistry,
  writeDockerConfig,
} from './testkit.js';

const sha = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('basic auth against docker-registry with htpasswd', () => {
  const scratch = scratchDir('auth-basic');
  let registry: LocalRegistry;
  let layer: Layer;
  let image: PushedImage;

  before(async () => {
    registry = await startTestRegistry({ htpasswdFile: htpasswdFile(scratch.dir, 'alice', 's3cret') });
    registry.useBasicAuth('alice', 's3cret');
    layer = await buildLayer({ files: [{ path: '/etc/motd', content: 'private\n' }] });
    image = await pushImage(registry, 'private/app', '1', [layer]);
  });
  after(async () => {
    await registry?.stop();
    await rm(layer?.file ?? '', { force: true });
    scratch.cleanup();
  });

  test('pulls with --username/--password, with TRIVY_USERNAME/TRIVY_PASSWORD and with a docker config.json', async () => {
    const auth = Buffer.from('alice:s3cret').toString('base64');
    const configs = [
      { username: 'alice', password: 's3cret', dockerConfig: false as const },
      { env: { TRIVY_USERNAME: 'alice', TRIVY_PASSWORD: 's3cret' }, dockerConfig: false as const },
      {
        dockerConfig: writeDockerConfig(scratch.dir, {
          auths: { [`http://${registry.host}/v2/`]: { auth } },
        }),
      },
      {
        dockerConfig: writeDockerConfig(scratch.dir, {
          auths: { [registry.host]: { username: 'alice', password: 's3cret' } },
        }),
      },
      // DOCKER_CONFIG names the directory, as for the docker CLI.
      { env: { DOCKER_CONFIG: scratch.dir } },
    ];
    for (const [i, options] of configs.entries()) {
      const client = createRegistryClient({ env: {}, ...options });
      try {
        const pulled = await client.openImage(image.reference);
        assert.equal(pulled.configDigest, image.configDigest, `configuration ${i}`);
        assert.equal(sha(await drain(await pulled.openLayer(layer.digest))), layer.digest);
      } finally {
        await client.close();
      }
    }
  });

  test('a wrong password is IMAGE_UNAUTHORIZED naming the registry and where the credentials came from', async () => {
    const client = createRegistryClient({
      username: 'alice',
      password: 'wrong',
      dockerConfig: false,
      env: {},
    });
    try {
      await assert.rejects(client.openImage(image.reference), (error: unknown) => {
        assert.ok(ImageError.is(error, 'IMAGE_UNAUTHORIZED'), String(error));
        assert.equal(error.status, 401);
        assert.match(error.message, /credentials from --username\/--password were rejected/);
        assert.ok(error.message.includes(registry.host));
        return true;
      });
    } finally {
      await client.close();
    }
  });

  test('no credentials is IMAGE_UNAUTHORIZED saying how to provide them', async () => {
    const client = createRegistryClient({ dockerConfig: false, env: {} });
    try {
      await assert.rejects(client.openImage(image.reference), (error: unknown) => {
        assert.ok(ImageError.is(error, 'IMAGE_UNAUTHORIZED'));
        assert.ok(error.message.includes(`${registry.host} requires credentials`));
        assert.match(
          error.message,
          /--username\/--password, TRIVY_USERNAME\/TRIVY_PASSWORD, or docker login/,
        );
        return true;
      });
    } finally {
      await client.close();
    }
  });

  test('a credential helper for the host is refused clearly; a username without password is refused', async () => {
    const dockerConfig = writeDockerConfig(scratch.dir, {
      credHelpers: { [registry.host]: 'secretservice' },
    });
    const client = createRegistryClient({ dockerConfig, env: {} });
    try {
      await assert.rejects(client.openImage(image.reference), (error: unknown) => {
        assert.ok(ImageError.is(error, 'IMAGE_UNSUPPORTED'));
        assert.match(
          error.message,
          /credential helper docker-credential-secretservice, which vigil does not run/,
        );
        return true;
      });
    } finally {
      await client.close();
    }
    assert.throws(
      () => createRegistryClient({ env: { TRIVY_USERNAME: 'alice' }, dockerConfig: false }),
      /a username needs a password/,
    );
  });
});

/** A token service for the bearer flow: tokens carry their scopes; it may demand Basic credentials. */
function tokenService() {
  const issued = new Map<string, Set<string>>();
  const state = {
    users: undefined as Map<string, string> | undefined,
    field: 'token' as 'token' | 'access_token',
    expiresIn: 300 as number | undefined,
    requests: [] as Array<{
      method: string;
      service: string | null;
      scopes: string[];
      authorization?: string;
      form?: URLSearchParams;
    }>,
    issued,
    counter: 0,
  };
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://token');
    let scopes = url.searchParams.getAll('scope');
    let service = url.searchParams.get('service');
    let form: URLSearchParams | undefined;
    if (req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += chunk;
      form = new URLSearchParams(body);
      scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
      service = form.get('service');
    }
    state.requests.push({
      method: req.method ?? '',
      service,
      scopes,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      ...(form ? { form } : {}),
    });
    if (form !== undefined && form.get('refresh_token') !== 'refresh-me') {
      res.writeHead(401).end('{"errors":[{"code":"UNAUTHORIZED","message":"bad refresh token"}]}');
      return;
    }
    if (state.users !== undefined && form === undefined) {
      const ok = [...state.users].some(([u, p]) => req.headers.authorization === basic(u, p));
      if (!ok) {
        res
          .writeHead(401, { 'Content-Type': 'application/json' })
          .end('{"details":"incorrect username or password"}');
        return;
      }
    }
    const token = `tok-${++state.counter}`;
    issued.set(token, new Set(scopes));
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(
      JSON.stringify({
        [state.field]: token,
        ...(state.expiresIn === undefined ? {} : { expires_in: state.expiresIn }),
      }),
    );
  };
  return { state, handler };
}

describe('bearer token flow through a token service', () => {
  let registry: LocalRegistry;
  let layer: Layer;
  let images: PushedImage[];
  let tokens: ReturnType<typeof tokenService>;
  let tokenServer: StubServer;
  let front: StubServer;
  let cdn: StubServer;
  const frontState = { unauthorized: 0, redirectBlobsTo: undefined as string | undefined };

  before(async () => {
    registry = await startTestRegistry();
    layer = await buildLayer({ files: [{ path: '/srv/data.txt', content: 'bearer\n'.repeat(100) }] });
    images = [
      await pushImage(registry, 'team/app', '1', [layer]),
      await pushImage(registry, 'team/other', '1', [layer]),
    ];
    tokens = tokenService();
    tokenServer = await startStub(tokens.handler);
    // Blob storage on another origin: serves blobs from the registry and records what it was sent.
    cdn = await startStub((req, res) => forward(req, res, registry.url, cdn.url));
    front = await startStub(async (req, res) => {
      const path = new URL(req.url ?? '/', 'http://front').pathname;
      const repository = /^\/v2\/(.+?)\/(?:manifests|blobs)\//.exec(path)?.[1];
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const scopes = token === undefined ? undefined : tokens.state.issued.get(token);
      if (repository === undefined || scopes === undefined || !scopes.has(`repository:${repository}:pull`)) {
        frontState.unauthorized++;
        res.writeHead(401, {
          'Content-Type': 'application/json',
          'WWW-Authenticate': `Bearer realm="${tokenServer.url}/token",service="vigil-test",scope="repository:${repository ?? ''}:pull"`,
        });
        res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
        return;
      }
      if (frontState.redirectBlobsTo !== undefined && path.includes('/blobs/')) {
        res.writeHead(307, { Location: `${frontState.redirectBlobsTo}${req.url}` }).end();
        return;
      }
      await forward(req, res, registry.url, front.url);
    });
  });
  after(async () => {
    await front?.close();
    await cdn?.close();
    await tokenServer?.close();
    await registry?.stop();
    await rm(layer?.file ?? '', { force: true });
  });

  const reference = (image: PushedImage) => image.reference.replace(registry.host, front.host);

  test('anonymous: one 401, one token per scope, cached for later pulls; a known challenge is answered up front', async () => {
    tokens.state.requests.length = 0;
    frontState.unauthorized = 0;
    const client = createRegistryClient({ dockerConfig: false, env: {} });
    try {
      const first = await client.openImage(reference(images[0]!));
      assert.equal(sha(await drain(await first.openLayer(layer.digest))), layer.digest);
      await client.openImage(reference(images[0]!));
      assert.equal(frontState.unauthorized, 1, 'only the very first request is challenged');
      assert.equal(tokens.state.requests.length, 1, 'the token is reused');
      const [request] = tokens.state.requests;
      assert.equal(request?.service, 'vigil-test');
      assert.deepEqual(request?.scopes, ['repository:team/app:pull']);
      assert.equal(request?.authorization, undefined, 'anonymous token request');

      await client.openImage(reference(images[1]!));
      assert.equal(frontState.unauthorized, 1, 'the second repository gets its token before asking');
      assert.deepEqual(
        tokens.state.requests.map((r) => r.scopes),
        [['repository:team/app:pull'], ['repository:team/other:pull']],
      );
    } finally {
      await client.close();
    }
  });

  test('credentials go to the token service as Basic; wrong ones are IMAGE_UNAUTHORIZED naming the token service', async () => {
    tokens.state.users = new Map([['bob', 'hunter2']]);
    tokens.state.requests.length = 0;
    try {
      const good = createRegistryClient({
        username: 'bob',
        password: 'hunter2',
        dockerConfig: false,
        env: {},
      });
      try {
        const pulled = await good.openImage(reference(images[0]!));
        assert.equal(pulled.configDigest, images[0]!.configDigest);
        assert.equal(tokens.state.requests[0]?.authorization, basic('bob', 'hunter2'));
      } finally {
        await good.close();
      }
      const bad = createRegistryClient({ username: 'bob', password: 'nope', dockerConfig: false, env: {} });
      try {
        await assert.rejects(bad.openImage(reference(images[0]!)), (error: unknown) => {
          assert.ok(ImageError.is(error, 'IMAGE_UNAUTHORIZED'), String(error));
          assert.ok(error.message.includes(`the token service ${tokenServer.host} of ${front.host}`));
          assert.match(error.message, /credentials from --username\/--password were rejected/);
          return true;
        });
      } finally {
        await bad.close();
      }
    } finally {
      tokens.state.users = undefined;
    }
  });

  test('"access_token" answers work, tokens are refreshed after expires_in, and a revoked token is replaced once', async () => {
    tokens.state.field = 'access_token';
    tokens.state.expiresIn = 120;
    tokens.state.requests.length = 0;
    const clock = manualClock();
    const client = createRegistryClient({ clock, dockerConfig: false, env: {} });
    try {
      await client.openImage(reference(images[0]!));
      assert.equal(tokens.state.requests.length, 1);
      clock.advance(60_000);
      await client.openImage(reference(images[0]!));
      assert.equal(tokens.state.requests.length, 1, 'still valid after 60 s');
      clock.advance(70_000);
      await client.openImage(reference(images[0]!));
      assert.equal(tokens.state.requests.length, 2, 'refreshed after 130 s of a 120 s token');

      tokens.state.issued.clear(); // the registry forgets every token it issued
      frontState.unauthorized = 0;
      const pulled = await client.openImage(reference(images[0]!));
      assert.equal(pulled.configDigest, images[0]!.configDigest);
      assert.equal(frontState.unauthorized, 1);
      assert.equal(tokens.state.requests.length, 3);
    } finally {
      tokens.state.field = 'token';
      tokens.state.expiresIn = 300;
      await client.close();
    }
  });

  test('a docker config identitytoken is exchanged as an OAuth2 refresh token (POST)', async () => {
    const scratch = scratchDir('auth-identity');
    tokens.state.requests.length = 0;
    const dockerConfig = writeDockerConfig(scratch.dir, {
      auths: {
        [front.host]: { auth: Buffer.from('<token>:').toString('base64'), identitytoken: 'refresh-me' },
      },
    });
    const client = createRegistryClient({ dockerConfig, env: {} });
    try {
      await client.openImage(reference(images[1]!));
      const [request] = tokens.state.requests;
      assert.equal(request?.method, 'POST');
      assert.equal(request?.form?.get('grant_type'), 'refresh_token');
      assert.equal(request?.form?.get('refresh_token'), 'refresh-me');
      assert.equal(request?.form?.get('service'), 'vigil-test');
      assert.deepEqual(request?.scopes, ['repository:team/other:pull']);
      assert.equal(request?.authorization, undefined, 'the refresh token is never sent as Basic');
    } finally {
      await client.close();
      scratch.cleanup();
    }
  });

  test('a blob redirect to another origin is followed without the Authorization header', async () => {
    frontState.redirectBlobsTo = cdn.url;
    cdn.requests.length = 0;
    const client = createRegistryClient({ dockerConfig: false, env: {} });
    try {
      const pulled = await client.openImage(reference(images[0]!));
      assert.equal(sha(await drain(await pulled.openLayer(layer.digest))), layer.digest);
      const blobRequests = cdn.requests.filter((r) => r.url.includes('/blobs/'));
      assert.equal(blobRequests.length, 2, 'config and layer came from the other origin');
      for (const r of blobRequests)
        assert.equal(r.headers.authorization, undefined, `${r.url} got no credentials`);
      const frontBlobs = front.requests.filter((r) => r.url.includes('/blobs/') && r.headers.authorization);
      assert.ok(frontBlobs.length >= 2, 'the registry itself did get the token');
    } finally {
      frontState.redirectBlobsTo = undefined;
      await client.close();
    }
  });
});

describe('TLS', () => {
  test('a self-signed registry fails verification with a clear error, and works with insecure', async () => {
    const registry = await startTestRegistry();
    const layer = await buildLayer({ files: [{ path: '/tls.txt', content: 'tls\n' }] });
    const tls = await startStub(
      (req, res) => forward(req, res, registry.url, tls.url),
      selfSignedCertificate(),
    );
    try {
      const image = await pushImage(registry, 'tls/app', '1', [layer]);
      const reference = image.reference.replace(registry.host, tls.host);
      const strict = createRegistryClient({ clock: manualClock(), dockerConfig: false, env: {} });
      try {
        await assert.rejects(strict.openImage(reference), (error: unknown) => {
          assert.ok(ImageError.is(error, 'IMAGE_NETWORK'), String(error));
          assert.ok(error.message.includes(`cannot reach ${tls.host}`));
          assert.match(error.message, /HTTPS: self[- ]signed certificate/);
          return true;
        });
      } finally {
        await strict.close();
      }
      const insecure = createRegistryClient({ insecure: true, dockerConfig: false, env: {} });
      try {
        const pulled = await insecure.openImage(reference);
        assert.equal(pulled.configDigest, image.configDigest);
        assert.equal(sha(await drain(await pulled.openLayer(layer.digest))), layer.digest);
      } finally {
        await insecure.close();
      }
    } finally {
      await tls.close();
      await registry.stop();
      await rm(layer.file, { force: true });
    }
  });
});
