import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fnv32a as fnv32aBytes, safeEncodeString } from '../workload/hash.js';
import type { ScanJobConfig } from './config.js';
import { shortHash } from './hash.js';

const fnv32a = (text: string) => fnv32aBytes(Buffer.from(text, 'utf8'));

import { buildScanJob, mirroredImage, ownerReferenceToJob, scanJobName, scanJobNamespace } from './job.js';
import type { Container, EnvVar, Job } from './types.js';

const config: ScanJobConfig = {
  operatorNamespace: 'vigil-system',
  serviceAccount: 'vigil-operator',
  scannerImage: 'ghcr.io/vigil/vigil:1.0.0',
  imagePullPolicy: 'IfNotPresent',
  mode: 'ClientServer',
  serverURL: 'http://trivy-service.vigil-system:4975',
  hasServerToken: true,
  hasCustomHeaders: false,
  serverInsecure: false,
  dbRepository: 'mirror.gcr.io/aquasec/trivy-db,ghcr.io/aquasecurity/trivy-db',
  dbRepositoryInsecure: false,
  insecureRegistries: [],
  nonSslRegistries: [],
  registryMirrors: {},
  timeoutMs: 300_000,
  resources: { requests: { cpu: '100m', memory: '100M' }, limits: { cpu: '500m', memory: '500M' } },
  compressLogs: true,
};

const owner = { kind: 'ReplicaSet', name: 'web-6d4cf56db6', namespace: 'shop', uid: 'uid-1' };
const targets = [
  { container: 'web', image: 'nginx:1.25' },
  { container: 'sidecar', image: 'registry.example.com:5000/tools/proxy@sha256:' + 'a'.repeat(64) },
];

const cm = (name: string, key: string): EnvVar => ({
  name,
  valueFrom: { configMapKeyRef: { name: 'trivy-operator-trivy-config', key, optional: true } },
});
const COMMON_ENV: EnvVar[] = [
  { name: 'HOME', value: '/tmp' },
  cm('TRIVY_SEVERITY', 'trivy.severity'),
  cm('TRIVY_IGNORE_UNFIXED', 'trivy.ignoreUnfixed'),
  cm('TRIVY_OFFLINE_SCAN', 'trivy.offlineScan'),
  cm('TRIVY_TIMEOUT', 'trivy.timeout'),
  cm('TRIVY_SKIP_FILES', 'trivy.skipFiles'),
  cm('TRIVY_SKIP_DIRS', 'trivy.skipDirs'),
  cm('HTTP_PROXY', 'trivy.httpProxy'),
  cm('HTTPS_PROXY', 'trivy.httpsProxy'),
  cm('NO_PROXY', 'trivy.noProxy'),
];
const RESTRICTED_CONTAINER = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  privileged: false,
  readOnlyRootFilesystem: true,
};
const JOB_NAME = `scan-vulnerabilityreport-${safeEncodeString(String(fnv32a('ReplicaSet/shop/web-6d4cf56db6')))}`;
const LABELS = {
  'app.kubernetes.io/managed-by': 'trivy-operator',
  'vulnerabilityReport.scanner': 'Trivy',
  'trivy-operator.resource.kind': 'ReplicaSet',
  'trivy-operator.resource.name': 'web-6d4cf56db6',
  'trivy-operator.resource.namespace': 'shop',
  'resource-spec-hash': 'spec-hash-1',
};
const CONTAINER_IMAGES = JSON.stringify({
  web: 'nginx:1.25',
  sidecar: `registry.example.com:5000/tools/proxy@sha256:${'a'.repeat(64)}`,
});

function expectedJob(spec: { initContainers?: Container[]; containers: Container[] }): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: JOB_NAME,
      namespace: 'vigil-system',
      labels: LABELS,
      annotations: { 'trivy-operator.container-images': CONTAINER_IMAGES },
    },
    spec: {
      backoffLimit: 0,
      completions: 1,
      activeDeadlineSeconds: 300,
      template: {
        metadata: { labels: LABELS },
        spec: {
          restartPolicy: 'Never',
          serviceAccountName: 'vigil-operator',
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 65534,
            runAsGroup: 65534,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  { matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }] },
                ],
              },
            },
          },
          ...(spec.initContainers ? { initContainers: spec.initContainers } : {}),
          containers: spec.containers,
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
    },
  };
}

function scanContainer(name: string, ref: string, modeArgs: string[], extraEnv: EnvVar[]): Container {
  return {
    name,
    image: 'ghcr.io/vigil/vigil:1.0.0',
    imagePullPolicy: 'IfNotPresent',
    command: ['vigil'],
    args: [
      'scan',
      'image',
      ref,
      '--format',
      'json',
      '--output-encoding',
      'gzip+base64',
      '--cache-dir',
      '/tmp/vigil/cache',
      ...modeArgs,
      '--quiet',
    ],
    env: [...COMMON_ENV, ...extraEnv],
    resources: { requests: { cpu: '100m', memory: '100M' }, limits: { cpu: '500m', memory: '500M' } },
    securityContext: RESTRICTED_CONTAINER,
    terminationMessagePolicy: 'FallbackToLogsOnError',
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
  };
}

const SERVER_ENV: EnvVar[] = [
  cm('TRIVY_TOKEN_HEADER', 'trivy.serverTokenHeader'),
  {
    name: 'TRIVY_TOKEN',
    valueFrom: {
      secretKeyRef: { name: 'trivy-operator-trivy-config', key: 'trivy.serverToken', optional: true },
    },
  },
];
const credEnv = (container: string): EnvVar[] => [
  {
    name: 'TRIVY_USERNAME',
    valueFrom: { secretKeyRef: { name: `${JOB_NAME}-regcred`, key: `${container}.username` } },
  },
  {
    name: 'TRIVY_PASSWORD',
    valueFrom: { secretKeyRef: { name: `${JOB_NAME}-regcred`, key: `${container}.password` } },
  },
];
const SIDECAR_REF = `registry.example.com:5000/tools/proxy@sha256:${'a'.repeat(64)}`;

describe('buildScanJob', () => {
  test('names: FNV-32a of kind/namespace/name, safe-encoded; stable and distinct', () => {
    assert.equal(fnv32a(''), 0x811c9dc5);
    assert.equal(fnv32a('a'), 0xe40c292c);
    assert.equal(safeEncodeString('0123456789'), '456789bcdf');
    assert.equal(scanJobName(owner), JOB_NAME);
    assert.match(JOB_NAME, /^scan-vulnerabilityreport-[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    assert.notEqual(scanJobName({ ...owner, namespace: 'other' }), JOB_NAME);
    assert.notEqual(scanJobName({ ...owner, kind: 'StatefulSet' }), JOB_NAME);
    assert.equal(shortHash('x'), shortHash('x'));
  });

  test('ClientServer without credentials: the whole Job', () => {
    const { job, secret } = buildScanJob({ owner, specHash: 'spec-hash-1', targets, config });
    assert.equal(secret, undefined);
    const server = ['--server', 'http://trivy-service.vigil-system:4975'];
    assert.deepEqual(
      job,
      expectedJob({
        containers: [
          scanContainer('web', 'nginx:1.25', server, SERVER_ENV),
          scanContainer('sidecar', SIDECAR_REF, server, SERVER_ENV),
        ],
      }),
    );
  });

  test('ClientServer with credentials for one container: the Secret and its refs', () => {
    const { job, secret } = buildScanJob({
      owner,
      specHash: 'spec-hash-1',
      targets,
      config: { ...config, secretTTLMs: 3_600_000 },
      credentials: new Map([['sidecar', { username: 'robot', password: 's3cr:et' }]]),
    });
    const server = ['--server', 'http://trivy-service.vigil-system:4975'];
    assert.deepEqual(
      job,
      expectedJob({
        containers: [
          scanContainer('web', 'nginx:1.25', server, SERVER_ENV),
          scanContainer('sidecar', SIDECAR_REF, server, [...SERVER_ENV, ...credEnv('sidecar')]),
        ],
      }),
    );
    assert.deepEqual(secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: {
        name: `${JOB_NAME}-regcred`,
        namespace: 'vigil-system',
        labels: { 'app.kubernetes.io/managed-by': 'trivy-operator' },
        annotations: { 'trivy-operator.aquasecurity.github.io/secret-ttl': '1h0m0s' },
      },
      data: {
        'sidecar.username': Buffer.from('robot').toString('base64'),
        'sidecar.password': Buffer.from('s3cr:et').toString('base64'),
      },
    });
  });

  test('Standalone with credentials: a DB download init container, scans with --skip-db-update on the same emptyDir', () => {
    const standalone: ScanJobConfig = { ...config, mode: 'Standalone', dbRepositoryInsecure: true };
    const { job, secret } = buildScanJob({
      owner,
      specHash: 'spec-hash-1',
      targets,
      config: standalone,
      credentials: new Map([
        ['web', { username: 'u1', password: 'p1' }],
        ['sidecar', { username: 'u2', password: 'p2' }],
      ]),
    });
    const skip = ['--skip-db-update'];
    assert.deepEqual(
      job,
      expectedJob({
        initContainers: [
          {
            name: 'vigil-db-download',
            image: 'ghcr.io/vigil/vigil:1.0.0',
            imagePullPolicy: 'IfNotPresent',
            command: ['vigil'],
            args: [
              'db',
              'download',
              '--cache-dir',
              '/tmp/vigil/cache',
              '--db-repository',
              'mirror.gcr.io/aquasec/trivy-db',
              '--db-repository',
              'ghcr.io/aquasecurity/trivy-db',
              '--insecure',
              '--quiet',
            ],
            env: [
              { name: 'HOME', value: '/tmp' },
              cm('HTTP_PROXY', 'trivy.httpProxy'),
              cm('HTTPS_PROXY', 'trivy.httpsProxy'),
              cm('NO_PROXY', 'trivy.noProxy'),
            ],
            resources: { requests: { cpu: '100m', memory: '100M' }, limits: { cpu: '500m', memory: '500M' } },
            securityContext: RESTRICTED_CONTAINER,
            terminationMessagePolicy: 'FallbackToLogsOnError',
            volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
          },
        ],
        containers: [
          scanContainer('web', 'nginx:1.25', skip, credEnv('web')),
          scanContainer('sidecar', SIDECAR_REF, skip, credEnv('sidecar')),
        ],
      }),
    );
    assert.deepEqual(Object.keys(secret?.data ?? {}).sort(), [
      'sidecar.password',
      'sidecar.username',
      'web.password',
      'web.username',
    ]);
    assert.equal(secret?.metadata.annotations, undefined, 'no TTL configured, no annotation');
    assert.equal(secret?.metadata.labels?.['trivy-operator.aquasecurity.github.io/secret-ttl'], undefined);
  });

  test('Standalone without credentials: no Secret, no TRIVY_USERNAME; init container named apart from a clashing container', () => {
    const { job, secret } = buildScanJob({
      owner,
      specHash: 'h',
      targets: [{ container: 'vigil-db-download', image: 'alpine:3' }],
      config: { ...config, mode: 'Standalone', compressLogs: false },
    });
    assert.equal(secret, undefined);
    const spec = job.spec.template.spec;
    assert.deepEqual(
      spec.initContainers?.map((c) => c.name),
      ['vigil-db-download-2'],
    );
    const main = spec.containers[0];
    assert.ok(!main?.env?.some((e) => e.name.startsWith('TRIVY_USERNAME')));
    assert.ok(!main?.env?.some((e) => e.name === 'TRIVY_TOKEN_HEADER'), 'no server env in Standalone');
    assert.deepEqual(
      main?.args?.slice(5, 7),
      ['--output-encoding', 'none'],
      'compressLogs false: plain JSON',
    );
  });

  test('config knobs: deadline, TTL, scheduling, annotations, pod labels, security overrides merged, pull secrets', () => {
    const { job } = buildScanJob({
      owner: { ...owner, annotations: { 'trivy-operator.aquasecurity.github.io/skip-files': '/a,/b' } },
      specHash: 'h',
      targets: [targets[0]!],
      config: {
        ...config,
        timeoutMs: 90_500,
        jobTTLMs: 60_000,
        tolerations: [{ key: 'scan', operator: 'Exists', effect: 'NoSchedule' }],
        nodeSelector: { pool: 'scan' },
        affinity: { podAntiAffinity: {} },
        priorityClassName: 'low',
        annotations: { team: 'sec' },
        podTemplateLabels: { 'sidecar.istio.io/inject': 'false' },
        automountServiceAccountToken: true,
        podSecurityContext: { runAsUser: 10001, fsGroup: 10001 },
        containerSecurityContext: { seccompProfile: { type: 'RuntimeDefault' } },
        scannerImagePullSecrets: ['ghcr-pull'],
        serverTokenHeader: 'X-Scan-Token',
        hasServerToken: false,
        hasCustomHeaders: true,
      },
    });
    assert.equal(job.spec.activeDeadlineSeconds, 91);
    assert.equal(job.spec.ttlSecondsAfterFinished, 60);
    assert.deepEqual(job.metadata.annotations, {
      team: 'sec',
      'trivy-operator.container-images': JSON.stringify({ web: 'nginx:1.25' }),
    });
    assert.deepEqual(job.spec.template.metadata?.annotations, { team: 'sec' });
    assert.equal(job.spec.template.metadata?.labels?.['sidecar.istio.io/inject'], 'false');
    assert.equal(job.spec.template.metadata?.labels?.['resource-spec-hash'], 'h');
    const spec = job.spec.template.spec;
    assert.deepEqual(spec.tolerations, [{ key: 'scan', operator: 'Exists', effect: 'NoSchedule' }]);
    assert.deepEqual(spec.nodeSelector, { pool: 'scan' });
    assert.deepEqual(spec.affinity, { podAntiAffinity: {} });
    assert.equal(spec.priorityClassName, 'low');
    assert.equal(spec.automountServiceAccountToken, true);
    assert.deepEqual(spec.imagePullSecrets, [{ name: 'ghcr-pull' }]);
    assert.deepEqual(spec.securityContext, {
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 65534,
      fsGroup: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const c = spec.containers[0]!;
    assert.deepEqual(c.securityContext, {
      ...RESTRICTED_CONTAINER,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const env = new Map(c.env?.map((e) => [e.name, e]));
    assert.deepEqual(
      env.get('TRIVY_SKIP_FILES'),
      { name: 'TRIVY_SKIP_FILES', value: '/a,/b' },
      'workload annotation wins',
    );
    assert.deepEqual(env.get('TRIVY_SKIP_DIRS'), cm('TRIVY_SKIP_DIRS', 'trivy.skipDirs'));
    assert.deepEqual(env.get('TRIVY_TOKEN_HEADER'), { name: 'TRIVY_TOKEN_HEADER', value: 'X-Scan-Token' });
    assert.equal(env.get('TRIVY_TOKEN'), undefined);
    assert.deepEqual(env.get('TRIVY_CUSTOM_HEADERS'), {
      name: 'TRIVY_CUSTOM_HEADERS',
      valueFrom: {
        secretKeyRef: {
          name: 'trivy-operator-trivy-config',
          key: 'trivy.serverCustomHeaders',
          optional: true,
        },
      },
    });
  });

  test('no deadline and no TTL when 0; resources absent when not configured', () => {
    const { resources: _r, ...rest } = config;
    const { job } = buildScanJob({
      owner,
      specHash: 'h',
      targets,
      config: { ...rest, timeoutMs: 0, jobTTLMs: 0 },
    });
    assert.equal(job.spec.activeDeadlineSeconds, undefined);
    assert.equal(job.spec.ttlSecondsAfterFinished, undefined);
    assert.equal(job.spec.template.spec.containers[0]?.resources, undefined);
  });

  test('trivy.dbRepositoryUsername/Password: the Standalone DB download logs in with them from the Secret', () => {
    const login = buildScanJob({
      owner,
      specHash: 'h',
      targets,
      config: { ...config, mode: 'Standalone', hasDbRepositoryCredentials: true },
    }).job.spec.template.spec;
    const secretRef = (name: string, key: string): EnvVar => ({
      name,
      valueFrom: { secretKeyRef: { name: 'trivy-operator-trivy-config', key, optional: true } },
    });
    assert.deepEqual(
      login.initContainers?.[0]?.env?.filter((e) => e.name.startsWith('TRIVY_')),
      [
        secretRef('TRIVY_USERNAME', 'trivy.dbRepositoryUsername'),
        secretRef('TRIVY_PASSWORD', 'trivy.dbRepositoryPassword'),
      ],
    );
    assert.ok(
      login.containers.every((c) => !c.env?.some((e) => e.name === 'TRIVY_PASSWORD')),
      'the scan containers do not get the DB login (they read the downloaded DB)',
    );
    const anonymous = buildScanJob({
      owner,
      specHash: 'h',
      targets,
      config: { ...config, mode: 'Standalone' },
    }).job.spec.template.spec;
    assert.ok(!anonymous.initContainers?.[0]?.env?.some((e) => e.name === 'TRIVY_USERNAME'));
  });

  test('trivy.ignoreFile: mounted read-only from the ConfigMap into every scan container, TRIVY_IGNOREFILE names it', () => {
    const standalone: ScanJobConfig = { ...config, mode: 'Standalone', ignoreFileName: '.trivyignore.yaml' };
    const { job } = buildScanJob({ owner, specHash: 'h', targets, config: standalone });
    const spec = job.spec.template.spec;
    assert.deepEqual(
      spec.volumes?.find((v) => v.name === 'ignorefile'),
      {
        name: 'ignorefile',
        configMap: {
          name: 'trivy-operator-trivy-config',
          items: [{ key: 'trivy.ignoreFile', path: '.trivyignore.yaml' }],
        },
      },
    );
    assert.equal(spec.containers.length, targets.length);
    for (const container of spec.containers) {
      assert.deepEqual(
        container.volumeMounts?.find((m) => m.name === 'ignorefile'),
        {
          name: 'ignorefile',
          mountPath: '/etc/trivy/.trivyignore.yaml',
          subPath: '.trivyignore.yaml',
          readOnly: true,
        },
      );
      assert.deepEqual(
        container.env?.filter((e) => e.name === 'TRIVY_IGNOREFILE'),
        [{ name: 'TRIVY_IGNOREFILE', value: '/etc/trivy/.trivyignore.yaml' }],
      );
    }
    const init = spec.initContainers?.[0];
    assert.ok(init, 'Standalone has the DB download');
    assert.equal(
      init.volumeMounts?.some((m) => m.name === 'ignorefile'),
      false,
      'the DB download does not need it',
    );

    const without = buildScanJob({ owner, specHash: 'h', targets, config }).job.spec.template.spec;
    assert.deepEqual(
      without.volumes?.map((v) => v.name),
      ['tmp'],
    );
    assert.ok(without.containers.every((c) => !c.env?.some((e) => e.name === 'TRIVY_IGNOREFILE')));
  });

  test('insecure and plain-HTTP registries set TRIVY_INSECURE (what vigil honours), TRIVY_NON_SSL too for the latter', () => {
    const envOf = (image: string, extra: Partial<ScanJobConfig>) => {
      const { job } = buildScanJob({
        owner,
        specHash: 'h',
        targets: [{ container: 'c', image }],
        config: { ...config, ...extra },
      });
      return (job.spec.template.spec.containers[0]?.env ?? [])
        .filter((e) => e.value === 'true')
        .map((e) => e.name);
    };
    assert.deepEqual(envOf('reg.local:5000/app:1', { insecureRegistries: ['reg.local:5000'] }), [
      'TRIVY_INSECURE',
    ]);
    assert.deepEqual(envOf('reg.local:5000/app:1', { nonSslRegistries: ['http://reg.local:5000/'] }), [
      'TRIVY_INSECURE',
      'TRIVY_NON_SSL',
    ]);
    assert.deepEqual(envOf('reg.local:5001/app:1', { insecureRegistries: ['reg.local:5000'] }), []);
    assert.deepEqual(envOf('nginx', { insecureRegistries: ['index.docker.io'] }), ['TRIVY_INSECURE']);
    assert.deepEqual(envOf('nginx', { serverInsecure: true }), ['TRIVY_INSECURE'], 'serverInsecure, once');
    assert.deepEqual(envOf('nginx', { serverInsecure: true, insecureRegistries: ['docker.io'] }), [
      'TRIVY_INSECURE',
    ]);
  });

  test('registry mirrors rewrite the scanned reference (longest prefix, Docker Hub as index.docker.io), not the annotation', () => {
    const mirrors = {
      'index.docker.io': 'mirror.local/hub',
      'index.docker.io/library': 'mirror.local/official',
      'quay.io': 'q.local',
    };
    assert.equal(mirroredImage('nginx:1.25', mirrors), 'mirror.local/official/nginx:1.25');
    assert.equal(mirroredImage('bitnami/redis:7', mirrors), 'mirror.local/hub/bitnami/redis:7');
    assert.equal(
      mirroredImage('docker.io/bitnami/redis:7', { 'docker.io': 'm.local' }),
      'm.local/bitnami/redis:7',
    );
    assert.equal(
      mirroredImage('quay.io/org/app@sha256:' + 'b'.repeat(64), mirrors),
      `q.local/org/app@sha256:${'b'.repeat(64)}`,
    );
    assert.equal(
      mirroredImage('quay.io.evil.com/app:1', mirrors),
      'quay.io.evil.com/app:1',
      'prefix ends at a boundary',
    );
    assert.equal(mirroredImage('ghcr.io/a/b:1', mirrors), 'ghcr.io/a/b:1');
    const { job } = buildScanJob({
      owner,
      specHash: 'h',
      targets: [targets[0]!],
      config: { ...config, registryMirrors: mirrors },
    });
    assert.equal(job.spec.template.spec.containers[0]?.args?.[2], 'mirror.local/official/nginx:1.25');
    assert.equal(
      job.metadata.annotations?.['trivy-operator.container-images'],
      JSON.stringify({ web: 'nginx:1.25' }),
    );
  });

  test('a name that is no label value goes into name-hash plus an annotation', () => {
    const long = `cronjob-${'x'.repeat(70)}`;
    const { job } = buildScanJob({
      owner: { ...owner, kind: 'CronJob', name: long },
      specHash: 'h',
      targets,
      config,
    });
    assert.equal(job.metadata.labels?.['trivy-operator.resource.name'], undefined);
    assert.equal(
      job.metadata.labels?.['trivy-operator.resource.name-hash'],
      safeEncodeString(String(fnv32a(JSON.stringify(long)))),
      'computeHash of the name as JSON, as the report labels have it',
    );
    assert.equal(job.metadata.annotations?.['trivy-operator.resource.name'], long);
  });

  test('the workload arch node selector picks the platform', () => {
    const { job } = buildScanJob({
      owner,
      specHash: 'h',
      targets: [targets[0]!],
      config,
      workloadPodSpec: { containers: [], nodeSelector: { 'kubernetes.io/arch': 'arm64' } },
    });
    const args = job.spec.template.spec.containers[0]?.args ?? [];
    assert.deepEqual(args.slice(args.indexOf('--platform'), args.indexOf('--platform') + 2), [
      '--platform',
      'linux/arm64',
    ]);
  });

  describe('scanJobsInSameNamespace', () => {
    const workloadPodSpec = {
      serviceAccountName: 'shop-sa',
      imagePullSecrets: [{ name: 'shop-pull' }, { name: '' }, {}],
      containers: [],
    };
    const credentials = new Map([['web', { username: 'robot', password: 'pw' }]]);
    const withPullSecrets = { ...config, scannerImagePullSecrets: ['vigil-pull'] };

    test('off (default): Job and Secret in the operator namespace, operator SA and scanner pull secrets', () => {
      for (const sameNamespace of [undefined, false]) {
        const { job, secret } = buildScanJob({
          owner,
          specHash: 'h',
          targets,
          config: {
            ...withPullSecrets,
            ...(sameNamespace === false ? { scanJobsInSameNamespace: false } : {}),
          },
          credentials,
          workloadPodSpec,
        });
        assert.equal(job.metadata.namespace, 'vigil-system');
        assert.equal(secret?.metadata.namespace, 'vigil-system');
        assert.equal(job.spec.template.spec.serviceAccountName, 'vigil-operator');
        assert.deepEqual(job.spec.template.spec.imagePullSecrets, [{ name: 'vigil-pull' }]);
      }
      assert.equal(scanJobNamespace(owner, config), 'vigil-system');
    });

    test("on: Job and Secret in the workload's namespace, the workload's SA and imagePullSecrets, the rest unchanged", () => {
      const on = { ...withPullSecrets, scanJobsInSameNamespace: true };
      const { job, secret } = buildScanJob({
        owner,
        specHash: 'h',
        targets,
        config: on,
        credentials,
        workloadPodSpec,
      });
      const { job: off, secret: offSecret } = buildScanJob({
        owner,
        specHash: 'h',
        targets,
        config: withPullSecrets,
        credentials,
        workloadPodSpec,
      });
      assert.equal(scanJobNamespace(owner, on), 'shop');
      assert.equal(job.metadata.namespace, 'shop');
      assert.equal(job.metadata.name, JOB_NAME, 'same name in either mode');
      assert.equal(secret?.metadata.namespace, 'shop');
      assert.equal(secret?.metadata.name, `${JOB_NAME}-regcred`);
      const spec = job.spec.template.spec;
      assert.equal(spec.serviceAccountName, 'shop-sa');
      assert.deepEqual(
        spec.imagePullSecrets,
        [{ name: 'shop-pull' }],
        'empty names dropped, no scanner secret',
      );
      // Everything else is the default Job's: restricted PSS, containers (credential refs included), labels.
      const strip = (j: Job) => {
        const copy = structuredClone(j);
        delete copy.metadata.namespace;
        delete copy.spec.template.spec.serviceAccountName;
        delete copy.spec.template.spec.imagePullSecrets;
        return copy;
      };
      assert.deepEqual(strip(job), strip(off));
      assert.equal(spec.automountServiceAccountToken, false);
      assert.equal(spec.securityContext?.runAsNonRoot, true);
      assert.deepEqual(
        { ...secret, metadata: { ...secret?.metadata, namespace: 'x' } },
        {
          ...offSecret,
          metadata: { ...offSecret?.metadata, namespace: 'x' },
        },
      );
    });

    test('on, a workload with neither a ServiceAccount nor pull secrets: "default" and no imagePullSecrets', () => {
      const { job } = buildScanJob({
        owner,
        specHash: 'h',
        targets,
        config: { ...withPullSecrets, scanJobsInSameNamespace: true },
        workloadPodSpec: { containers: [] },
      });
      assert.equal(job.metadata.namespace, 'shop');
      assert.equal(job.spec.template.spec.serviceAccountName, 'default');
      assert.equal(job.spec.template.spec.imagePullSecrets, undefined);
      const { job: noSpec } = buildScanJob({
        owner,
        specHash: 'h',
        targets,
        config: { ...config, scanJobsInSameNamespace: true },
      });
      assert.equal(noSpec.spec.template.spec.serviceAccountName, 'default');
    });

    const snapshot = {
      env: {
        TRIVY_SEVERITY: 'HIGH,CRITICAL',
        TRIVY_IGNORE_UNFIXED: 'true',
        TRIVY_OFFLINE_SCAN: 'false',
        TRIVY_TIMEOUT: '10m0s',
        TRIVY_SKIP_DIRS: '/usr/share/doc',
        HTTPS_PROXY: 'http://proxy:3128',
        TRIVY_TOKEN_HEADER: 'X-Token',
      },
      serverToken: { reveal: () => 't0ken' },
      serverCustomHeaders: { reveal: () => 'X-A:1' },
    };

    test("on, with the operator's trivy config snapshot: literals instead of ConfigMap refs, token and headers in the Job's Secret", () => {
      const { job, secret } = buildScanJob({
        owner: { ...owner, annotations: { 'trivy-operator.aquasecurity.github.io/skip-files': '/x' } },
        specHash: 'h',
        targets: [targets[0]!],
        config: {
          ...config,
          hasCustomHeaders: true,
          scanJobsInSameNamespace: true,
          trivyConfigSnapshot: snapshot,
        },
        workloadPodSpec,
      });
      const secretRef = (name: string, key: string): EnvVar => ({
        name,
        valueFrom: { secretKeyRef: { name: `${JOB_NAME}-regcred`, key } },
      });
      assert.deepEqual(job.spec.template.spec.containers[0]?.env, [
        { name: 'HOME', value: '/tmp' },
        { name: 'TRIVY_SEVERITY', value: 'HIGH,CRITICAL' },
        { name: 'TRIVY_IGNORE_UNFIXED', value: 'true' },
        { name: 'TRIVY_OFFLINE_SCAN', value: 'false' },
        { name: 'TRIVY_TIMEOUT', value: '10m0s' },
        { name: 'TRIVY_SKIP_FILES', value: '/x' },
        { name: 'TRIVY_SKIP_DIRS', value: '/usr/share/doc' },
        { name: 'HTTPS_PROXY', value: 'http://proxy:3128' },
        { name: 'TRIVY_TOKEN_HEADER', value: 'X-Token' },
        secretRef('TRIVY_TOKEN', 'trivy.serverToken'),
        secretRef('TRIVY_CUSTOM_HEADERS', 'trivy.serverCustomHeaders'),
      ]);
      assert.ok(
        !JSON.stringify(job).includes('trivy-operator-trivy-config'),
        'nothing refers to the operator namespace ConfigMap/Secret',
      );
      assert.equal(secret?.metadata.namespace, 'shop');
      assert.deepEqual(secret?.data, {
        'trivy.serverToken': Buffer.from('t0ken').toString('base64'),
        'trivy.serverCustomHeaders': Buffer.from('X-A:1').toString('base64'),
      });
      assert.ok(!JSON.stringify(job).includes('t0ken'), 'the token is not in the Job');
    });

    test('the snapshot: no token configured → no Secret; Standalone init container gets the proxies; off → ignored', () => {
      const noToken = { env: snapshot.env };
      const { job, secret } = buildScanJob({
        owner,
        specHash: 'h',
        targets,
        config: {
          ...config,
          mode: 'Standalone',
          scanJobsInSameNamespace: true,
          trivyConfigSnapshot: snapshot,
        },
      });
      assert.equal(secret, undefined, 'Standalone: no server token needed');
      assert.deepEqual(job.spec.template.spec.initContainers?.[0]?.env, [
        { name: 'HOME', value: '/tmp' },
        { name: 'HTTPS_PROXY', value: 'http://proxy:3128' },
      ]);
      const cs = buildScanJob({
        owner,
        specHash: 'h',
        targets,
        config: {
          ...config,
          hasServerToken: false,
          scanJobsInSameNamespace: true,
          trivyConfigSnapshot: noToken,
        },
      });
      assert.equal(cs.secret, undefined);
      assert.ok(!cs.job.spec.template.spec.containers[0]?.env?.some((e) => e.name === 'TRIVY_TOKEN'));
      // Off: the snapshot is not used; the default refs (what every other test checks) stay.
      const off = buildScanJob({
        owner,
        specHash: 'h',
        targets,
        config: { ...config, trivyConfigSnapshot: snapshot },
      });
      const plain = buildScanJob({ owner, specHash: 'h', targets, config });
      assert.deepEqual(off, plain);
    });

    test("on, with trivy.ignoreFile: the file travels in the Job's Secret and is mounted from it", () => {
      const { job, secret } = buildScanJob({
        owner,
        specHash: 'h',
        targets,
        config: {
          ...config,
          mode: 'Standalone',
          scanJobsInSameNamespace: true,
          ignoreFileName: '.trivyignore',
          trivyConfigSnapshot: { ...snapshot, ignoreFile: 'CVE-2023-45853\n' },
        },
        workloadPodSpec,
      });
      assert.deepEqual(secret?.data, {
        'trivy.ignoreFile': Buffer.from('CVE-2023-45853\n').toString('base64'),
      });
      assert.equal(secret?.metadata.namespace, 'shop');
      assert.deepEqual(
        job.spec.template.spec.volumes?.find((v) => v.name === 'ignorefile'),
        {
          name: 'ignorefile',
          secret: {
            secretName: `${JOB_NAME}-regcred`,
            items: [{ key: 'trivy.ignoreFile', path: '.trivyignore' }],
          },
        },
      );
      for (const container of job.spec.template.spec.containers)
        assert.ok(
          container.env?.some((e) => e.name === 'TRIVY_IGNOREFILE' && e.value === '/etc/trivy/.trivyignore'),
        );
      assert.ok(!JSON.stringify(job).includes('trivy-operator-trivy-config'));
    });

    test("on, Standalone with a DB registry login: the credentials travel in the Job's Secret", () => {
      const { job, secret } = buildScanJob({
        owner,
        specHash: 'h',
        targets,
        config: {
          ...config,
          mode: 'Standalone',
          hasDbRepositoryCredentials: true,
          scanJobsInSameNamespace: true,
          trivyConfigSnapshot: {
            ...snapshot,
            dbRepositoryUsername: { reveal: () => 'db-user' },
            dbRepositoryPassword: { reveal: () => 'db-pass' },
          },
        },
        workloadPodSpec,
      });
      assert.deepEqual(secret?.data, {
        'trivy.dbRepositoryUsername': Buffer.from('db-user').toString('base64'),
        'trivy.dbRepositoryPassword': Buffer.from('db-pass').toString('base64'),
      });
      assert.deepEqual(
        job.spec.template.spec.initContainers?.[0]?.env?.filter((e) => e.name.startsWith('TRIVY_')),
        ['TRIVY_USERNAME', 'TRIVY_PASSWORD'].map((name, i) => ({
          name,
          valueFrom: {
            secretKeyRef: {
              name: `${JOB_NAME}-regcred`,
              key: i === 0 ? 'trivy.dbRepositoryUsername' : 'trivy.dbRepositoryPassword',
            },
          },
        })),
      );
      assert.ok(!JSON.stringify(job).includes('db-pass'));
    });

    test('on, a workload in the operator namespace still runs as the workload', () => {
      const { job } = buildScanJob({
        owner: { ...owner, namespace: 'vigil-system' },
        specHash: 'h',
        targets,
        config: { ...config, scanJobsInSameNamespace: true },
        workloadPodSpec,
      });
      assert.equal(job.metadata.namespace, 'vigil-system');
      assert.equal(job.spec.template.spec.serviceAccountName, 'shop-sa');
    });
  });

  test('errors: no targets; ClientServer without a server URL', () => {
    assert.throws(() => buildScanJob({ owner, specHash: 'h', targets: [], config }), /no containers to scan/);
    const { serverURL: _s, ...noServer } = config;
    assert.throws(
      () => buildScanJob({ owner, specHash: 'h', targets, config: noServer }),
      /trivy\.serverURL/,
    );
  });

  test('ownerReferenceToJob needs the created Job', () => {
    const { job } = buildScanJob({ owner, specHash: 'h', targets, config });
    assert.throws(() => ownerReferenceToJob(job), /no uid yet/);
    assert.deepEqual(ownerReferenceToJob({ metadata: { ...job.metadata, uid: 'job-uid' } }), {
      apiVersion: 'batch/v1',
      kind: 'Job',
      name: JOB_NAME,
      uid: 'job-uid',
      controller: true,
      blockOwnerDeletion: false,
    });
  });
});
