import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKubeClient, type KubeClient, loadKubeConfig } from '../../src/k8s/kube-client.js';
import { freePort, waitFor } from './net.js';
import { createPki, type Pki } from './pki.js';
import { runBuildScript } from './run-tool.js';
import { createSupervisor, type SupervisedProcess, type Supervisor } from './supervisor.js';

/** Controllers the local control plane runs: enough for Jobs, workloads, TTLs, GC and namespaces. */
export const CONTROLLERS = [
  'serviceaccount-token-controller',
  'serviceaccount-controller',
  'root-ca-certificate-publisher-controller',
  'namespace-controller',
  'garbage-collector-controller',
  'job-controller',
  'cronjob-controller',
  'ttl-after-finished-controller',
  'pod-garbage-collector-controller',
  'replicaset-controller',
  'deployment-controller',
  'statefulset-controller',
  'daemonset-controller',
  'replicationcontroller-controller',
  'clusterrole-aggregation-controller',
];

export interface ControlPlane {
  /** Working directory: certificates, kubeconfig, logs. Removed by stop() unless keepDir was set. */
  readonly dir: string;
  readonly kubeconfigPath: string;
  readonly apiServerUrl: string;
  /** Directory of the built binaries: etcd, kube-apiserver, kube-controller-manager, kubectl. */
  readonly binDir: string;
  readonly pki: Pki;
  readonly client: KubeClient;
  readonly supervisor: Supervisor;
  /** The last lines of a component's log (etcd, kube-apiserver, kube-controller-manager). */
  logTail(component: string, lines?: number): Promise<string>;
  stop(): Promise<void>;
}

export interface ControlPlaneOptions {
  /** Name of the process node whose serving certificate is issued with the PKI. */
  nodeName?: string;
  /** Keep the working directory after stop (for the demo or debugging). */
  keepDir?: boolean;
  /** Parent of the working directory; default the OS temp dir. */
  parentDir?: string;
}

/**
 * Starts etcd, kube-apiserver and kube-controller-manager, built from upstream modules by
 * tools/build-control-plane.sh, on loopback ports, and waits until the API server is ready and the controller
 * manager is healthy. Everything is torn down by stop(), or by the supervisor's watchdog if this process dies.
 */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  // VIGIL_CONTROL_PLANE_BIN points at prebuilt binaries (debugging); normally the cached build is used.
  const binDir = process.env.VIGIL_CONTROL_PLANE_BIN ?? (await runBuildScript('build-control-plane.sh'));
  const dir = await mkdtemp(join(options.parentDir ?? tmpdir(), 'vigil-cp-'));
  const supervisor = createSupervisor(dir);
  try {
    return await boot(dir, binDir, supervisor, options);
  } catch (error) {
    await supervisor.stopAll();
    if (!options.keepDir) await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function boot(
  dir: string,
  binDir: string,
  supervisor: Supervisor,
  options: ControlPlaneOptions,
): Promise<ControlPlane> {
  const nodeName = options.nodeName ?? 'vigil-node-0';
  const pki = await createPki(join(dir, 'pki'), nodeName);
  const logTail = async (component: string, lines = 40) => {
    try {
      return (await readFile(join(dir, `${component}.log`), 'utf8')).split('\n').slice(-lines).join('\n');
    } catch {
      return `(no ${component} log)`;
    }
  };

  // etcd: data on tmpfs when there is one; fsync off (test data only).
  const [etcdClientPort, etcdPeerPort, apiPort, kcmPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const etcdData = existsSync('/dev/shm') ? await mkdtemp('/dev/shm/vigil-etcd-') : join(dir, 'etcd-data');
  await mkdir(etcdData, { recursive: true });
  const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
  const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
  const etcd = supervisor.spawn('etcd', join(binDir, 'etcd'), [
    '--name=vigil',
    `--data-dir=${etcdData}`,
    `--listen-client-urls=${etcdUrl}`,
    `--advertise-client-urls=${etcdUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=vigil=${peerUrl}`,
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ]);
  void etcd.exited.then(() => rm(etcdData, { recursive: true, force: true }));
  await waitFor(
    'etcd to report healthy',
    async () => {
      const response = await fetch(`${etcdUrl}/health`);
      return response.ok && ((await response.json()) as { health?: string }).health === 'true';
    },
    { timeoutMs: 30_000, describe: () => logTail('etcd'), failIf: () => exitedReason(etcd) },
  );

  const apiServerUrl = `https://127.0.0.1:${apiPort}`;
  const apiserver = supervisor.spawn('kube-apiserver', join(binDir, 'kube-apiserver'), [
    `--etcd-servers=${etcdUrl}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${apiPort}`,
    '--advertise-address=127.0.0.1',
    `--tls-cert-file=${pki.apiserverCert}`,
    `--tls-private-key-file=${pki.apiserverKey}`,
    `--client-ca-file=${pki.caCert}`,
    '--authorization-mode=Node,RBAC',
    `--service-account-issuer=${apiServerUrl}`,
    `--service-account-key-file=${pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    '--allow-privileged=true',
    '--endpoint-reconciler-type=none',
    // No ServiceAccount admission (pods would race the SA controller) and no not-ready taint (no node
    // lifecycle controller runs to lift it).
    '--disable-admission-plugins=ServiceAccount,TaintNodesByCondition',
    '--kubelet-preferred-address-types=InternalIP',
    `--kubelet-client-certificate=${pki.kubeletClientCert}`,
    `--kubelet-client-key=${pki.kubeletClientKey}`,
    `--cert-dir=${join(dir, 'apiserver-certs')}`,
    '--v=1',
  ]);
  const kubeconfigPath = join(dir, 'kubeconfig');
  await writeFile(kubeconfigPath, kubeconfigYaml(apiServerUrl, pki, 'vigil-admin'), { mode: 0o600 });
  const client = createKubeClient({
    kubeConfig: loadKubeConfig(kubeconfigPath),
    userAgent: 'vigil-test-env',
  });
  await waitFor(
    'kube-apiserver /readyz',
    async () => (await client.text('/readyz', { timeoutMs: 5000 })).trim() === 'ok',
    {
      timeoutMs: 120_000,
      intervalMs: 300,
      describe: () => logTail('kube-apiserver'),
      failIf: () => exitedReason(apiserver),
    },
  );

  const controllerManager = supervisor.spawn(
    'kube-controller-manager',
    join(binDir, 'kube-controller-manager'),
    [
      `--kubeconfig=${kubeconfigPath}`,
      `--authentication-kubeconfig=${kubeconfigPath}`,
      `--authorization-kubeconfig=${kubeconfigPath}`,
      '--leader-elect=false',
      `--controllers=${CONTROLLERS.join(',')}`,
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      `--root-ca-file=${pki.caCert}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${kcmPort}`,
      `--cert-dir=${join(dir, 'kcm-certs')}`,
      // Finished Jobs and terminated pods are cleaned quickly in tests.
      '--terminated-pod-gc-threshold=100',
      '--v=1',
    ],
  );
  await waitFor('kube-controller-manager /healthz', () => httpsOk(`https://127.0.0.1:${kcmPort}/healthz`), {
    timeoutMs: 60_000,
    intervalMs: 300,
    describe: () => logTail('kube-controller-manager'),
    failIf: () => exitedReason(controllerManager),
  });
  // The default namespace's service account is what pods use; wait for the controller to create it.
  await waitFor(
    'the default service account',
    async () => (await client.find('/api/v1/namespaces/default/serviceaccounts/default')) !== undefined,
    {
      timeoutMs: 30_000,
      describe: () => logTail('kube-controller-manager'),
    },
  );

  return {
    dir,
    kubeconfigPath,
    apiServerUrl,
    binDir,
    pki,
    client,
    supervisor,
    logTail,
    async stop() {
      client.close();
      await supervisor.stopAll();
      if (!options.keepDir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** An admin kubeconfig; certificate paths are absolute, so it works from any directory. */
export function kubeconfigYaml(server: string, pki: Pki, user: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: vigil-local',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority: ${pki.caCert}`,
    'users:',
    `- name: ${user}`,
    '  user:',
    `    client-certificate: ${pki.adminCert}`,
    `    client-key: ${pki.adminKey}`,
    'contexts:',
    '- name: vigil-local',
    '  context:',
    '    cluster: vigil-local',
    `    user: ${user}`,
    'current-context: vigil-local',
    '',
  ].join('\n');
}

function exitedReason(proc: SupervisedProcess): string | undefined {
  const { exitCode, signalCode } = proc.child;
  if (exitCode === null && signalCode === null) return undefined;
  return `${proc.name} exited (${signalCode ?? `code ${exitCode}`})`;
}

async function httpsOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.get(url, { rejectUnauthorized: false, timeout: 3000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}
