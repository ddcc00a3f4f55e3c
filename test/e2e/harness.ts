// The operator's end-to-end environment: the local cluster (control plane + process node), a registry with
// the Debian test image and the test vulnerability DB pushed as Trivy's artifact, `vigil server` and
// `vigil operator` as real processes (the built CLI). Scenario tests build on startOperatorEnv(); every wait
// is bounded and says what it waited for.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { KubeClient, KubeObject } from '../../src/k8s/index.js';
import { pushScanDb } from '../../src/scan/testkit.js';
import { type LocalCluster, startLocalCluster } from '../env/cluster.js';
import {
  type DebianBase,
  debianBase,
  type Layer,
  type PushedImage,
  pushImage,
} from '../env/image-builder.js';
import { freePort, waitFor as waitForProbe } from '../env/net.js';
import { cacheDir, repoRoot, vigilCli } from '../env/paths.js';
import { type LocalRegistry, startRegistry } from '../env/registry.js';
import type { SupervisedProcess } from '../env/supervisor.js';

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
  log?: (message: string) => void;
}

export interface OperatorEnv {
  readonly cluster: LocalCluster;
  readonly client: KubeClient;
  readonly registry: LocalRegistry;
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
   * Starts `vigil operator` with the harness env plus `env`; resolves once it is ready (/readyz 200).
   * `options.kubeconfig`: run it with that kubeconfig instead of the admin one (e.g. a ServiceAccount token).
   */
  startOperator(env?: Record<string, string>, options?: { kubeconfig?: string }): Promise<SupervisedProcess>;
  /** SIGTERM, bounded wait; resolves to the exit code. */
  stopOperator(): Promise<number | undefined>;
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
  let cluster: LocalCluster | undefined;
  try {
    // Not under /tmp: scan pods mount an emptyDir at /tmp, which would hide the process node's `vigil` shim.
    const parentDir = join(cacheDir(), 'e2e');
    mkdirSync(parentDir, { recursive: true });
    cluster = await startLocalCluster({
      parentDir,
      imageId: imageIdResolver(pushed),
      ...(options.log ? { log: options.log } : {}),
    });
  } catch (error) {
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

  const env: OperatorEnv = {
    cluster: c,
    client,
    registry,
    operatorNamespace,
    dbRepository,
    debian,
    debianImage,
    serverUrl,
    kubectl,
    pushImage: push,
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
      const healthPort = await freePort();
      operatorLogFile = join(supervisor.dir, `vigil-operator-${starts}.log`);
      operator = supervisor.spawn(
        `vigil-operator-${starts}`,
        process.execPath,
        [
          '--enable-source-maps',
          vigilCli(),
          'operator',
          '--kubeconfig',
          options.kubeconfig ?? c.controlPlane.kubeconfigPath,
        ],
        {
          logFile: operatorLogFile,
          env: {
            ...cleanEnv,
            OPERATOR_NAMESPACE: operatorNamespace,
            OPERATOR_METRICS_BIND_ADDRESS: `127.0.0.1:${metricsPort}`,
            OPERATOR_HEALTH_PROBE_BIND_ADDRESS: `127.0.0.1:${healthPort}`,
            OPERATOR_SCAN_JOB_RETRY_AFTER: '2s',
            OPERATOR_LEADER_ELECTION_ENABLED: 'false',
            VIGIL_SCANNER_IMAGE: 'ghcr.io/vigil/vigil:e2e',
            ...extra,
          },
        },
      );
      const running = operator;
      await waitForProbe(
        'vigil operator to be ready',
        async () => (await fetch(`http://127.0.0.1:${healthPort}/readyz`)).status === 200,
        {
          timeoutMs: 60_000,
          failIf: () =>
            running.child.exitCode !== null ? `vigil operator exited ${running.child.exitCode}` : undefined,
          describe: () => tail(operatorLog(), 40),
        },
      );
      return running;
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
