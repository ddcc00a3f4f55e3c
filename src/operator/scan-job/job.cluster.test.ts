/**
 * A built scan Job on the real local cluster (test/env: control plane + process node whose `…/vigil` images run
 * the built CLI), Standalone mode: the DB and the images come from Debian's docker-registry on loopback, one of
 * them behind basic auth. The Job runs in a namespace that enforces the restricted Pod Security profile; the
 * reports are read back through pods/log and decoded. A second Job scans a missing image and must fail with a
 * reason taken from the termination message.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type LocalCluster, startLocalCluster } from '../../../test/env/cluster.js';
import { debianBase, type PushedImage, pushImage } from '../../../test/env/image-builder.js';
import { waitFor } from '../../../test/env/net.js';
import type { LocalRegistry } from '../../../test/env/registry.js';
import { htpasswdFile, scratchDir, startTestRegistry } from '../../image/testkit.js';
import { KubeApiError, type KubeClient } from '../../k8s/index.js';
import { pushScanDb, runVigil } from '../../scan/testkit.js';
import { startTestServer, type TestServer } from '../../server/testkit.js';
import type { ScanJobConfig } from './config.js';
import { credentialsForImage, parseDockerConfigSecret, type RegistryCredential } from './credentials.js';
import { decodeScanOutput } from './decode.js';
import { buildScanJob, ownerReferenceToJob } from './job.js';
import { containerOutcomes, failureReason, jobOutcome } from './outcome.js';
import type { Job, Pod, Secret } from './types.js';

const NS = 'vigil-system';
const WORKLOAD_NS = 'shop';

describe('scan Job on the local cluster (Standalone, restricted Pod Security)', () => {
  const scratch = scratchDir('scan-job-cluster');
  // Scan pods mount their emptyDir at /tmp, which hides the host's /tmp inside the pod's mount namespace; the
  // process node's files (the vigil shim among them) must therefore live elsewhere.
  const clusterParent = mkdtempSync('/var/tmp/vigil-scan-job-');
  let cluster: LocalCluster;
  let client: KubeClient;
  let registry: LocalRegistry;
  let locked: LocalRegistry;
  let dbRepository: string;
  let lockedDbRepository: string;
  let open: PushedImage;
  let privateImage: PushedImage;
  let config: ScanJobConfig;

  before(async () => {
    const work = join(scratch.dir, 'work');
    mkdirSync(work, { recursive: true });
    const base = await debianBase();
    registry = await startTestRegistry();
    locked = await startTestRegistry({ htpasswdFile: htpasswdFile(scratch.dir, 'scanner', 's3cret') });
    locked.useBasicAuth('scanner', 's3cret');
    dbRepository = await pushScanDb(registry, work);
    const lockedWork = join(scratch.dir, 'locked-db');
    mkdirSync(lockedWork, { recursive: true });
    lockedDbRepository = await pushScanDb(locked, lockedWork);
    open = await pushImage(registry, 'vigil/debian', 'bookworm', [base.layer]);
    privateImage = await pushImage(locked, 'private/debian', 'bookworm', [base.layer]);
    cluster = await startLocalCluster({ parentDir: clusterParent });
    client = cluster.controlPlane.client;
    for (const [name, labels] of [
      [
        NS,
        {
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
        },
      ],
      [WORKLOAD_NS, {}],
    ] as const) {
      await client.create('/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, labels },
      });
    }
    await client.create(`/api/v1/namespaces/${NS}/serviceaccounts`, {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'vigil-operator' },
    });
    // The scanner's settings come from Trivy Operator's ConfigMap through configMapKeyRef.
    await client.create(`/api/v1/namespaces/${NS}/configmaps`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'trivy-operator-trivy-config' },
      data: { 'trivy.severity': 'CRITICAL', 'trivy.timeout': '2m0s' },
    });
    config = {
      operatorNamespace: NS,
      serviceAccount: 'vigil-operator',
      scannerImage: 'ghcr.io/vigil/vigil:test',
      imagePullPolicy: 'IfNotPresent',
      mode: 'Standalone',
      hasServerToken: false,
      hasCustomHeaders: false,
      serverInsecure: false,
      dbRepository,
      dbRepositoryInsecure: false,
      insecureRegistries: [],
      nonSslRegistries: [],
      registryMirrors: {},
      timeoutMs: 300_000,
      resources: { requests: { cpu: '100m', memory: '100M' }, limits: { cpu: '1', memory: '1G' } },
      compressLogs: true,
    };
  });

  after(async () => {
    await cluster?.stop();
    await registry?.stop();
    await locked?.stop();
    scratch.cleanup();
    rmSync(clusterParent, { recursive: true, force: true });
  });

  /** Waits (bounded) until the Job has a terminal condition; returns it with its pod. */
  async function finished(name: string): Promise<{ job: Job; pod: Pod }> {
    let job: Job | undefined;
    await waitFor(
      `Job ${name} to finish`,
      async () => {
        job = await client.get<Job>(`/apis/batch/v1/namespaces/${NS}/jobs/${name}`);
        return jobOutcome(job) !== 'active';
      },
      {
        timeoutMs: 180_000,
        intervalMs: 500,
        describe: async () => JSON.stringify((await podOf(name))?.status ?? job?.status ?? {}, null, 1),
      },
    );
    const pod = await podOf(name);
    assert.ok(job && pod, `Job ${name} has a pod`);
    return { job, pod };
  }

  async function podOf(jobName: string): Promise<Pod | undefined> {
    const pods = await client.list<Pod>(`/api/v1/namespaces/${NS}/pods`, {
      query: { labelSelector: `batch.kubernetes.io/job-name=${jobName}` },
    });
    return pods.items[0];
  }

  test('PodSecurity admission enforces the restricted profile in the operator namespace', async () => {
    await assert.rejects(
      client.create(`/api/v1/namespaces/${NS}/pods`, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'not-restricted' },
        spec: { containers: [{ name: 'c', image: 'busybox', command: ['true'] }] },
      }),
      (error: unknown) => {
        assert.ok(error instanceof KubeApiError, String(error));
        assert.equal(error.status, 403);
        assert.match(error.message, /violates PodSecurity "restricted:latest"/);
        return true;
      },
    );
  });

  test('two containers (one image behind basic auth): regcred Secret, Job completes, both logs decode to reports', async () => {
    // The workload's pull Secret, read back from the API server as the operator would.
    await client.create(`/api/v1/namespaces/${WORKLOAD_NS}/secrets`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'private-pull' },
      type: 'kubernetes.io/dockerconfigjson',
      stringData: {
        '.dockerconfigjson': JSON.stringify({
          auths: {
            [`http://${locked.host}/v2/`]: { auth: Buffer.from('scanner:s3cret').toString('base64') },
          },
        }),
      },
    });
    const pullSecret = await client.get<Secret>(`/api/v1/namespaces/${WORKLOAD_NS}/secrets/private-pull`);
    const auths = [parseDockerConfigSecret(pullSecret)];
    const targets = [
      { container: 'web', image: open.reference },
      { container: 'private', image: privateImage.reference },
    ];
    const credentials = new Map<string, RegistryCredential>();
    for (const t of targets) {
      const credential = credentialsForImage(t.image, auths);
      if (credential) credentials.set(t.container, credential);
    }
    assert.deepEqual([...credentials.keys()], ['private']);

    const { job, secret } = buildScanJob({
      owner: { kind: 'ReplicaSet', name: 'web-6d4cf56db6', namespace: WORKLOAD_NS, uid: 'rs-uid' },
      specHash: 'spec-1',
      targets,
      config,
      credentials,
    });
    assert.ok(secret);
    await client.create(`/api/v1/namespaces/${NS}/secrets`, secret);
    const created = await client.create<Job>(`/apis/batch/v1/namespaces/${NS}/jobs`, job);
    await client.patch(
      `/api/v1/namespaces/${NS}/secrets/${secret.metadata.name}`,
      { metadata: { ownerReferences: [ownerReferenceToJob(created)] } },
      'application/merge-patch+json',
    );
    await assert.rejects(
      client.create(`/apis/batch/v1/namespaces/${NS}/jobs`, job),
      (error: unknown) => error instanceof KubeApiError && error.status === 409,
      'creating the same Job again is AlreadyExists',
    );

    const { job: done, pod } = await finished(job.metadata.name);
    assert.equal(jobOutcome(done), 'succeeded', failureReason(done, pod));
    const outcomes = containerOutcomes(pod);
    assert.deepEqual(
      [...outcomes].map(([name, o]) => [name, o.exitCode, o.init]),
      [
        ['vigil-db-download', 0, true],
        ['web', 0, false],
        ['private', 0, false],
      ],
    );
    for (const target of targets) {
      const log = await client.text(`/api/v1/namespaces/${NS}/pods/${pod.metadata.name}/log`, {
        query: { container: target.container },
      });
      assert.match(
        log.trim(),
        /^[A-Za-z0-9+/]+=*$/,
        `${target.container}: only the encoded report in the log`,
      );
      const report = decodeScanOutput(log);
      assert.equal(report.ArtifactName, target.image);
      const result = report.Results?.[0];
      assert.ok(
        result?.Packages && result.Packages.length > 50,
        `${target.container}: the packages are listed`,
      );
      // TRIVY_SEVERITY=CRITICAL from the ConfigMap: the one critical Debian advisory of the test DB remains.
      assert.deepEqual(
        (result.Vulnerabilities ?? []).map((v) => [v.VulnerabilityID, v.PkgName, v.Severity]),
        [['CVE-2023-45853', 'zlib1g', 'CRITICAL']],
      );
    }

    const stored = await client.get<Secret>(`/api/v1/namespaces/${NS}/secrets/${secret.metadata.name}`);
    assert.deepEqual(
      stored.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.uid]),
      [['Job', created.metadata.name, created.metadata.uid]],
    );
    // Deleting the Job takes the credentials with it (garbage collector, through the owner reference).
    await client.delete(`/apis/batch/v1/namespaces/${NS}/jobs/${job.metadata.name}`, {
      query: { propagationPolicy: 'Background' },
    });
    await waitFor(
      'the regcred Secret to be garbage-collected',
      async () =>
        (await client.find(`/api/v1/namespaces/${NS}/secrets/${secret.metadata.name}`)) === undefined,
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  });

  test('ClientServer: the scan container reaches vigil server with the token header and token from the ConfigMap and Secret', async () => {
    const serverCache = join(scratch.dir, 'server-cache');
    const download = await runVigil([
      'db',
      'download',
      '--cache-dir',
      serverCache,
      '--db-repository',
      dbRepository,
      '--quiet',
    ]);
    assert.equal(download.code, 0, download.stderr);
    let server: TestServer | undefined;
    try {
      server = await startTestServer({
        cacheDir: serverCache,
        token: 'tok-123',
        tokenHeader: 'X-Vigil-Token',
      });
      await client.patch(
        `/api/v1/namespaces/${NS}/configmaps/trivy-operator-trivy-config`,
        { data: { 'trivy.serverTokenHeader': 'X-Vigil-Token' } },
        'application/merge-patch+json',
      );
      await client.create(`/api/v1/namespaces/${NS}/secrets`, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'trivy-operator-trivy-config' },
        stringData: { 'trivy.serverToken': 'tok-123' },
      });
      const { job } = buildScanJob({
        owner: { kind: 'StatefulSet', name: 'db', namespace: WORKLOAD_NS, uid: 'sts-uid' },
        specHash: 'spec-3',
        targets: [{ container: 'db', image: open.reference }],
        config: { ...config, mode: 'ClientServer', serverURL: server.server.url, hasServerToken: true },
      });
      assert.equal(job.spec.template.spec.initContainers, undefined, 'no DB download in ClientServer');
      await client.create(`/apis/batch/v1/namespaces/${NS}/jobs`, job);
      const { job: done, pod } = await finished(job.metadata.name);
      assert.equal(jobOutcome(done), 'succeeded', failureReason(done, pod));
      const log = await client.text(`/api/v1/namespaces/${NS}/pods/${pod.metadata.name}/log`, {
        query: { container: 'db' },
      });
      const report = decodeScanOutput(log);
      assert.deepEqual(
        (report.Results?.[0]?.Vulnerabilities ?? []).map((v) => [v.VulnerabilityID, v.PkgName, v.Severity]),
        [['CVE-2023-45853', 'zlib1g', 'CRITICAL']],
      );
      const procedures = server.logger.lines
        .filter((l) => l.message === 'rpc')
        .map((l) => l.fields?.procedure);
      assert.ok(
        procedures.some((p) => /Scan$/.test(String(p))),
        `the server did the detection: ${procedures}`,
      );
      assert.ok(!server.logger.lines.some((l) => l.message === 'rpc refused'), 'the token was accepted');
    } finally {
      await server?.close();
    }
  });

  test('trivy.ignoreFile from the ConfigMap: the scan container reads it at /etc/trivy and leaves the CVE out', async () => {
    const cmPath = `/api/v1/namespaces/${NS}/configmaps/trivy-operator-trivy-config`;
    const ignoreFile = 'vulnerabilities:\n  - id: CVE-2023-45853\n    statement: minizip is not used\n';
    await client.patch(
      cmPath,
      { data: { 'trivy.severity': 'CRITICAL,LOW', 'trivy.ignoreFile': ignoreFile } },
      'application/merge-patch+json',
    );
    try {
      const { job } = buildScanJob({
        owner: { kind: 'DaemonSet', name: 'agent', namespace: WORKLOAD_NS, uid: 'ds-uid' },
        specHash: 'spec-ignore',
        targets: [{ container: 'agent', image: open.reference }],
        config: { ...config, ignoreFileName: '.trivyignore.yaml' },
      });
      await client.create(`/apis/batch/v1/namespaces/${NS}/jobs`, job);
      const { job: done, pod } = await finished(job.metadata.name);
      assert.equal(jobOutcome(done), 'succeeded', failureReason(done, pod));
      const log = await client.text(`/api/v1/namespaces/${NS}/pods/${pod.metadata.name}/log`, {
        query: { container: 'agent' },
      });
      const found = (decodeScanOutput(log).Results?.[0]?.Vulnerabilities ?? []).map((v) => v.VulnerabilityID);
      assert.ok(found.length > 0, 'the LOW findings remain');
      assert.ok(!found.includes('CVE-2023-45853'), `the ignored CVE is left out: ${found}`);
    } finally {
      await client.patch(
        cmPath,
        { data: { 'trivy.severity': 'CRITICAL', 'trivy.ignoreFile': null } },
        'application/merge-patch+json',
      );
    }
  });

  test('Standalone with the DB behind basic auth: the download logs in with trivy.dbRepositoryUsername/Password', async () => {
    const secretPath = `/api/v1/namespaces/${NS}/secrets`;
    const login = { 'trivy.dbRepositoryUsername': 'scanner', 'trivy.dbRepositoryPassword': 's3cret' };
    await client
      .create(secretPath, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'trivy-operator-trivy-config' },
        stringData: login,
      })
      .catch(async (error: unknown) => {
        if (!(error instanceof KubeApiError && error.isConflict)) throw error;
        await client.patch(
          `${secretPath}/trivy-operator-trivy-config`,
          { stringData: login },
          'application/merge-patch+json',
        );
      });
    const run = async (name: string, hasDbRepositoryCredentials: boolean) => {
      const { job } = buildScanJob({
        owner: { kind: 'Pod', name, namespace: WORKLOAD_NS, uid: `${name}-uid` },
        specHash: 'spec-db-login',
        targets: [{ container: 'app', image: open.reference }],
        config: { ...config, dbRepository: lockedDbRepository, hasDbRepositoryCredentials },
      });
      await client.create(`/apis/batch/v1/namespaces/${NS}/jobs`, job);
      return finished(job.metadata.name);
    };
    const anonymous = await run('db-anonymous', false);
    assert.equal(jobOutcome(anonymous.job), 'failed');
    assert.match(failureReason(anonymous.job, anonymous.pod), /401|unauthori[sz]ed|credentials/i);
    const withLogin = await run('db-login', true);
    assert.equal(jobOutcome(withLogin.job), 'succeeded', failureReason(withLogin.job, withLogin.pod));
    const log = await client.text(`/api/v1/namespaces/${NS}/pods/${withLogin.pod.metadata.name}/log`, {
      query: { container: 'app' },
    });
    assert.deepEqual(
      (decodeScanOutput(log).Results?.[0]?.Vulnerabilities ?? []).map((v) => v.VulnerabilityID),
      ['CVE-2023-45853'],
    );
  });

  test("an image the registry does not have: the Job fails and the reason is vigil's message", async () => {
    const missing = `${registry.host}/vigil/missing:1`;
    const { job, secret } = buildScanJob({
      owner: { kind: 'Pod', name: 'lonely', namespace: WORKLOAD_NS, uid: 'pod-uid' },
      specHash: 'spec-2',
      targets: [{ container: 'app', image: missing }],
      config,
    });
    assert.equal(secret, undefined);
    await client.create(`/apis/batch/v1/namespaces/${NS}/jobs`, job);
    const { job: done, pod } = await finished(job.metadata.name);
    assert.equal(jobOutcome(done), 'failed');
    assert.equal(containerOutcomes(pod).get('app')?.exitCode, 1);
    const reason = failureReason(done, pod);
    assert.match(
      reason,
      /^the scan of container app failed \(exit 1, Error\): cannot scan .*vigil\/missing:1/,
    );
    assert.ok(!reason.includes('\n'));
  });
});
