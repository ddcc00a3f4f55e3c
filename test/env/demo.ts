import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeObject } from '../../src/k8s/kube-client.js';
import { startLocalCluster } from './cluster.js';
import { debianBase, pushImage } from './image-builder.js';
import { waitFor } from './net.js';
import { startRegistry } from './registry.js';

export interface DemoOptions {
  once: boolean;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

/**
 * Brings up the local control plane, a process node and a registry holding the Debian test image, runs a
 * sample workload on the node to show the cluster works, prints how to reach everything, and then either
 * stops (--once) or keeps running until SIGINT/SIGTERM.
 */
export async function runDemo(options: DemoOptions): Promise<void> {
  const say = (line: string) => options.out.write(`${line}\n`);
  const note = (line: string) => options.err.write(`demo: ${line}\n`);
  const started = Date.now();

  note('starting etcd, kube-apiserver, kube-controller-manager and the process node');
  const cluster = await startLocalCluster({ log: note });
  const { controlPlane } = cluster;
  note(`starting the OCI registry (control plane up in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  const registry = await startRegistry({ supervisor: controlPlane.supervisor });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    note('stopping');
    await registry.stop();
    await cluster.stop();
  };
  try {
    note('pushing the debootstrapped Debian bookworm image');
    const base = await debianBase();
    const image = await pushImage(registry, 'library/debian', 'bookworm', [base.layer]);

    const client = controlPlane.client;
    await client.create('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'demo' },
    });
    await client.create('/apis/apps/v1/namespaces/demo/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'debian' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'debian' } },
        template: {
          metadata: { labels: { app: 'debian' } },
          spec: { containers: [{ name: 'debian', image: image.reference }] },
        },
      },
    });
    await waitFor(
      'the sample Deployment to run',
      async () => {
        const pods = await client.list<KubeObject & { status?: { phase?: string } }>(
          '/api/v1/namespaces/demo/pods',
        );
        return pods.items.some((p) => p.status?.phase === 'Running');
      },
      { timeoutMs: 60_000 },
    );

    const env = join(controlPlane.dir, 'env.sh');
    await writeFile(
      env,
      `export KUBECONFIG=${controlPlane.kubeconfigPath}\nexport VIGIL_REGISTRY=${registry.host}\n`,
    );
    say('Vigil local environment is up.');
    say(`  KUBECONFIG=${controlPlane.kubeconfigPath}`);
    say(`  API server:   ${controlPlane.apiServerUrl}`);
    say(`  Registry:     ${registry.url} (image ${image.reference}, ${image.manifestDigest})`);
    say(`  Process node: ${cluster.node.name} (logs on 127.0.0.1:${cluster.node.logPort})`);
    say(`  Sample:       deployment/debian in namespace demo`);
    say(`  Try:          source ${env} && kubectl get pods -A`);
    say(`  Up in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  } catch (error) {
    await stop();
    throw error;
  }

  if (options.once) {
    await stop();
    return;
  }
  say('Running until interrupted (Ctrl-C).');
  await new Promise<void>((resolve) => {
    const onSignal = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      void stop().then(resolve);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
