// The operator's end-to-end environment: the local cluster (control plane + process node), a registry with
// the Debian test image and the test vulnerability DB pushed as Trivy's artifact, `vigil server` and
// `vigil operator` as real processes (the built CLI). Scenario tests build on startOperatorEnv(); every wait
// is bounded and says what it waited for.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { htpasswdFile } from '../../src/image/testkit.js';
import type { VulnerabilityReport } from '../../src/k8s/crds/index.js';
import { createInformer, type KubeClient, type KubeObject } from '../../src/k8s/index.js';
import { pushScanDb } from '../../src/scan/testkit.js';
import { type LocalCluster, startLocalCluster } from './cluster.js';
import {
  buildLayer,
  type DebianBase,
  debianBase,
  type Layer,
  type PushedImage,
  pushImage,
} from './image-builder.js';
import { freePort, waitFor as waitForProbe } from './net.js';
import { cacheDir, repoRoot, vigilCli } from './paths.js';
import { type LocalRegistry, startRegistry } from './registry.js';
import type { SupervisedProcess } from './supervisor.js';

const execFileAsync = promisify(execFile);

export interface OperatorEnvOptions {
  /** The operator namespace (OPERATOR_NAMESPACE); default "trivy-system". */
  operatorNamespace?: string;
  /** Extra keys of the trivy-operator-trivy-config ConfigMap (mode/serverURL are set for ClientServer). */
  trivyConfig?: Record<string, string>;
  /** Keys of the trivy-operator ConfigMap; absent: the operator creates its defaults. */
  operatorConfig?: Record<string, string>;
  /** Standalone instead of ClientServer (no server is started). */
  standalone?: boolean;
  /** Also start a second registry that requires these basic-auth credentials (env.privateRegistry). */
  privateRegistry?: { user: string; password: string };
  log?: (message: string) => void;
}

/** An operator process started beside the main one (leader-election tests). */
export interface OperatorReplica {
  readonly process: SupervisedProcess;
  /** Its log (JSON lines) so far. */
  log(): string;
  /** SIGKILL (no lease release, no cleanup); resolves once it has exited. */
  kill(): Promise<number>;
  /** SIGTERM, bounded wait. */
  stop(): Promise<number>;
}

export interface OperatorEnv {
  readonly cluster: LocalCluster;
  readonly client: KubeClient;
  readonly registry: LocalRegistry;
  /** The htpasswd registry of options.privateRegistry (the harness's own pushes authenticate). */
  readonly privateRegistry: LocalRegistry | undefined;
  readonly operatorNamespace: string;
  /** <registry>/vigil/trivy-db:2, the test DB artifact. */
  readonly dbRepository: string;
  /** Debian bookworm base layer and its package list (for expectations). */
  readonly debian: DebianBase;
  /** The Debian image pushed as <registry>/vigil/debian:bookworm. */
  readonly debianImage: PushedImage;
  /** http://127.0.0.1:<fixed port>: stays the same across stopServer/startServer. */
  readonly serverUrl: string;
  /** kubectl with the cluster's kubeconfig; resolves to stdout. */
  kubectl(...args: string[]): Promise<string>;
  /** Pushes an image made of layers (default: the Debian layer) and returns it. */
  pushImage(repository: string, tag: string, layers?: Layer[]): Promise<PushedImage>;
  /**
   * Pushes a small image of its own (one layer holding a file with `id`), so its digest differs from every
   * other image's: each such image needs a scan of its own. `into` the private registry when told.
   */
  pushUniqueImage(
    repository: string,
    tag: string,
    id: string,
    into?: 'public' | 'private',
  ): Promise<PushedImage>;
  /**
   * Starts `vigil operator` with the harness env plus `env`; resolves once it is ready (/readyz 200).
   * `options.kubeconfig`: run it with that kubeconfig instead of the admin one (e.g. a ServiceAccount token).
   */
  startOperator(env?: Record<string, string>, options?: { kubeconfig?: string }): Promise<SupervisedProcess>;
  /** SIGTERM, bounded wait; resolves to the exit code. */
  stopOperator(): Promise<number | undefined>;
  /** SIGKILL the operator (a crash: no lease release, no draining); resolves to the exit code. */
  killOperator(): Promise<number | undefined>;
  /**
   * Another `vigil operator` process (own ports and log) with the harness env plus `env`; resolves once it is
   * ready. Stopped by stop() at the latest.
   */
  startOperatorReplica(name: string, env?: Record<string, string>): Promise<OperatorReplica>;
  /** The operator process's log (JSON lines) so far. */
  operatorLog(): string;
  /** The operator's metrics port (ephemeral, chosen per start). */
  metricsUrl(): string;
  startServer(): Promise<void>;
  stopServer(): Promise<void>;
  /** `vigil scan image --format json` standalone against the test DB: what a scan of `image` finds. */
  scanImage(image: string): Promise<unknown>;
  waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T>;
  stop(): Promise<void>;
}

/** Image digests of what the harness pushed, so pods report `repo@sha256:…` image IDs as a kubelet does. */
function imageIdResolver(pushed: Map<string, string>) {
  return async (image: string) => pushed.get(image) ?? image;
}

export async function startOperatorEnv(options: OperatorEnvOptions = {}): Promise<OperatorEnv> {
  const operatorNamespace = options.operatorNamespace ?? 'trivy-system';
  const pushed = new Map<string, string>();
  const registry = await startRegistry();
  let privateRegistry: LocalRegistry | undefined;
  let cluster: LocalCluster | undefined;
  try {
    if (options.privateRegistry) {
      const htpasswdDir = await mkdtemp(join(tmpdir(), 'vigil-htpasswd-'));
      privateRegistry = await startRegistry({
        htpasswdFile: htpasswdFile(
          htpasswdDir,
          options.privateRegistry.user,
          options.privateRegistry.password,
        ),
      });
      privateRegistry.useBasicAuth(options.privateRegistry.user, options.privateRegistry.password);
    }
    // Not under /tmp: scan pods mount an emptyDir at /tmp, which would hide the process node's `vigil` shim.
    const parentDir = join(cacheDir(), 'e2e');
    mkdirSync(parentDir, { recursive: true });
    cluster = await startLocalCluster({
      parentDir,
      imageId: imageIdResolver(pushed),
      ...(options.log ? { log: options.log } : {}),
    });
  } catch (error) {
    await privateRegistry?.stop();
    await registry.stop();
    throw error;
  }
  const c = cluster;
  const client = c.controlPlane.client;
  const supervisor = c.controlPlane.supervisor;
  const work = join(c.controlPlane.dir, 'e2e');
  mkdirSync(work, { recursive: true });
  const kubectl = async (...args: string[]) =>
    (
      await execFileAsync(
        join(c.controlPlane.binDir, 'kubectl'),
        ['--kubeconfig', c.controlPlane.kubeconfigPath, ...args],
        {
          maxBuffer: 64 * 1024 * 1024,
        },
      )
    ).stdout;

  async function waitFor<T>(
    what: string,
    probe: () => Promise<T | undefined | false>,
    timeoutMs: number,
  ): Promise<T> {
    let value: T | undefined;
    await waitForProbe(
      what,
      async () => {
        const got = await probe();
        if (got === undefined || got === false) return false;
        value = got;
        return true;
      },
      { timeoutMs, intervalMs: 250, describe: () => `operator log tail:\n${tail(operatorLog(), 30)}` },
    );
    return value as T;
  }

  const [debian, dbRepository] = await Promise.all([debianBase(), pushScanDb(registry, work)]);
  const push = async (repository: string, tag: string, layers: Layer[] = [debian.layer]) => {
    const image = await pushImage(registry, repository, tag, layers);
    pushed.set(image.reference, image.digestReference);
    return image;
  };
  const debianImage = await push('vigil/debian', 'bookworm');
  const pushUnique = async (repository: string, tag: string, id: string, into: 'public' | 'private') => {
    const target = into === 'private' ? privateRegistry : registry;
    if (!target) throw new Error('no private registry: start the env with options.privateRegistry');
    const layer = await buildLayer({ files: [{ path: '/etc/vigil-e2e-id', content: `${id}\n` }] }, work);
    const image = await pushImage(target, repository, tag, [layer]);
    pushed.set(image.reference, image.digestReference);
    return image;
  };

  // CRDs, the operator namespace and its configuration.
  await kubectl('apply', '-f', join(repoRoot(), 'deploy/crds'));
  await waitFor(
    'the report CRDs to be served',
    async () =>
      (await kubectl('api-resources', '--api-group=aquasecurity.github.io')).includes(
        'vulnerabilityscanners',
      ),
    60_000,
  );
  await client.create('/api/v1/namespaces', { metadata: { name: operatorNamespace } });
  const serverPort = await freePort();
  const serverUrl = `http://127.0.0.1:${serverPort}`;
  await client.create(`/api/v1/namespaces/${operatorNamespace}/configmaps`, {
    metadata: { name: 'trivy-operator-trivy-config' },
    data: {
      'trivy.mode': options.standalone ? 'Standalone' : 'ClientServer',
      ...(options.standalone ? { 'trivy.dbRepository': dbRepository } : { 'trivy.serverURL': serverUrl }),
      'trivy.severity': 'UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL',
      'trivy.timeout': '5m0s',
      ...options.trivyConfig,
    },
  });
  if (options.operatorConfig)
    await client.create(`/api/v1/namespaces/${operatorNamespace}/configmaps`, {
      metadata: { name: 'trivy-operator' },
      data: options.operatorConfig,
    });

  let server: SupervisedProcess | undefined;
  let operator: SupervisedProcess | undefined;
  let operatorLogFile = '';
  let metricsPort = 0;
  let starts = 0;
  const cleanEnv = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('TRIVY_') && !k.startsWith('OPERATOR_')),
  );
  const operatorLog = () => {
    try {
      return operatorLogFile ? readFileSync(operatorLogFile, 'utf8') : '';
    } catch {
      return '';
    }
  };

  /** Spawns `vigil operator` with the harness env plus `extra` and waits for /readyz (bounded). */
  async function spawnOperator(
    name: string,
    logFile: string,
    metrics: number,
    extra: Record<string, string>,
    logTail: () => string,
    kubeconfig = c.controlPlane.kubeconfigPath,
  ): Promise<SupervisedProcess> {
    const healthPort = await freePort();
    const running = supervisor.spawn(
      name,
      process.execPath,
      ['--enable-source-maps', vigilCli(), 'operator', '--kubeconfig', kubeconfig],
      {
        logFile,
        env: {
          ...cleanEnv,
          OPERATOR_NAMESPACE: operatorNamespace,
          OPERATOR_METRICS_BIND_ADDRESS: `127.0.0.1:${metrics}`,
          OPERATOR_HEALTH_PROBE_BIND_ADDRESS: `127.0.0.1:${healthPort}`,
          OPERATOR_SCAN_JOB_RETRY_AFTER: '2s',
          OPERATOR_LEADER_ELECTION_ENABLED: 'false',
          VIGIL_SCANNER_IMAGE: 'ghcr.io/vigil/vigil:e2e',
          ...extra,
        },
      },
    );
    await waitForProbe(
      `${name} to be ready`,
      async () => (await fetch(`http://127.0.0.1:${healthPort}/readyz`)).status === 200,
      {
        timeoutMs: 60_000,
        failIf: () =>
          running.child.exitCode !== null ? `${name} exited ${running.child.exitCode}` : undefined,
        describe: logTail,
      },
    );
    return running;
  }

  const env: OperatorEnv = {
    cluster: c,
    client,
    registry,
    privateRegistry,
    operatorNamespace,
    dbRepository,
    debian,
    debianImage,
    serverUrl,
    kubectl,
    pushImage: push,
    pushUniqueImage: (repository, tag, id, into = 'public') => pushUnique(repository, tag, id, into),
    async startServer() {
      if (server) return;
      const cacheDir = join(work, 'server-cache');
      server = supervisor.spawn(
        'vigil-server',
        process.execPath,
        [
          '--enable-source-maps',
          vigilCli(),
          'server',
          '--listen',
          `127.0.0.1:${serverPort}`,
          '--cache-dir',
          cacheDir,
          '--db-repository',
          dbRepository,
        ],
        { env: cleanEnv },
      );
      const running = server;
      await waitForProbe(
        'vigil server to be ready',
        async () => (await fetch(`${serverUrl}/readyz`)).status === 200,
        {
          timeoutMs: 60_000,
          failIf: () =>
            running.child.exitCode !== null ? `vigil server exited ${running.child.exitCode}` : undefined,
          describe: () => tail(readFileSync(running.logFile, 'utf8'), 30),
        },
      );
    },
    async stopServer() {
      const running = server;
      server = undefined;
      if (running) await running.stop(5_000);
    },
    async startOperator(extra = {}, options = {}) {
      if (operator) throw new Error('the operator is running already: stopOperator() first');
      starts++;
      metricsPort = await freePort();
      operatorLogFile = join(supervisor.dir, `vigil-operator-${starts}.log`);
      const logFile = operatorLogFile;
      operator = await spawnOperator(
        `vigil-operator-${starts}`,
        logFile,
        metricsPort,
        extra,
        () => tail(operatorLog(), 40),
        options.kubeconfig,
      );
      return operator;
    },
    async startOperatorReplica(name, extra = {}) {
      const logFile = join(supervisor.dir, `vigil-operator-${name}.log`);
      const read = () => {
        try {
          return readFileSync(logFile, 'utf8');
        } catch {
          return '';
        }
      };
      const running = await spawnOperator(`vigil-operator-${name}`, logFile, await freePort(), extra, () =>
        tail(read(), 40),
      );
      return {
        process: running,
        log: read,
        async kill() {
          if (running.child.pid !== undefined && running.child.exitCode === null)
            process.kill(-running.child.pid, 'SIGKILL');
          return running.exited;
        },
        stop: () => running.stop(15_000),
      };
    },
    async killOperator() {
      const running = operator;
      operator = undefined;
      if (!running) return undefined;
      if (running.child.pid !== undefined && running.child.exitCode === null)
        process.kill(-running.child.pid, 'SIGKILL');
      return running.exited;
    },
    async stopOperator() {
      const running = operator;
      operator = undefined;
      if (!running) return undefined;
      return running.stop(15_000);
    },
    operatorLog,
    metricsUrl: () => `http://127.0.0.1:${metricsPort}/metrics`,
    async scanImage(image) {
      const { stdout } = await execFileAsync(
        process.execPath,
        [
          vigilCli(),
          'scan',
          'image',
          image,
          '--format',
          'json',
          '--quiet',
          '--cache-dir',
          join(work, 'scan-cache'),
          '--db-repository',
          dbRepository,
        ],
        { env: cleanEnv, maxBuffer: 256 * 1024 * 1024 },
      );
      return JSON.parse(stdout) as unknown;
    },
    waitFor,
    async stop() {
      await env.stopOperator().catch(() => undefined);
      await env.stopServer().catch(() => undefined);
      await c.stop();
      await registry.stop();
      await privateRegistry?.stop();
    },
  };
  return env;
}

export function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines).join('\n');
}

/** A Deployment whose pods run `image` (the process node runs `sleep infinity` for it). */
export function deployment(namespace: string, name: string, image: string, replicas = 1): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image }] },
      },
    },
  };
}

/** A Pod with no owner: scanned as itself. */
export function pod(namespace: string, name: string, image: string, container = 'main'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: { containers: [{ name: container, image }] },
  };
}

export async function createNamespace(client: KubeClient, name: string, labels: Record<string, string> = {}) {
  await client.create('/api/v1/namespaces', { metadata: { name, labels } });
}

/** Every scan Job the operator created while the tracker ran, and how many were active at once. */
export interface ScanJobTracker {
  /** Jobs seen, by uid, as first seen (labels and annotations do not change). */
  readonly created: ReadonlyMap<string, KubeObject>;
  /** The most Jobs not finished (see `finished`) that existed at one time. */
  maxActive(): number;
  /** Jobs created for a workload (by the trivy-operator.resource.* labels). */
  forWorkload(kind: string, namespace: string, name: string): KubeObject[];
  /** Jobs created in a workload namespace. */
  inNamespace(namespace: string): KubeObject[];
  /** How many Jobs listed `imageKey` in their image-keys annotation. */
  scansOf(imageKey: string): number;
  stop(): Promise<void>;
}

/**
 * A Job is done once its pods are: Complete/Failed, or their precursors SuccessCriteriaMet/FailureTarget (set
 * when the pods have finished, before the Job controller's final condition); a Job being deleted is done too.
 * The operator's concurrency count (README decision 7, scan-job jobOutcome) reads Jobs the same way.
 */
const finished = (job: KubeObject) =>
  job.metadata?.deletionTimestamp !== undefined ||
  (
    (job.status as { conditions?: Array<{ type?: string; status?: string }> } | undefined)?.conditions ?? []
  ).some(
    (c) =>
      ['Complete', 'Failed', 'SuccessCriteriaMet', 'FailureTarget'].includes(c.type ?? '') &&
      c.status === 'True',
  );

/** Watches the operator namespace's Jobs from the test's side (not the operator's). */
export async function watchScanJobs(env: OperatorEnv): Promise<ScanJobTracker> {
  const created = new Map<string, KubeObject>();
  const active = new Set<string>();
  let max = 0;
  const informer = createInformer<KubeObject>({
    client: env.client,
    path: `/apis/batch/v1/namespaces/${env.operatorNamespace}/jobs`,
  });
  const seen = (job: KubeObject) => {
    const uid = job.metadata?.uid ?? '';
    if (!created.has(uid)) created.set(uid, job);
    if (finished(job)) active.delete(uid);
    else active.add(uid);
    max = Math.max(max, active.size);
  };
  informer.addEventHandler({
    onAdd: seen,
    onUpdate: (_, job) => seen(job),
    onDelete: (job) => active.delete(job.metadata?.uid ?? ''),
  });
  informer.start();
  if (!(await informer.waitForSync(30_000))) throw new Error('the scan Jobs watch did not sync in 30 s');
  const label = (job: KubeObject, key: string) => job.metadata?.labels?.[`trivy-operator.resource.${key}`];
  return {
    created,
    maxActive: () => max,
    forWorkload: (kind, namespace, name) =>
      [...created.values()].filter(
        (j) => label(j, 'kind') === kind && label(j, 'namespace') === namespace && label(j, 'name') === name,
      ),
    inNamespace: (namespace) => [...created.values()].filter((j) => label(j, 'namespace') === namespace),
    scansOf: (imageKey) =>
      [...created.values()].filter((j) =>
        Object.values(
          JSON.parse(j.metadata?.annotations?.['vigil.aquasecurity.github.io/image-keys'] ?? '{}') as Record<
            string,
            string
          >,
        ).includes(imageKey),
      ).length,
    stop: () => informer.stop(),
  };
}

/** The VulnerabilityReports of a namespace, straight from the API server. */
export async function reportsIn(env: OperatorEnv, namespace: string): Promise<VulnerabilityReport[]> {
  return (
    await env.client.list<VulnerabilityReport>(
      `/apis/aquasecurity.github.io/v1alpha1/namespaces/${namespace}/vulnerabilityreports`,
    )
  ).items as VulnerabilityReport[];
}

/** A report's root status (README fixed decision 3). */
export function reportStatus(report: VulnerabilityReport): {
  phase?: string;
  reason?: string;
  message?: string;
  lastScanTime?: string;
  failedAttempts?: number;
} {
  return (report as unknown as { status?: ReturnType<typeof reportStatus> }).status ?? {};
}
