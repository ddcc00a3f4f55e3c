import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  credentialsForImage,
  normalizeRegistry,
  parseDockerConfigSecret,
  pullSecretNames,
  RegistryCredentialsError,
  serviceAccountOf,
} from './credentials.js';
import type { Secret } from './types.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

function dockerConfigJson(auths: unknown, name = 'pull'): Secret {
  return {
    metadata: { name, namespace: 'shop' },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': b64(JSON.stringify({ auths })) },
  };
}

describe('parseDockerConfigSecret', () => {
  test('dockerconfigjson: auth or username/password, servers normalised, empty entries skipped', () => {
    const map = parseDockerConfigSecret(
      dockerConfigJson({
        'https://index.docker.io/v1/': { auth: b64('hubuser:hub:pass') },
        'HTTP://Registry.Example.com:5000/v2/': { username: 'u', password: 'p' },
        '*.corp.example': { auth: b64('wild:card') },
        'ghcr.io': { identitytoken: 'x' },
        'quay.io': {},
      }),
    );
    assert.deepEqual(
      [...map],
      [
        ['docker.io', { username: 'hubuser', password: 'hub:pass' }],
        ['registry.example.com:5000', { username: 'u', password: 'p' }],
        ['*.corp.example', { username: 'wild', password: 'card' }],
      ],
    );
  });

  test('dockercfg: servers at the top level', () => {
    const map = parseDockerConfigSecret({
      metadata: { name: 'old', namespace: 'shop' },
      type: 'kubernetes.io/dockercfg',
      data: { '.dockercfg': b64(JSON.stringify({ 'quay.io': { auth: b64('q:w') } })) },
    });
    assert.deepEqual([...map], [['quay.io', { username: 'q', password: 'w' }]]);
  });

  test('other Secret types hold no registry credentials', () => {
    assert.equal(
      parseDockerConfigSecret({ metadata: { name: 'x' }, type: 'Opaque', data: { a: b64('b') } }).size,
      0,
    );
  });

  test('malformed Secrets: the error names the Secret and the problem, never a value', () => {
    const cases: Array<[Secret, RegExp]> = [
      [
        { metadata: { name: 'pull', namespace: 'shop' }, type: 'kubernetes.io/dockerconfigjson', data: {} },
        /no \.dockerconfigjson key/,
      ],
      [
        {
          metadata: { name: 'pull', namespace: 'shop' },
          type: 'kubernetes.io/dockerconfigjson',
          data: { '.dockerconfigjson': b64('{"auths": {"x": {"auth": "c2VjcmV0') },
        },
        /not base64-encoded JSON/,
      ],
      [
        dockerConfigJson({ 'r.io': { auth: b64('no-colon-secretvalue') } }),
        /"auth" for r\.io is not base64 of "username:password"/,
      ],
      [dockerConfigJson({ 'r.io': { auth: '!!secretvalue!!' } }), /"auth" for r\.io is not base64/],
      [dockerConfigJson({ 'r.io': 'secretvalue' }), /entry for r\.io is not a JSON object/],
      [dockerConfigJson(['secretvalue']), /"auths" is not a JSON object/],
    ];
    for (const [secret, pattern] of cases) {
      assert.throws(
        () => parseDockerConfigSecret(secret),
        (error: unknown) => {
          assert.ok(error instanceof RegistryCredentialsError);
          assert.match(error.message, pattern);
          assert.match(error.message, /Secret shop\/pull/);
          assert.doesNotMatch(error.message, /secretvalue|c2VjcmV0/);
          return true;
        },
      );
    }
  });
});

describe('credentialsForImage', () => {
  const first = new Map([
    ['docker.io', { username: 'hub', password: '1' }],
    ['*.example.com', { username: 'wild', password: '2' }],
    ['*.ports.example:5000', { username: 'wildport', password: '3' }],
  ]);
  const second = new Map([
    ['eu.example.com', { username: 'exact', password: '4' }],
    ['127.0.0.1:5000', { username: 'local', password: '5' }],
    ['docker.io', { username: 'hub2', password: '6' }],
  ]);
  const table: Array<[string, string | undefined]> = [
    ['nginx', 'hub'],
    ['nginx:1.25', 'hub'],
    ['library/nginx', 'hub'],
    ['docker.io/library/nginx:1', 'hub'],
    ['index.docker.io/bitnami/redis', 'hub'],
    ['eu.example.com/app:1', 'exact'],
    ['us.example.com/app:1', 'wild'],
    ['a.b.example.com:8443/app', 'wild'],
    ['example.com/app', undefined],
    ['notexample.com/app', undefined],
    ['r.ports.example:5000/app', 'wildport'],
    ['r.ports.example:5001/app', undefined],
    ['127.0.0.1:5000/app@sha256:' + 'c'.repeat(64), 'local'],
    ['127.0.0.1:5001/app', undefined],
    ['ghcr.io/org/app', undefined],
    ['NOT A REF', undefined],
  ];
  for (const [image, user] of table) {
    test(`${image} → ${user ?? 'none'}`, () => {
      assert.equal(credentialsForImage(image, [first, second])?.username, user);
    });
  }
  test('normalizeRegistry', () => {
    assert.equal(normalizeRegistry('https://index.docker.io/v1/'), 'docker.io');
    assert.equal(normalizeRegistry('registry-1.docker.io'), 'docker.io');
    assert.equal(normalizeRegistry(' Quay.IO/path '), 'quay.io');
  });
});

describe('pullSecretNames', () => {
  const base = {
    podSpec: { imagePullSecrets: [{ name: 'pod-pull' }, { name: 'shared' }], serviceAccountName: 'app' },
    serviceAccount: { imagePullSecrets: [{ name: 'sa-pull' }, { name: 'shared' }] },
    namespace: 'shop',
    privateRegistryScanSecretsNames: { shop: 'extra1, extra2', 'vigil-system': 'global' },
    operatorNamespace: 'vigil-system',
  };
  test('with access to workload namespaces: pod, ServiceAccount, then the listed ones, deduplicated', () => {
    assert.deepEqual(pullSecretNames({ ...base, accessGlobalSecretsAndServiceAccount: true }), [
      { namespace: 'shop', name: 'pod-pull' },
      { namespace: 'shop', name: 'shared' },
      { namespace: 'shop', name: 'sa-pull' },
      { namespace: 'shop', name: 'extra1' },
      { namespace: 'shop', name: 'extra2' },
    ]);
  });
  test('without: only the operator namespace entry, read there', () => {
    assert.deepEqual(pullSecretNames({ ...base, accessGlobalSecretsAndServiceAccount: false }), [
      { namespace: 'vigil-system', name: 'global' },
    ]);
  });
  test('nothing configured → nothing to read; the ServiceAccount defaults to "default"', () => {
    assert.deepEqual(
      pullSecretNames({
        podSpec: {},
        namespace: 'a',
        accessGlobalSecretsAndServiceAccount: true,
        operatorNamespace: 'o',
      }),
      [],
    );
    assert.equal(serviceAccountOf({}), 'default');
    assert.equal(serviceAccountOf({ serviceAccountName: 'app' }), 'app');
  });
});
