import { join } from 'node:path';
import { KubeApiError } from '../../../src/k8s/errors.js';
import type { KubeClient, WatchEvent } from '../../../src/k8s/kube-client.js';
import { MERGE_PATCH } from '../../../src/k8s/kube-client.js';
import { listAndWatch } from '../../../src/k8s/list-watch.js';
import type { Supervisor } from '../supervisor.js';
import { createImagePrograms, DEFAULT_IMAGE_RULES, type ImageRule } from './image-programs.js';
import { type LogServer, startLogServer } from './log-server.js';
import { PodRun } from './pod-run.js';
import type { Pod } from './pod-types.js';

export interface ProcessNodeOptions {
  client: KubeClient;
  supervisor: Supervisor;
  name: string;
  /** Working directory for pods (volumes, logs). */
  dir: string;
  /** The kubelet serving certificate the log server presents. */
  servingCert: string;
  servingKey: string;
  /** The API server as pods see it: KUBERNETES_SERVICE_HOST/PORT. */
  apiServerUrl: string;
  imageRules?: readonly ImageRule[];
  /** containerStatuses[].imageID for an image; default: the image reference itself. */
  imageId?: (image: string) => Promise<string>;
  log?: (message: string) => void;
}

export interface ProcessNode {
  readonly name: string;
  readonly logPort: number;
  /** Pods currently known to the node, by namespace/name. */
  runningPods(): string[];
  stop(): Promise<void>;
}

/**
 * A Kubernetes node whose pods are local processes. It registers a Ready Node, binds every pending pod to
 * itself (it is the cluster's scheduler), runs the pods bound to it (see PodRun) and serves their logs to the
 * API server, so Jobs, Deployments and the rest work through the real controllers and `kubectl logs` works.
 */
export async function startProcessNode(options: ProcessNodeOptions): Promise<ProcessNode> {
  const { client, name } = options;
  const log = options.log ?? ((message: string) => process.stderr.write(`process-node: ${message}\n`));
  const programs = createImagePrograms(options.imageRules ?? DEFAULT_IMAGE_RULES, join(options.dir, 'bin'));
  const runs = new Map<string, PodRun>();
  const byName = new Map<string, PodRun>();
  const abort = new AbortController();
  const api = new URL(options.apiServerUrl);

  const logServer: LogServer = await startLogServer({
    certFile: options.servingCert,
    keyFile: options.servingKey,
    lookup: (namespace, pod, container, previous) =>
      byName.get(`${namespace}/${pod}`)?.containerLog(container, previous),
  });
  await registerNode(client, name, logServer.port);

  const heartbeat = setInterval(() => {
    void patchNodeStatus(client, name, logServer.port).catch((error: unknown) =>
      log(`heartbeat failed: ${(error as Error).message}`),
    );
  }, 20_000);

  const bind = async (pod: Pod) => {
    if (pod.spec.nodeName || pod.metadata.deletionTimestamp) return;
    if ((pod.spec.schedulerName ?? 'default-scheduler') !== 'default-scheduler') return;
    try {
      await client.create(`/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/binding`, {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace },
        target: { apiVersion: 'v1', kind: 'Node', name },
      });
    } catch (error) {
      // 409: already bound (a repeat event); 404: deleted meanwhile.
      if (!(error instanceof KubeApiError && (error.status === 409 || error.status === 404)))
        log(`binding ${pod.metadata.name} failed: ${(error as Error).message}`);
    }
  };

  const forget = async (uid: string): Promise<void> => {
    const run = runs.get(uid);
    if (!run) return;
    runs.delete(uid);
    // Keep serving the log of a pod whose name was reused only while it is the current one.
    if (byName.get(run.key) === run) byName.delete(run.key);
    await run.forget();
  };

  const observe = async (pod: Pod) => {
    const known = runs.get(pod.metadata.uid);
    if (known) {
      known.update(pod);
      return;
    }
    const terminal = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
    if (pod.metadata.deletionTimestamp) {
      // Not ours to run (e.g. left from before a restart): confirm the deletion as a kubelet would.
      await client
        .delete(`/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`, {
          body: {
            apiVersion: 'v1',
            kind: 'DeleteOptions',
            gracePeriodSeconds: 0,
            preconditions: { uid: pod.metadata.uid },
          },
        })
        .catch(() => undefined);
      return;
    }
    if (terminal) return;
    const run = new PodRun(pod, {
      client,
      supervisor: options.supervisor,
      programs,
      dir: join(options.dir, 'pods', pod.metadata.uid),
      imageId: options.imageId ?? (async (image) => image),
      baseEnv: { KUBERNETES_SERVICE_HOST: api.hostname, KUBERNETES_SERVICE_PORT: api.port || '443' },
      log,
    });
    runs.set(pod.metadata.uid, run);
    byName.set(run.key, run);
    void run.start();
  };

  const scheduling = listAndWatch<Pod>(
    client,
    {
      onList: async (pods) => {
        for (const pod of pods) await bind(pod);
      },
      onEvent: async (event: WatchEvent<Pod>) => {
        if (event.type === 'ADDED' || event.type === 'MODIFIED') await bind(event.object);
      },
      onError: (error) => log(`scheduler watch: ${(error as Error).message}`),
    },
    { path: '/api/v1/pods', query: { fieldSelector: 'spec.nodeName=' }, signal: abort.signal },
  );
  const running = listAndWatch<Pod>(
    client,
    {
      onList: async (pods) => {
        const present = new Set(pods.map((p) => p.metadata.uid));
        for (const uid of [...runs.keys()]) if (!present.has(uid)) void forget(uid);
        for (const pod of pods) await observe(pod);
      },
      onEvent: async (event: WatchEvent<Pod>) => {
        if (event.type === 'DELETED') void forget(event.object.metadata.uid);
        else await observe(event.object);
      },
      onError: (error) => log(`pod watch: ${(error as Error).message}`),
    },
    { path: '/api/v1/pods', query: { fieldSelector: `spec.nodeName=${name}` }, signal: abort.signal },
  );

  return {
    name,
    logPort: logServer.port,
    runningPods: () => [...byName.keys()],
    async stop() {
      clearInterval(heartbeat);
      abort.abort();
      await Promise.all([scheduling, running]);
      await Promise.all([...runs.keys()].map((uid) => forget(uid)));
      await logServer.close();
    },
  };
}

async function registerNode(client: KubeClient, name: string, logPort: number): Promise<void> {
  const existing = await client.find(`/api/v1/nodes/${name}`);
  if (!existing) {
    await client.create('/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: {
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'node.kubernetes.io/instance-type': 'vigil-process-node',
        },
      },
    });
  }
  await patchNodeStatus(client, name, logPort);
}

async function patchNodeStatus(client: KubeClient, name: string, logPort: number): Promise<void> {
  const now = new Date().toISOString();
  const condition = (type: string, status: string, reason: string) => ({
    type,
    status,
    reason,
    message: reason,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  await client.patch(
    `/api/v1/nodes/${name}/status`,
    {
      status: {
        conditions: [
          condition('Ready', 'True', 'KubeletReady'),
          condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory'),
          condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure'),
          condition('PIDPressure', 'False', 'KubeletHasSufficientPID'),
        ],
        addresses: [
          { type: 'InternalIP', address: '127.0.0.1' },
          { type: 'Hostname', address: name },
        ],
        daemonEndpoints: { kubeletEndpoint: { Port: logPort } },
        capacity: { cpu: '8', memory: '32Gi', pods: '500', 'ephemeral-storage': '100Gi' },
        allocatable: { cpu: '8', memory: '32Gi', pods: '500', 'ephemeral-storage': '100Gi' },
        nodeInfo: {
          kubeletVersion: 'v1.37.2',
          kubeProxyVersion: '',
          operatingSystem: 'linux',
          architecture: 'amd64',
          containerRuntimeVersion: 'vigil-process://1',
          osImage: 'Vigil process node',
          kernelVersion: '',
          machineID: '',
          systemUUID: '',
          bootID: '',
        },
      },
    },
    MERGE_PATCH,
  );
}
