// References, platforms, challenges and docker config matching: the parsing rules, case by case.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseChallenges, pickChallenge } from './challenge.js';
import { dockerConfigCredential, normalizeConfigKey, parseDockerConfig } from './credentials.js';
import { ImageError } from './errors.js';
import { parseManifest } from './manifest.js';
import { formatPlatform, parsePlatform } from './platform.js';
import { apiHost, familiarName, formatReference, isLoopbackRegistry, parseReference } from './reference.js';

test('references normalise as docker pull does', () => {
  const digest = `sha256:${'ab'.repeat(32)}`;
  const cases: Array<[string, string, string, string | undefined, string | undefined]> = [
    // input → registry, repository, tag, digest
    ['alpine', 'docker.io', 'library/alpine', 'latest', undefined],
    ['alpine:3.19', 'docker.io', 'library/alpine', '3.19', undefined],
    ['library/alpine', 'docker.io', 'library/alpine', 'latest', undefined],
    ['aquasec/trivy-db:2', 'docker.io', 'aquasec/trivy-db', '2', undefined],
    ['docker.io/nginx', 'docker.io', 'library/nginx', 'latest', undefined],
    ['index.docker.io/user/app:1', 'docker.io', 'user/app', '1', undefined],
    ['mirror.gcr.io/aquasec/trivy-db:2', 'mirror.gcr.io', 'aquasec/trivy-db', '2', undefined],
    ['ghcr.io/aquasecurity/trivy-db:2', 'ghcr.io', 'aquasecurity/trivy-db', '2', undefined],
    ['localhost/app', 'localhost', 'app', 'latest', undefined],
    ['localhost:5000/team/app:v1.2.3', 'localhost:5000', 'team/app', 'v1.2.3', undefined],
    ['127.0.0.1:5000/a/b/c', '127.0.0.1:5000', 'a/b/c', 'latest', undefined],
    ['[::1]:5000/app:x', '[::1]:5000', 'app', 'x', undefined],
    [`alpine@${digest}`, 'docker.io', 'library/alpine', undefined, digest],
    [`registry.example:443/app:1.0@${digest}`, 'registry.example:443', 'app', '1.0', digest],
    ['user/my_app-x.y__z:tag_1.0-rc', 'docker.io', 'user/my_app-x.y__z', 'tag_1.0-rc', undefined],
  ];
  for (const [input, registry, repository, tag, dig] of cases) {
    assert.deepEqual(parseReference(input), { registry, repository, tag, digest: dig }, input);
  }
  assert.equal(formatReference(parseReference('alpine')), 'docker.io/library/alpine:latest');
  assert.equal(familiarName(parseReference('alpine:3')), 'alpine');
  assert.equal(familiarName(parseReference('user/app')), 'user/app');
  assert.equal(familiarName(parseReference('ghcr.io/a/b')), 'ghcr.io/a/b');
  assert.equal(apiHost('docker.io'), 'registry-1.docker.io');
  assert.equal(apiHost('ghcr.io'), 'ghcr.io');
  assert.ok(
    isLoopbackRegistry('127.0.0.1:5000') && isLoopbackRegistry('localhost') && isLoopbackRegistry('[::1]:80'),
  );
  assert.ok(!isLoopbackRegistry('ghcr.io') && !isLoopbackRegistry('10.0.0.1:5000'));
});

test('invalid references say what is wrong', () => {
  const bad: Array<[string, RegExp]> = [
    ['', /empty/],
    ['Alpine', /must be lowercase/],
    ['docker.io/Library/alpine', /must be lowercase/],
    ['alpine:', /tag "" is not valid/],
    ['alpine:-x', /tag "-x" is not valid/],
    ['alpine@sha256:abc', /exactly 64 lowercase hex/],
    ['alpine@md5:0123456789abcdef0123456789abcdef', /only sha256/],
    ['a'.repeat(64), /image ID, not a reference/],
    ['host:port/app', /port "port" .* is not a number/],
    ['-bad.host:5000/app', /not a valid host name/],
    ['app//x', /path component "" is not valid/],
    ['a_-b', /path component "a_-b" is not valid/],
  ];
  for (const [input, pattern] of bad) {
    assert.throws(
      () => parseReference(input),
      (error: unknown) => ImageError.is(error, 'IMAGE_BAD_REFERENCE') && pattern.test(error.message),
      input,
    );
  }
});

test('platforms parse as os/arch[/variant]', () => {
  assert.deepEqual(parsePlatform('linux/amd64'), { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(parsePlatform('linux/arm/v7'), { os: 'linux', architecture: 'arm', variant: 'v7' });
  assert.equal(formatPlatform(parsePlatform('linux/arm64/v8')), 'linux/arm64/v8');
  for (const bad of ['linux', 'linux/', '/amd64', 'linux/arm/v7/x', 'linux/arm/']) {
    assert.throws(() => parsePlatform(bad), /expected os\/arch or os\/arch\/variant/, bad);
  }
});

test('WWW-Authenticate challenges, quoted commas and several challenges in one header', () => {
  assert.deepEqual(
    parseChallenges(
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull,push"',
    ),
    [
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:a/b:pull,push',
        },
      },
    ],
  );
  const several = parseChallenges(
    'Negotiate, Basic realm="Registry Realm", Bearer realm=https://t/x, service="s"',
  );
  assert.deepEqual(
    several.map((c) => c.scheme),
    ['negotiate', 'basic', 'bearer'],
  );
  assert.deepEqual(several[2]?.params, { realm: 'https://t/x', service: 's' });
  assert.equal(pickChallenge(several)?.scheme, 'bearer');
  assert.equal(pickChallenge(parseChallenges('Basic realm="r"'))?.scheme, 'basic');
  assert.equal(pickChallenge(parseChallenges('NTLM')), undefined);
  assert.deepEqual(parseChallenges('Bearer realm="a \\"quoted\\" realm"')[0]?.params, {
    realm: 'a "quoted" realm',
  });
});

test('docker config entries match by host whatever their scheme and path', () => {
  assert.equal(normalizeConfigKey('https://index.docker.io/v1/'), 'index.docker.io');
  assert.equal(normalizeConfigKey('http://Registry.Example:5000/v2/'), 'registry.example:5000');
  const auth = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');
  const config = parseDockerConfig(
    JSON.stringify({
      auths: {
        'https://index.docker.io/v1/': { auth: auth('hub', 'pw:with:colons') },
        'ghcr.io': { username: 'gh', password: 'token' },
        'empty.example': {},
        'broken.example': { auth: Buffer.from('no-colon').toString('base64') },
      },
      credHelpers: { 'gcr.io': 'gcloud' },
    }),
    '/tmp/config.json',
  );
  assert.deepEqual(dockerConfigCredential(config, 'docker.io'), {
    kind: 'basic',
    username: 'hub',
    password: 'pw:with:colons',
    source: '/tmp/config.json (auths.https://index.docker.io/v1/)',
  });
  assert.equal(dockerConfigCredential(config, 'ghcr.io')?.kind, 'basic');
  assert.equal(dockerConfigCredential(config, 'quay.io'), undefined);
  assert.equal(dockerConfigCredential(config, 'empty.example'), undefined, 'no credsStore: anonymous');
  assert.throws(
    () => dockerConfigCredential(config, 'gcr.io'),
    /docker-credential-gcloud, which vigil does not run/,
  );
  assert.throws(
    () => dockerConfigCredential(config, 'broken.example'),
    /must be base64 of "username:password"/,
  );
  const store = parseDockerConfig(
    JSON.stringify({ auths: { 'quay.io': {} }, credsStore: 'desktop' }),
    'c.json',
  );
  assert.throws(() => dockerConfigCredential(store, 'quay.io'), /docker-credential-desktop \(credsStore\)/);
  assert.equal(
    dockerConfigCredential(store, 'ghcr.io'),
    undefined,
    'hosts the store file does not list are anonymous',
  );
  // A Kubernetes .dockercfg (legacy) has the hosts at the top level.
  const legacy = parseDockerConfig(JSON.stringify({ 'r.example': { auth: auth('u', 'p') } }), '.dockercfg');
  assert.equal(dockerConfigCredential(legacy, 'r.example')?.kind, 'basic');
});

test('manifests: media type from header, body or shape; schema 1 and bad descriptors refused', () => {
  const digest = `sha256:${'c'.repeat(64)}`;
  const manifest = {
    schemaVersion: 2,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest, size: 2 },
    layers: [],
  };
  const parsed = parseManifest(Buffer.from(JSON.stringify(manifest)), 'application/json', 'x');
  assert.equal(parsed.kind, 'manifest');
  const index = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] })), '', 'x');
  assert.equal(index.kind, 'index');
  assert.throws(
    () => parseManifest(Buffer.from('{"schemaVersion":1,"fsLayers":[]}'), 'application/json', 'old'),
    /old is a Docker schema 1 manifest/,
  );
  assert.throws(
    () =>
      parseManifest(
        Buffer.from('not json'),
        'application/vnd.docker.distribution.manifest.v1+prettyjws',
        'old',
      ),
    /schema 1/,
  );
  const badDigest = { ...manifest, layers: [{ mediaType: 'x', digest: 'sha256:nothex', size: 1 }] };
  assert.throws(() => parseManifest(Buffer.from(JSON.stringify(badDigest)), '', 'm'), /layers\[0\]: digest/);
  assert.throws(
    () =>
      parseManifest(
        Buffer.from(JSON.stringify({ ...manifest, mediaType: 'application/vnd.cncf.helm.chart' })),
        '',
        'h',
      ),
    (error: unknown) => ImageError.is(error, 'IMAGE_UNSUPPORTED'),
  );
});
