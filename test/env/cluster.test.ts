import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { KubeClient, KubeObject } from '../../src/k8s/kube-client.js';
import { type LocalCluster, startLocalCluster } from './cluster.js';
import { waitFor } from './net.js';
import { isAlive } from './supervisor.js';

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
interface Job extends KubeObject {
  status?: { conditions?: Condition[]; succeeded?: number; failed?: number };
}
interface PodObject extends KubeObject {
  status?: {
    phase?: string;
    containerStatuses?: Array<{
      name: string;
      state: { terminated?: { exitCode: number; reason: string; message?: string } };
    }>;
  };
}

const NS = 'env-test';
const execFileAsync = promisify(execFile);

async function waitForJobCondition(
  client: KubeClient,
  name: string,
  type: string,
  timeoutMs = 60_000,
): Promise<Condition> {
  let found: Condition | undefined;
  await waitFor(
    `Job ${name} condition ${type}`,
    async () => {
      const job = await client.get<Job>(`/apis/batch/v1/namespaces/${NS}/jobs/${name}`);
      found = job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
      return found !== undefined;
    },
    {
      timeoutMs,
      describe: async () =>
        JSON.stringify(
          await client
            .find(`/apis/batch/v1/namespaces/${NS}/jobs/${name}`)
            .then((j) => (j as Job | undefined)?.status),
        ),
    },
  );
  return found!;
}

async function podsOf(client: KubeClient, selector: string): Promise<PodObject[]> {
  return (
    await client.list<PodObject>(`/api/v1/namespaces/${NS}/pods`, { query: { labelSelector: selector } })
  ).items;
}

function job(
  name: string,
  container: Record<string, unknown>,
  spec: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: NS },
    spec: {
      backoffLimit: 0,
      ...spec,
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'main', image: 'docker.io/library/busybox:1.36', ...container }],
        },
      },
    },
  };
}

describe('local cluster: real control plane and process node', () => {
  let cluster: LocalCluster;
  let client: KubeClient;

  before(async () => {
    cluster = await startLocalCluster();
    client = cluster.controlPlane.client;
    await client.create('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: NS },
    });
  });

  after(async () => {
    const pids = cluster.controlPlane.supervisor.running().map((p) => p.child.pid);
    assert.ok(pids.length >= 3, 'etcd, kube-apiserver and kube-controller-manager were running');
    await cluster.stop();
    // Nothing is left behind: every process has exited and the working directory is gone.
    const alive = pids.filter((pid) => isAlive(pid!));
    assert.deepEqual(alive, []);
    assert.equal(existsSync(cluster.controlPlane.dir), false);
    // Mount points made for pods' volumes are removed with the pods.
    assert.equal(existsSync('/etc/vigil-env-test'), false);
    assert.equal(existsSync('/vigil-env-scratch'), false);
  });

  test('a CRD is installed and a custom object round-trips, status subresource included', async () => {
    await client.create('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.test.vigil.dev' },
      spec: {
        group: 'test.vigil.dev',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            subresources: { status: {} },
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: {
                    type: 'object',
                    properties: { size: { type: 'integer', minimum: 1 }, colour: { type: 'string' } },
                  },
                  status: { type: 'object', properties: { phase: { type: 'string' } } },
                },
              },
            },
          },
        ],
      },
    });
    await waitFor(
      'the Widget CRD to be established',
      async () => {
        const crd = await client.get<{ status?: { conditions?: Condition[] } }>(
          '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.test.vigil.dev',
        );
        return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
      },
      { timeoutMs: 30_000 },
    );
    const path = `/apis/test.vigil.dev/v1/namespaces/${NS}/widgets`;
    await waitFor(
      'the widgets resource to be served',
      async () => (await client.list(path)).items !== undefined,
      { timeoutMs: 30_000 },
    );
    const created = await client.create<KubeObject & { spec: { size: number } }>(path, {
      apiVersion: 'test.vigil.dev/v1',
      kind: 'Widget',
      metadata: { name: 'w1', labels: { team: 'vigil' } },
      spec: { size: 3, colour: 'teal' },
    });
    assert.equal(created.spec.size, 3);
    await client.patch(`${path}/w1/status`, { status: { phase: 'Ready' } });
    const read = await client.get<
      KubeObject & { spec: { size: number; colour: string }; status: { phase: string } }
    >(`${path}/w1`);
    assert.deepEqual(read.spec, { size: 3, colour: 'teal' });
    assert.equal(read.status.phase, 'Ready');
    assert.equal(read.metadata?.labels?.team, 'vigil');
    // The schema is enforced by the real API server.
    await assert.rejects(
      client.create(path, {
        apiVersion: 'test.vigil.dev/v1',
        kind: 'Widget',
        metadata: { name: 'w2' },
        spec: { size: 0 },
      }),
      (error: Error & { status?: number }) => error.status === 422,
    );
  });

  test('a Job runs a shell command with env and volumes through the real Job controller; pods/log returns its output', async () => {
    await client.create(`/api/v1/namespaces/${NS}/secrets`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds' },
      stringData: { token: 's3cr3t-token', user: 'alice' },
    });
    await client.create(`/api/v1/namespaces/${NS}/configmaps`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings' },
      data: { greeting: 'hello from a configmap', 'app.conf': 'mode=strict\n' },
    });
    const script = [
      'echo "greeting=$GREETING"',
      'echo "user=$USER_NAME"',
      'echo "pod=$POD_NAME ns=$POD_NS"',
      'echo "expanded=$COMBINED"',
      'cat /etc/vigil-env-test/config/app.conf',
      'echo "token=$(cat /etc/vigil-env-test/secret/token)"',
      'echo scratch-data > /vigil-env-scratch/file && cat /vigil-env-scratch/file',
      'echo to-stderr >&2',
    ].join('; ');
    const withVolumes = job('shell2', {
      command: ['/bin/sh', '-c'],
      args: [script],
      env: [
        { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'settings', key: 'greeting' } } },
        { name: 'USER_NAME', valueFrom: { secretKeyRef: { name: 'creds', key: 'user' } } },
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'POD_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        {
          name: 'MISSING_OPTIONAL',
          valueFrom: { secretKeyRef: { name: 'creds', key: 'nope', optional: true } },
        },
        { name: 'COMBINED', value: '$(USER_NAME)@$(POD_NS)' },
      ],
      volumeMounts: [
        { name: 'config', mountPath: '/etc/vigil-env-test/config', readOnly: true },
        { name: 'secret', mountPath: '/etc/vigil-env-test/secret', readOnly: true },
        { name: 'scratch', mountPath: '/vigil-env-scratch' },
      ],
    });
    const template = (withVolumes.spec as { template: { spec: Record<string, unknown> } }).template.spec;
    template.volumes = [
      { name: 'config', configMap: { name: 'settings' } },
      { name: 'secret', secret: { secretName: 'creds' } },
      { name: 'scratch', emptyDir: {} },
    ];
    await client.create(`/apis/batch/v1/namespaces/${NS}/jobs`, withVolumes);
    await waitForJobCondition(client, 'shell2', 'Complete');

    const [pod] = await podsOf(client, 'job-name=shell2');
    assert.ok(pod, 'the Job controller created a pod');
    assert.equal(pod.status?.phase, 'Succeeded');
    assert.deepEqual(
      pod.status?.containerStatuses?.[0]?.state.terminated && {
        exitCode: pod.status.containerStatuses[0].state.terminated.exitCode,
        reason: pod.status.containerStatuses[0].state.terminated.reason,
      },
      { exitCode: 0, reason: 'Completed' },
    );

    const logs = await client.text(`/api/v1/namespaces/${NS}/pods/${pod.metadata?.name}/log`, {
      query: { container: 'main' },
    });
    const lines = logs.trim().split('\n');
    assert.ok(lines.includes('greeting=hello from a configmap'), logs);
    assert.ok(lines.includes('user=alice'), logs);
    assert.ok(lines.includes(`pod=${pod.metadata?.name} ns=${NS}`), logs);
    assert.ok(lines.includes(`expanded=alice@${NS}`), logs);
    assert.ok(lines.includes('mode=strict'), logs);
    assert.ok(lines.includes('token=s3cr3t-token'), logs);
    assert.ok(lines.includes('scratch-data'), logs);
    assert.ok(lines.includes('to-stderr'), logs);

    const tail = await client.text(`/api/v1/namespaces/${NS}/pods/${pod.metadata?.name}/log`, {
      query: { tailLines: 1, timestamps: true },
    });
    assert.match(tail.trim(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z \S/);
    assert.equal(tail.trim().split('\n').length, 1);
    const limited = await client.text(`/api/v1/namespaces/${NS}/pods/${pod.metadata?.name}/log`, {
      query: { limitBytes: 9 },
    });
    assert.equal(limited, 'greeting=');
    // The mount points were private to the pod: nothing was mounted or left on the host.
    assert.equal(existsSync('/etc/vigil-env-test/config/app.conf'), false);
    assert.equal(existsSync('/vigil-env-scratch/file'), false);
  });

  test('kubectl logs follows a running container to its end, and tails with timestamps', async () => {
    const kubectl = async (...args: string[]) =>
      (
        await execFileAsync(
          join(cluster.controlPlane.binDir, 'kubectl'),
          ['--kubeconfig', cluster.controlPlane.kubeconfigPath, '-n', NS, ...args],
          {
            timeout: 60_000,
          },
        )
      ).stdout;
    await client.create(
      `/apis/batch/v1/namespaces/${NS}/jobs`,
      job('ticker', { command: ['/bin/sh', '-c', 'for i in 1 2 3; do echo tick-$i; sleep 1; done'] }),
    );
    let podName = '';
    await waitFor(
      'the ticker pod to start',
      async () => {
        const [pod] = await podsOf(client, 'job-name=ticker');
        podName = pod?.metadata?.name ?? '';
        return pod?.status?.phase === 'Running';
      },
      { timeoutMs: 30_000 },
    );
    // Started while the container runs: kubectl must stream until the container exits.
    const followed = await kubectl('logs', '-f', podName);
    assert.deepEqual(followed.trim().split('\n'), ['tick-1', 'tick-2', 'tick-3']);
    const tail = await kubectl('logs', podName, '--tail=2', '--timestamps');
    const lines = tail.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^\S+Z tick-2$/);
    assert.match(lines[1]!, /^\S+Z tick-3$/);
    await waitForJobCondition(client, 'ticker', 'Complete');
    // kubectl's own table reads the container status the node reported.
    assert.match(
      await kubectl('get', 'pod', podName, '--no-headers'),
      new RegExp(`^${podName}\\s+0/1\\s+Completed\\s+0\\s`),
    );
  });

  test('a restarted container keeps its previous log (restartPolicy OnFailure, CrashLoopBackOff)', async () => {
    await client.create(`/api/v1/namespaces/${NS}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'crasher' },
      spec: {
        restartPolicy: 'OnFailure',
        containers: [
          {
            name: 'main',
            image: 'docker.io/library/busybox:1.36',
            command: ['/bin/sh', '-c', 'echo attempt; exit 2'],
          },
        ],
      },
    });
    await waitFor(
      'the crasher to restart',
      async () => {
        const pod = await client.get<
          PodObject & { status?: { containerStatuses?: Array<{ restartCount: number }> } }
        >(`/api/v1/namespaces/${NS}/pods/crasher`);
        return (pod.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1;
      },
      { timeoutMs: 30_000 },
    );
    const previous = await client.text(`/api/v1/namespaces/${NS}/pods/crasher/log`, {
      query: { previous: true },
    });
    assert.equal(previous, 'attempt\n');
    const pod = await client.get<{
      status: { containerStatuses: Array<{ lastState: { terminated?: { exitCode: number } } }> };
    }>(`/api/v1/namespaces/${NS}/pods/crasher`);
    assert.equal(pod.status.containerStatuses[0]?.lastState.terminated?.exitCode, 2);
    await client.delete(`/api/v1/namespaces/${NS}/pods/crasher`);
    await waitFor(
      'the crasher to be deleted',
      async () => (await client.find(`/api/v1/namespaces/${NS}/pods/crasher`)) === undefined,
      {
        timeoutMs: 30_000,
      },
    );
  });

  test('a container that exits non-zero fails the Job; its exit code and log tail are in the pod status', async () => {
    await client.create(
      `/apis/batch/v1/namespaces/${NS}/jobs`,
      job('failing', {
        command: ['/bin/sh', '-c', 'echo about to fail; echo boom >&2; exit 3'],
        terminationMessagePolicy: 'FallbackToLogsOnError',
      }),
    );
    const failed = await waitForJobCondition(client, 'failing', 'Failed');
    assert.equal(failed.reason, 'BackoffLimitExceeded');
    const [pod] = await podsOf(client, 'job-name=failing');
    const terminated = pod?.status?.containerStatuses?.[0]?.state.terminated;
    assert.equal(pod?.status?.phase, 'Failed');
    assert.equal(terminated?.exitCode, 3);
    assert.equal(terminated?.reason, 'Error');
    assert.match(terminated?.message ?? '', /boom/);
  });

  test('a Job past its activeDeadlineSeconds fails with DeadlineExceeded and its process is stopped', async () => {
    await client.create(
      `/apis/batch/v1/namespaces/${NS}/jobs`,
      job('slow', { command: ['sleep', '300'] }, { activeDeadlineSeconds: 3 }),
    );
    const failed = await waitForJobCondition(client, 'slow', 'Failed', 90_000);
    assert.equal(failed.reason, 'DeadlineExceeded');
    await waitFor(
      'the slow pod to be gone',
      async () => (await podsOf(client, 'job-name=slow')).length === 0,
      { timeoutMs: 60_000 },
    );
    assert.ok(
      !cluster.node.runningPods().some((p) => p.startsWith(`${NS}/slow-`)),
      'the node no longer runs it',
    );
  });

  test('ttlSecondsAfterFinished deletes a finished Job and its pod', async () => {
    await client.create(
      `/apis/batch/v1/namespaces/${NS}/jobs`,
      job('short-lived', { command: ['true'] }, { ttlSecondsAfterFinished: 1 }),
    );
    await waitForJobCondition(client, 'short-lived', 'Complete');
    await waitFor(
      'the TTL controller to delete the Job and the GC its pod',
      async () =>
        (await client.find(`/apis/batch/v1/namespaces/${NS}/jobs/short-lived`)) === undefined &&
        (await podsOf(client, 'job-name=short-lived')).length === 0,
      { timeoutMs: 60_000 },
    );
  });

  test('deleting an owner garbage-collects its dependents, running pods included', async () => {
    const owner = await client.create<KubeObject>(`/api/v1/namespaces/${NS}/configmaps`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'owner' },
    });
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata?.uid };
    for (const name of ['dep-a', 'dep-b']) {
      await client.create(`/api/v1/namespaces/${NS}/configmaps`, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, ownerReferences: [ref] },
      });
    }
    await client.create(`/apis/apps/v1/namespaces/${NS}/deployments`, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'docker.io/library/nginx:1.25' }] },
        },
      },
    });
    await waitFor(
      'two running web pods',
      async () => (await podsOf(client, 'app=web')).filter((p) => p.status?.phase === 'Running').length === 2,
      { timeoutMs: 60_000 },
    );

    await client.delete(`/api/v1/namespaces/${NS}/configmaps/owner`, {
      query: { propagationPolicy: 'Background' },
    });
    await client.delete(`/apis/apps/v1/namespaces/${NS}/deployments/web`, {
      query: { propagationPolicy: 'Foreground' },
    });
    await waitFor(
      'the dependents to be collected',
      async () =>
        (await client.find(`/api/v1/namespaces/${NS}/configmaps/dep-a`)) === undefined &&
        (await client.find(`/api/v1/namespaces/${NS}/configmaps/dep-b`)) === undefined,
      { timeoutMs: 60_000 },
    );
    await waitFor(
      'the Deployment, its ReplicaSet and its pods to be gone',
      async () =>
        (await client.find(`/apis/apps/v1/namespaces/${NS}/deployments/web`)) === undefined &&
        (
          await client.list(`/apis/apps/v1/namespaces/${NS}/replicasets`, {
            query: { labelSelector: 'app=web' },
          })
        ).items.length === 0 &&
        (await podsOf(client, 'app=web')).length === 0,
      { timeoutMs: 90_000 },
    );
    assert.ok(
      !cluster.node.runningPods().some((p) => p.startsWith(`${NS}/web-`)),
      'the node stopped the web processes',
    );
  });
});
