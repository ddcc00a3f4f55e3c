// `vigil demo`: the whole system on the local cluster. The operator's end-to-end harness (test/env/operator-env.ts:
// control plane + process node under $XDG_CACHE_HOME/vigil/e2e, registry with the Debian image and the test
// vulnerability DB as Trivy's artifact, `vigil server` and `vigil operator` as processes) configured as the
// seed configures Trivy Operator, plus sample workloads in three namespaces (one excluded). It waits for a
// report per in-scope container, prints `kubectl get vulnerabilityreports -A -o wide` and how to use the
// cluster, then runs until SIGINT/SIGTERM (or stops with --once).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { VulnerabilityReport } from '../../src/k8s/crds/index.js';
import { REPORT_LABELS } from '../../src/k8s/crds/index.js';
import {
  alpineLayer,
  DEMO_NAMESPACES,
  type DemoImages,
  demoWorkloads,
  EXCLUDED_NAMESPACE,
  type ExpectedReport,
  expectedReports,
} from './demo-workloads.js';
import { type OperatorEnv, startOperatorEnv, tail } from './operator-env.js';

export interface DemoOptions {
  once: boolean;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  /** How long to wait for every report; default 5 minutes. */
  reportTimeoutMs?: number;
}

/** The seed's Trivy Operator settings (trivy-operator-homelab.md, "Helm Values") as the operator's env. */
export const SEED_OPERATOR_ENV: Readonly<Record<string, string>> = Object.freeze({
  OPERATOR_CONCURRENT_SCAN_JOBS_LIMIT: '3',
  OPERATOR_SCAN_JOB_TTL: '30m',
  OPERATOR_SCAN_JOB_RETRY_AFTER: '2m',
  OPERATOR_SCANNER_REPORT_TTL: '72h',
  OPERATOR_EXCLUDE_NAMESPACES: EXCLUDED_NAMESPACE,
});

const REPORTS = '/apis/aquasecurity.github.io/v1alpha1/vulnerabilityreports';

/** Thrown for a demo failure people can act on; the CLI prints the message and exits 1. */
export class DemoError extends Error {
  override readonly name = 'DemoError';
}

function matches(report: VulnerabilityReport, want: ExpectedReport): boolean {
  const labels = report.metadata.labels ?? {};
  const owner = labels[REPORT_LABELS.resourceName] ?? '';
  return (
    report.metadata.namespace === want.namespace &&
    labels[REPORT_LABELS.resourceKind] === want.ownerKind &&
    labels[REPORT_LABELS.containerName] === want.container &&
    (want.ownerNameIsPrefix ? owner.startsWith(want.ownerName) : owner === want.ownerName)
  );
}

const phaseOf = (r: VulnerabilityReport) =>
  (r as VulnerabilityReport & { status?: { phase?: string; reason?: string; message?: string } }).status;

/**
 * Waits (bounded) until every expected container has a report, printing progress when it changes and at least
 * every 10 s. A FAILED report ends the wait with the reason: the demo's images must scan.
 */
async function waitForReports(
  env: OperatorEnv,
  expected: readonly ExpectedReport[],
  note: (line: string) => void,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastLine = '';
  let lastAt = 0;
  for (;;) {
    const reports = (await env.client.list<VulnerabilityReport>(REPORTS)).items as VulnerabilityReport[];
    const missing: ExpectedReport[] = [];
    for (const want of expected) {
      const found = reports.find((r) => matches(r, want));
      const status = found ? phaseOf(found) : undefined;
      if (found && status?.phase === 'FAILED')
        throw new DemoError(
          `the scan of ${want.namespace}/${want.workload} container ${want.container} (${want.image}) failed: ` +
            `${status.reason ?? 'no reason'}: ${status.message ?? ''}\noperator log tail:\n${tail(env.operatorLog(), 20)}`,
        );
      if (!found) missing.push(want);
    }
    const line = `reports ${expected.length - missing.length}/${expected.length}${
      missing.length
        ? `; waiting for ${missing.map((m) => `${m.namespace}/${m.workload}[${m.container}]`).join(', ')}`
        : ''
    }`;
    if (line !== lastLine || Date.now() - lastAt >= 10_000) {
      note(line);
      lastLine = line;
      lastAt = Date.now();
    }
    if (missing.length === 0) return;
    if (Date.now() > deadline)
      throw new DemoError(
        `not every workload got a VulnerabilityReport within ${Math.round(timeoutMs / 1000)} s (${line}).\n` +
          `operator log tail:\n${tail(env.operatorLog(), 30)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

export async function runDemo(options: DemoOptions): Promise<void> {
  const say = (line: string) => options.out.write(`${line}\n`);
  const note = (line: string) => options.err.write(`demo: ${line}\n`);
  const started = Date.now();
  const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

  note(
    'starting etcd, kube-apiserver, kube-controller-manager, the process node, the OCI registry (Debian image, test vulnerability DB)',
  );
  let stopping: Promise<void> | undefined;
  // The process node reports failed status updates while the API server goes down on stop: not news then.
  const clusterLog = (line: string) => {
    if (!stopping) note(line);
  };
  let env: OperatorEnv;
  try {
    env = await startOperatorEnv({ log: clusterLog });
  } catch (error) {
    throw new DemoError(`the local cluster did not start: ${(error as Error).message}`, { cause: error });
  }

  const stop = () => {
    stopping ??= (async () => {
      note('stopping');
      await env.stop();
    })();
    return stopping;
  };
  try {
    const { client, cluster } = env;
    const dir = cluster.controlPlane.dir;
    note(`pushing the Alpine image (cluster up in ${seconds()})`);
    const alpine = await env.pushImage('vigil/alpine', '3.10', [await alpineLayer(dir)]);
    const images: DemoImages = {
      debian: env.debianImage.reference,
      alpine: alpine.reference,
      alpineByDigest: alpine.digestReference,
    };

    note('starting vigil server (ClientServer mode)');
    await env.startServer();
    await client.create('/apis/aquasecurity.github.io/v1alpha1/vulnerabilityscanners', {
      apiVersion: 'aquasecurity.github.io/v1alpha1',
      kind: 'VulnerabilityScanner',
      metadata: { name: 'daily' },
      spec: { schedule: '0 0 * * *' },
    });
    note('starting vigil operator with the seed settings');
    await env.startOperator({ ...SEED_OPERATOR_ENV });

    note(`deploying the sample workloads in ${DEMO_NAMESPACES.join(', ')}`);
    for (const name of DEMO_NAMESPACES) await client.create('/api/v1/namespaces', { metadata: { name } });
    for (const { path, object } of demoWorkloads(images)) await client.create(path, object);

    const expected = expectedReports(images);
    await waitForReports(env, expected, note, options.reportTimeoutMs ?? 300_000);
    const skipped = (
      await client.list<VulnerabilityReport>(
        `/apis/aquasecurity.github.io/v1alpha1/namespaces/${EXCLUDED_NAMESPACE}/vulnerabilityreports`,
      )
    ).items;
    if (skipped.length > 0)
      throw new DemoError(
        `namespace ${EXCLUDED_NAMESPACE} is excluded but has ${skipped.length} report(s): ${skipped.map((r) => r.metadata.name).join(', ')}`,
      );

    const table = await env.kubectl('get', 'vulnerabilityreports', '-A', '-o', 'wide');
    const kubectlPath = join(cluster.controlPlane.binDir, 'kubectl');
    const envFile = join(dir, 'env.sh');
    await writeFile(
      envFile,
      `export KUBECONFIG=${cluster.controlPlane.kubeconfigPath}\nexport PATH=${cluster.controlPlane.binDir}:$PATH\n`,
    );

    say(`Vigil demo: every in-scope container has a VulnerabilityReport (${seconds()}).`);
    say('');
    say('$ kubectl get vulnerabilityreports -A -o wide');
    options.out.write(table.endsWith('\n') ? table : `${table}\n`);
    say('');
    say('Workloads:');
    for (const want of expected)
      say(`  ${want.namespace}/${want.workload} [${want.container}]  ${want.image}`);
    say(
      `  ${EXCLUDED_NAMESPACE}/deployment/legacy [legacy]  ${images.debian}  -> no report: namespace excluded (OPERATOR_EXCLUDE_NAMESPACES=${EXCLUDED_NAMESPACE})`,
    );
    say('');
    say('Configuration (the seed): trivy.mode=ClientServer, trivy.serverURL=' + env.serverUrl);
    say(
      '  scanJobsConcurrentLimit=3, scanJobTTL=30m, scanJobsRetryDelay=2m, scannerReportTTL=72h, ' +
        `excludeNamespaces=${EXCLUDED_NAMESPACE}; VulnerabilityScanner "daily" (0 0 * * *)`,
    );
    say('');
    say(`  KUBECONFIG=${cluster.controlPlane.kubeconfigPath}`);
    say(`  API server:   ${cluster.controlPlane.apiServerUrl}`);
    say(`  Registry:     ${env.registry.url} (images ${images.debian}, ${images.alpine})`);
    say(`  Scan server:  ${env.serverUrl}`);
    say(`  Metrics:      ${env.metricsUrl()}`);
    say(`  kubectl:      ${kubectlPath}`);
    say('Try:');
    say(`  source ${envFile}`);
    say('  kubectl get vulnerabilityreports -n demo-data');
    say('  kubectl get vulnerabilityreport statefulset-db-db -n demo-data -o yaml');
    say('  kubectl get vulnerabilityscanners');
    say(`  kubectl get jobs -n ${env.operatorNamespace}`);
    say(`  curl -s ${env.metricsUrl()} | grep trivy_image_vulnerabilities`);
  } catch (error) {
    await stop();
    if (error instanceof DemoError) throw error;
    throw new DemoError((error as Error).message, { cause: error });
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
