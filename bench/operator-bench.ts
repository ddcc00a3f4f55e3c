// Benchmark for `vigil operator` on the local cluster (test/env/operator-env.ts: real control plane, registry with
// the test DB, `vigil server` and `vigil operator` as processes). Figures are printed, never asserted:
//  (a) 500 pending bare Pods over 10 images in 5 namespaces, created at once → time until every one has a
//      VulnerabilityReport, with the default scan-Job limit (10) and the seed's (3);
//  (b) API requests per reconciled workload during (a), counted by kube-apiserver itself: the operator runs
//      under its own ServiceAccount and a FlowSchema matches only that identity, so
//      apiserver_flowcontrol_dispatched_requests_total{flow_schema=…} counts exactly the operator's requests
//      (apiserver_request_total has no client label; the operator's user agent vigil-operator/<version> shows
//      only in audit logs);
//  (c) the operator's peak RSS (VmHWM) after a fresh start with 5,000 pods and their reports in its caches.
// The pods are bound to a second registered Node that nothing runs (the operator needs only the API objects;
// 5,000 local processes would swamp the process node), with images pinned by digest as a kubelet would report
// them. Scan Jobs run on the process node as usual. Runs: node dist/bench/operator-bench.js [--pods 500] [--memory-pods 5000] (0: no (c))
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInformer, type KubeObject } from '../src/k8s/index.js';
import { JOB_IMAGE_KEYS_ANNOTATION } from '../src/operator/index.js';
import { buildReportData, buildVulnerabilityReport } from '../src/operator/report/index.js';
import { hugeTrivyReport } from '../src/operator/report/testkit.js';
import { imageKey, type PodSpec, specHash } from '../src/operator/workload/index.js';
import { buildLayer, type PushedImage } from '../test/env/image-builder.js';
import { freePort, waitFor } from '../test/env/net.js';
import { type OperatorEnv, startOperatorEnv, tail } from '../test/env/operator-env.js';
import { vigilCli } from '../test/env/paths.js';
import type { SupervisedProcess } from '../test/env/supervisor.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const PODS = arg('--pods', 500);
const IMAGES = 10;
const NAMESPACES = 5;
const MEMORY_PODS = arg('--memory-pods', 5000);
const IDLE_NODE = 'vigil-bench-idle';
const SA = 'vigil-operator-bench';
const FLOW_SCHEMA = 'vigil-operator-bench';
const REPORTS = '/apis/aquasecurity.github.io/v1alpha1/vulnerabilityreports';

const log = (line: string) => process.stdout.write(`${line}\n`);
const secondsSince = (t: number) => (performance.now() - t) / 1000;

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i] as T, i);
      }
    }),
  );
}

/** A ServiceAccount kubeconfig for the operator, cluster-admin, and a FlowSchema matching only it. */
async function operatorIdentity(env: OperatorEnv): Promise<string> {
  const { client } = env;
  const ns = env.operatorNamespace;
  await client.create(`/api/v1/namespaces/${ns}/serviceaccounts`, { metadata: { name: SA } });
  await client.create('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    metadata: { name: SA },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', name: SA, namespace: ns }],
  });
  await client.create('/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas', {
    metadata: { name: FLOW_SCHEMA },
    spec: {
      priorityLevelConfiguration: { name: 'workload-high' },
      matchingPrecedence: 100,
      distinguisherMethod: { type: 'ByUser' },
      rules: [
        {
          subjects: [{ kind: 'ServiceAccount', serviceAccount: { name: SA, namespace: ns } }],
          resourceRules: [
            { verbs: ['*'], apiGroups: ['*'], resources: ['*'], clusterScope: true, namespaces: ['*'] },
          ],
          nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
        },
      ],
    },
  });
  const token = await client.create<KubeObject & { status: { token: string } }>(
    `/api/v1/namespaces/${ns}/serviceaccounts/${SA}/token`,
    { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 86_400 } },
  );
  const cp = env.cluster.controlPlane;
  const path = join(cp.dir, 'operator-bench.kubeconfig');
  await writeFile(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: local',
      '  cluster:',
      `    server: ${cp.apiServerUrl}`,
      `    certificate-authority: ${cp.pki.caCert}`,
      'users:',
      `- name: ${SA}`,
      '  user:',
      `    token: ${token.status.token}`,
      'contexts:',
      '- name: local',
      '  context: { cluster: local, user: ' + SA + ' }',
      'current-context: local',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return path;
}

/** The operator's requests so far as kube-apiserver's priority-and-fairness filter counted them. */
async function operatorRequests(env: OperatorEnv): Promise<number> {
  const text = await env.client.text('/metrics');
  let sum = 0;
  for (const line of text.split('\n'))
    if (
      line.startsWith('apiserver_flowcontrol_dispatched_requests_total{') &&
      line.includes(`flow_schema="${FLOW_SCHEMA}"`)
    )
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

function peakRssMiB(pid: number | undefined): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN);
  return { peak: kb('VmHWM') / 1024, now: kb('VmRSS') / 1024 };
}

interface RunningOperator {
  process: SupervisedProcess;
  metricsUrl: string;
  stop(): Promise<number>;
}

/** `vigil operator` under the bench's ServiceAccount; resolves once /readyz answers 200 (caches synced). */
async function startOperator(
  env: OperatorEnv,
  kubeconfig: string,
  name: string,
  extra: Record<string, string>,
): Promise<RunningOperator> {
  const [metricsPort, healthPort] = [await freePort(), await freePort()];
  const cleanEnv = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('TRIVY_') && !k.startsWith('OPERATOR_')),
  );
  const proc = env.cluster.controlPlane.supervisor.spawn(
    name,
    process.execPath,
    [vigilCli(), 'operator', '--kubeconfig', kubeconfig],
    {
      env: {
        ...cleanEnv,
        OPERATOR_NAMESPACE: env.operatorNamespace,
        OPERATOR_METRICS_BIND_ADDRESS: `127.0.0.1:${metricsPort}`,
        OPERATOR_HEALTH_PROBE_BIND_ADDRESS: `127.0.0.1:${healthPort}`,
        OPERATOR_LEADER_ELECTION_ENABLED: 'false',
        VIGIL_SCANNER_IMAGE: 'ghcr.io/vigil/vigil:bench',
        VIGIL_LOG_LEVEL: 'warn',
        ...extra,
      },
    },
  );
  await waitFor(
    `${name} to be ready`,
    async () => (await fetch(`http://127.0.0.1:${healthPort}/readyz`).catch(() => undefined))?.status === 200,
    {
      timeoutMs: 300_000,
      intervalMs: 200,
      failIf: () => (proc.child.exitCode !== null ? `${name} exited ${proc.child.exitCode}` : undefined),
      describe: () => tail(readFileSync(proc.logFile, 'utf8'), 30),
    },
  );
  return {
    process: proc,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    stop: () => proc.stop(15_000),
  };
}

const pod = (namespace: string, name: string, image: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace },
  spec: { nodeName: IDLE_NODE, containers: [{ name: 'app', image }] },
});

async function countReports(env: OperatorEnv, namespaces: readonly string[]): Promise<number> {
  let n = 0;
  for (const ns of namespaces)
    n += (
      await env.client.list(`/apis/aquasecurity.github.io/v1alpha1/namespaces/${ns}/vulnerabilityreports`)
    ).items.length;
  return n;
}

/** How many objects a collection holds, without transferring them (a list of 5,000 reports is ~120 MB). */
async function countAll(env: OperatorEnv, path: string): Promise<number> {
  const page = await env.client.list(path, { query: { limit: 1 } });
  const remaining = (page.metadata as { remainingItemCount?: number } | undefined)?.remainingItemCount ?? 0;
  return page.items.length + remaining;
}

/** Ten images of their own (the Debian layer + a layer naming the run), so each run scans afresh. */
async function pushRunImages(env: OperatorEnv, run: string): Promise<PushedImage[]> {
  const images: PushedImage[] = [];
  for (let i = 0; i < IMAGES; i++) {
    const layer = await buildLayer(
      { files: [{ path: `/etc/vigil-bench/${run}-${i}`, content: `${run} ${i}\n` }] },
      env.cluster.controlPlane.dir,
    );
    images.push(await env.pushImage(`bench/${run}-app-${i}`, '1', [env.debian.layer, layer]));
  }
  return images;
}

async function metricLines(url: string, prefix: string): Promise<string[]> {
  const text = await (await fetch(url)).text();
  return text.split('\n').filter((l) => l.startsWith(prefix));
}

async function pendingRun(env: OperatorEnv, kubeconfig: string, run: string, limit: number): Promise<void> {
  const images = await pushRunImages(env, run);
  const namespaces = Array.from({ length: NAMESPACES }, (_, i) => `bench-${run}-${i}`);
  for (const name of namespaces) await env.client.create('/api/v1/namespaces', { metadata: { name } });
  const operator = await startOperator(env, kubeconfig, `vigil-operator-${run}`, {
    OPERATOR_CONCURRENT_SCAN_JOBS_LIMIT: String(limit),
  });
  // Every scan Job the run creates, with the image keys it scans (decision 1: one scan per image).
  const jobs = createInformer<KubeObject>({
    client: env.client,
    path: `/apis/batch/v1/namespaces/${env.operatorNamespace}/jobs`,
  });
  const jobImageKeys = new Map<string, string[]>();
  jobs.addEventHandler({
    onAdd: (job) => {
      const keys = job.metadata?.annotations?.[JOB_IMAGE_KEYS_ANNOTATION] ?? '{}';
      jobImageKeys.set(job.metadata?.uid ?? '', Object.values(JSON.parse(keys) as Record<string, string>));
    },
  });
  jobs.start();
  try {
    if (!(await jobs.waitForSync(30_000))) throw new Error('the scan Jobs watch did not sync within 30 s');
    jobImageKeys.clear();
    const before = await operatorRequests(env);
    const t0 = performance.now();
    await pool(
      Array.from({ length: PODS }, (_, i) => i),
      32,
      async (i) => {
        const ns = namespaces[i % NAMESPACES] as string;
        const image = (images[i % IMAGES] as PushedImage).digestReference;
        await env.client.create(`/api/v1/namespaces/${ns}/pods`, pod(ns, `p-${i}`, image));
      },
    );
    const created = secondsSince(t0);
    let lastPrint = 0;
    let reported = 0;
    await waitFor(
      `${PODS} reports (${run})`,
      async () => {
        reported = await countReports(env, namespaces);
        if (performance.now() - lastPrint > 15_000) {
          log(`  … ${reported}/${PODS} reported after ${secondsSince(t0).toFixed(0)} s`);
          lastPrint = performance.now();
        }
        return reported >= PODS;
      },
      {
        timeoutMs: 1_200_000,
        intervalMs: 1000,
        describe: () =>
          `${reported}/${PODS} reported\n${tail(readFileSync(operator.process.logFile, 'utf8'), 20)}`,
      },
    );
    const done = secondsSince(t0);
    const requests = (await operatorRequests(env)) - before;
    // Finished Jobs are deleted after the reports are written; count that clean-up too.
    await new Promise((r) => setTimeout(r, 5000));
    const requestsSettled = (await operatorRequests(env)) - before;
    const scans = await metricLines(operator.metricsUrl, 'vigil_scan_jobs_total');
    const reused = await metricLines(operator.metricsUrl, 'vigil_scan_results_reused_total');
    log(
      `(a) scanJobsConcurrentLimit=${limit}: ${PODS} pending Pods over ${IMAGES} images in ${NAMESPACES} namespaces → ` +
        `all reported in ${done.toFixed(1)} s from the first create (creating them took ${created.toFixed(1)} s)`,
    );
    const rss = peakRssMiB(operator.process.child.pid);
    const keys = [...jobImageKeys.values()].flat();
    log(
      `    scan Jobs created: ${jobImageKeys.size}, scanning ${keys.length} images (${new Set(keys).size} distinct); ` +
        `operator metrics: ${[...scans, ...reused].join('; ') || '(no series)'}; operator peak RSS ${rss.peak.toFixed(0)} MiB`,
    );
    log(
      `(b) API requests by the operator: ${requests} until all reported = ${(requests / PODS).toFixed(2)} per workload; ` +
        `${requestsSettled} (${(requestsSettled / PODS).toFixed(2)} per workload) including 5 s of clean-up`,
    );
  } finally {
    await jobs.stop();
    await operator.stop();
  }
}

/** (c): pods on the idle node plus reports of ~50 findings written by the bench, then a fresh operator. */
async function memoryRun(env: OperatorEnv, kubeconfig: string, existingPods: number): Promise<void> {
  const add = MEMORY_PODS - existingPods;
  if (add <= 0) {
    log(`(c) skipped: --memory-pods ${MEMORY_PODS} is not more than the ${existingPods} Pods (a) left`);
    return;
  }
  const images = await pushRunImages(env, 'mem');
  const namespaces = Array.from({ length: 10 }, (_, i) => `bench-mem-${i}`);
  for (const name of namespaces) await env.client.create('/api/v1/namespaces', { metadata: { name } });
  const trivy = hugeTrivyReport(50);
  const now = new Date();
  const lastScanTime = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  let bytes = 0;
  const t0 = performance.now();
  await pool(
    Array.from({ length: add }, (_, i) => i),
    32,
    async (i) => {
      const ns = namespaces[i % namespaces.length] as string;
      const image = (images[i % IMAGES] as PushedImage).digestReference;
      const created = await env.client.create<KubeObject & { spec: PodSpec }>(
        `/api/v1/namespaces/${ns}/pods`,
        pod(ns, `m-${i}`, image),
      );
      const report = buildVulnerabilityReport({
        owner: {
          apiVersion: 'v1',
          kind: 'Pod',
          name: created.metadata?.name ?? '',
          namespace: ns,
          uid: created.metadata?.uid ?? '',
          labels: {},
        },
        container: 'app',
        // The operator's own hash of the stored (defaulted) spec, so it finds the report current.
        specHash: specHash(created.spec),
        image,
        imageKey: imageKey(image),
        data: buildReportData(trivy, { image, additionalFields: [], now, scannerVersion: 'bench' }),
        status: { phase: 'Succeeded', lastScanTime },
        resourceLabels: [],
        additionalLabels: {},
      });
      const body = JSON.stringify(report);
      bytes += body.length;
      await env.client.create(
        `/apis/aquasecurity.github.io/v1alpha1/namespaces/${ns}/vulnerabilityreports`,
        report,
      );
    },
  );
  const pods = await countAll(env, '/api/v1/pods');
  const reports = await countAll(env, REPORTS);
  log(
    `    wrote ${add} Pods on Node ${IDLE_NODE} (nothing runs them) and ${add} reports of 50 findings ` +
      `(~${(bytes / add / 1024).toFixed(1)} KiB of JSON each) in ${secondsSince(t0).toFixed(1)} s; ` +
      `the cluster holds ${pods} Pods and ${reports} VulnerabilityReports`,
  );

  const before = await operatorRequests(env);
  const t1 = performance.now();
  const operator = await startOperator(env, kubeconfig, 'vigil-operator-mem', {});
  try {
    const ready = secondsSince(t1);
    // Let the start-up reconcile of every workload finish, then scrape once (metrics are computed from the
    // report cache at scrape time, so a scrape belongs to the peak).
    await new Promise((r) => setTimeout(r, 20_000));
    const scrape = await (await fetch(operator.metricsUrl)).text();
    const series = scrape.split('\n').filter((l) => l.startsWith('trivy_image_vulnerabilities{')).length;
    await new Promise((r) => setTimeout(r, 2000));
    const rss = peakRssMiB(operator.process.child.pid);
    const requests = (await operatorRequests(env)) - before;
    const scans = await metricLines(operator.metricsUrl, 'vigil_scan_jobs_total');
    log(
      `(c) operator with ${pods} Pods and ${reports} reports cached: peak RSS (VmHWM) ${rss.peak.toFixed(0)} MiB, ` +
        `RSS now ${rss.now.toFixed(0)} MiB; ready ${ready.toFixed(1)} s after start; one /metrics scrape: ` +
        `${series} trivy_image_vulnerabilities series, ${(scrape.length / 1024 / 1024).toFixed(1)} MiB`,
    );
    log(
      `    start-up requests (lists, watches, nothing to write): ${requests}; scan Jobs started: ${scans.join('; ') || 'none'}`,
    );
  } finally {
    await operator.stop();
  }
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const env = await startOperatorEnv({ log: () => {} });
  try {
    await env.startServer();
    const kubeconfig = await operatorIdentity(env);
    await env.client.create('/api/v1/nodes', {
      metadata: { name: IDLE_NODE, labels: { 'kubernetes.io/hostname': IDLE_NODE } },
    });
    log(
      `environment up in ${secondsSince(t0).toFixed(1)} s (control plane, registry + test DB, vigil server)`,
    );
    log(
      `Pods are bound to Node ${IDLE_NODE}, which nothing runs: the operator needs only the API objects; images are ` +
        'pinned by digest, as a kubelet reports them. Scan Jobs run on the process node.',
    );

    // Warm the server's layer cache with the Debian base layer, so both runs pay only for their own layers.
    const warm = await startOperator(env, kubeconfig, 'vigil-operator-warm', {});
    await env.client.create('/api/v1/namespaces', { metadata: { name: 'bench-warm' } });
    await env.client.create(
      '/api/v1/namespaces/bench-warm/pods',
      pod('bench-warm', 'warm', env.debianImage.digestReference),
    );
    await waitFor('the warm-up report', async () => (await countReports(env, ['bench-warm'])) === 1, {
      timeoutMs: 300_000,
      intervalMs: 500,
    });
    await warm.stop();

    await pendingRun(env, kubeconfig, 'limit10', 10);
    await pendingRun(env, kubeconfig, 'limit3', 3);
    await memoryRun(env, kubeconfig, 2 * PODS + 1);
  } finally {
    await env.stop();
  }
}

await main();
