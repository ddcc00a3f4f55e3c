/**
 * `vigil operator` end to end (issue 6 point 7), scenarios about when scans happen, on one environment with the
 * operator restarted per configuration:
 * 11. OPERATOR_VULNERABILITY_SCANNER_ENABLED=false: a new workload is not scanned until a VulnerabilityScanner
 *     round selects its namespace;
 * 8. a VulnerabilityScanner `* * * * *` rescans the namespaces its namespaceSelector picks, and only those;
 *    its status counts reach scanned = N;
 * 7. OPERATOR_SCANNER_REPORT_TTL=20s: the expired report is deleted and the workload rescanned (a new Job, a
 *    new report);
 * leader election: two operators, only the leader creates Jobs; SIGKILL of the leader → the standby takes over
 *    within 30 s and scanning goes on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { VulnerabilityScanner } from '../../src/k8s/crds/index.js';
import type { KubeObject } from '../../src/k8s/index.js';
import {
  createNamespace,
  type OperatorEnv,
  pod,
  reportStatus,
  reportsIn,
  type ScanJobTracker,
  startOperatorEnv,
  watchScanJobs,
} from '../env/operator-env.js';

const SCANNERS = '/apis/aquasecurity.github.io/v1alpha1/vulnerabilityscanners';

/** Sum of a counter's samples whose labels include all of `labels`, from a Prometheus text page. */
function metricSum(page: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of page.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

describe('vigil operator scenarios: scanner disabled, VulnerabilityScanner rounds, report TTL, leader election', () => {
  let env: OperatorEnv;
  let jobs: ScanJobTracker;

  before(async () => {
    env = await startOperatorEnv();
    jobs = await watchScanJobs(env);
    await env.startServer();
  });

  after(async () => {
    await jobs?.stop();
    await env?.stop();
  });

  const reportOf = async (ns: string, name: string) =>
    (await reportsIn(env, ns)).find((r) => r.metadata.name === name);
  const waitSucceeded = (ns: string, name: string, timeoutMs = 120_000, after = 0) =>
    env.waitFor(
      `report ${ns}/${name} Succeeded${after ? ` (scanned after ${new Date(after).toISOString()})` : ''}`,
      async () => {
        const r = await reportOf(ns, name);
        if (!r || reportStatus(r).phase !== 'Succeeded') return undefined;
        return Date.parse(r.report.updateTimestamp) >= after ? r : undefined;
      },
      timeoutMs,
    );
  const createScanner = (name: string, selector: Record<string, string>) =>
    env.client.create<VulnerabilityScanner>(SCANNERS, {
      apiVersion: 'aquasecurity.github.io/v1alpha1',
      kind: 'VulnerabilityScanner',
      metadata: { name },
      spec: { schedule: '* * * * *', namespaceSelector: { matchLabels: selector } },
    });

  test('11. with vulnerabilityScannerEnabled=false a new workload is scanned only by a VulnerabilityScanner round', async () => {
    await env.startOperator({ OPERATOR_VULNERABILITY_SCANNER_ENABLED: 'false' });
    const ns = 'quiet';
    await createNamespace(env.client, ns, { round: 'quiet' });
    const image = await env.pushUniqueImage('vigil/quiet', '1', 'quiet');
    const workloadReconciles = async () =>
      metricSum(await (await fetch(env.metricsUrl())).text(), 'controller_runtime_reconcile_total', {
        controller: 'workload',
      });
    const before = await workloadReconciles();
    await env.client.create(`/api/v1/namespaces/${ns}/pods`, pod(ns, 'idle', image.reference));
    // The pod is running with its digest and the workload controller has looked at it since.
    await env.waitFor(
      'pod quiet/idle running with an image ID',
      async () => {
        const p = await env.client.get<KubeObject>(`/api/v1/namespaces/${ns}/pods/idle`);
        return (
          p.status as { containerStatuses?: Array<{ imageID?: string }> } | undefined
        )?.containerStatuses?.[0]?.imageID?.includes('@sha256:');
      },
      60_000,
    );
    // Any reconcile after the pod's creation decides (with no round, the pod's state does not matter).
    await env.waitFor(
      'the workload controller to reconcile the pod, its queue empty',
      async () => {
        const page = await (await fetch(env.metricsUrl())).text();
        return (
          metricSum(page, 'controller_runtime_reconcile_total', { controller: 'workload' }) > before &&
          metricSum(page, 'workqueue_depth', { name: 'workload' }) === 0
        );
      },
      30_000,
    );
    assert.deepEqual(jobs.inNamespace(ns), [], 'no scan Job without a round');
    assert.deepEqual(await reportsIn(env, ns), [], 'no report without a round');

    await createScanner('quiet-round', { round: 'quiet' });
    const report = await waitSucceeded(ns, 'pod-idle-main', 150_000);
    const scanner = await env.client.get<VulnerabilityScanner>(`${SCANNERS}/quiet-round`);
    const round = Date.parse(scanner.status?.lastScheduleTime ?? '');
    assert.ok(round > 0, `the round is stamped: ${JSON.stringify(scanner.status)}`);
    assert.ok(Date.parse(report.report.updateTimestamp) >= round - 1000, 'scanned by the round');
    assert.equal(jobs.inNamespace(ns).length, 1, 'one scan Job, from the round');
    await env.client.delete(`${SCANNERS}/quiet-round`);
    await env.stopOperator();
  });

  test('8. a VulnerabilityScanner `* * * * *` rescans the selected namespace only; status reaches scanned = N', async () => {
    await env.startOperator();
    const selected = 'sched-a';
    const other = 'sched-b';
    await createNamespace(env.client, selected, { team: 'a' });
    await createNamespace(env.client, other, { team: 'b' });
    const images = await Promise.all(
      [0, 1, 2].map((i) => env.pushUniqueImage('vigil/sched', `v${i}`, `sched-${i}`)),
    );
    const n = 2;
    for (let i = 0; i < n; i++)
      await env.client.create(
        `/api/v1/namespaces/${selected}/pods`,
        pod(selected, `a${i}`, images[i]?.reference ?? ''),
      );
    await env.client.create(`/api/v1/namespaces/${other}/pods`, pod(other, 'b0', images[2]?.reference ?? ''));
    for (let i = 0; i < n; i++) await waitSucceeded(selected, `pod-a${i}-main`);
    const untouched = await waitSucceeded(other, 'pod-b0-main');
    const jobsBefore = { a: jobs.inNamespace(selected).length, b: jobs.inNamespace(other).length };
    assert.deepEqual(jobsBefore, { a: n, b: 1 });

    await createScanner('team-a', { team: 'a' });
    const stamped = await env.waitFor(
      'the first round of team-a',
      async () => {
        const s = await env.client.get<VulnerabilityScanner>(`${SCANNERS}/team-a`);
        return s.status?.lastScheduleTime ? s : undefined;
      },
      90_000,
    );
    const round = Date.parse(stamped.status?.lastScheduleTime ?? '');
    for (let i = 0; i < n; i++) await waitSucceeded(selected, `pod-a${i}-main`, 120_000, round);
    const counted = await env.waitFor(
      `team-a's status to count scanned = ${n}`,
      async () => {
        const s = await env.client.get<VulnerabilityScanner>(`${SCANNERS}/team-a`);
        return s.status?.workloads?.scanned === n ? s : undefined;
      },
      60_000,
    );
    assert.deepEqual(counted.status?.workloads, { queued: 0, scanned: n, failed: 0 });
    // `* * * * *` may have started another round meanwhile: at least one rescan each.
    assert.ok(jobs.inNamespace(selected).length >= 2 * n, 'each selected workload scanned again');
    await env.client.delete(`${SCANNERS}/team-a`);
    assert.equal(jobs.inNamespace(other).length, 1, 'the other namespace was not rescanned');
    const after = await reportOf(other, 'pod-b0-main');
    assert.equal(after?.report.updateTimestamp, untouched.report.updateTimestamp, 'sched-b report unchanged');
    await env.stopOperator();
  });

  test('7. OPERATOR_SCANNER_REPORT_TTL=20s: the expired report is replaced by a new scan', async () => {
    await env.startOperator({ OPERATOR_SCANNER_REPORT_TTL: '20s' });
    const ns = 'ttl';
    await createNamespace(env.client, ns);
    const image = await env.pushUniqueImage('vigil/ttl', '1', 'ttl');
    await env.client.create(`/api/v1/namespaces/${ns}/pods`, pod(ns, 'short', image.reference));
    const first = await waitSucceeded(ns, 'pod-short-main');
    assert.equal(first.metadata.annotations?.['trivy-operator.aquasecurity.github.io/report-ttl'], '20s');
    assert.equal(jobs.forWorkload('Pod', ns, 'short').length, 1);
    const second = await env.waitFor(
      'a new report for ttl/short after the first expired',
      async () => {
        const r = await reportOf(ns, 'pod-short-main');
        return r && r.metadata.uid !== first.metadata.uid && reportStatus(r).phase === 'Succeeded'
          ? r
          : undefined;
      },
      90_000,
    );
    assert.ok(
      Date.parse(second.metadata.creationTimestamp ?? '') >
        Date.parse(first.metadata.creationTimestamp ?? ''),
      'a new creationTimestamp',
    );
    assert.ok(Date.parse(second.report.updateTimestamp) > Date.parse(first.report.updateTimestamp));
    assert.equal(jobs.forWorkload('Pod', ns, 'short').length, 2, 'a new scan Job');
    await env.stopOperator();
    // The ttl namespace's reports would keep expiring under the next operators: remove it.
    await env.client.delete(`/api/v1/namespaces/${ns}`);
  });

  test('leader election: only the leader creates Jobs; SIGKILL of the leader → the standby takes over within 30 s', async () => {
    const le = { OPERATOR_LEADER_ELECTION_ENABLED: 'true', OPERATOR_LEADER_ELECTION_ID: 'e2e-lock' };
    const first = await env.startOperatorReplica('a', { ...le, POD_NAME: 'op-a' });
    const second = await env.startOperatorReplica('b', { ...le, POD_NAME: 'op-b' });
    const lease = async () =>
      (
        await env.client.find<KubeObject>(
          `/apis/coordination.k8s.io/v1/namespaces/${env.operatorNamespace}/leases/e2e-lock`,
        )
      )?.spec as { holderIdentity?: string } | undefined;
    const holder = await env.waitFor(
      'a holder of the e2e-lock Lease',
      async () => (await lease())?.holderIdentity,
      60_000,
    );
    const [leader, standby] = holder.startsWith('op-a_') ? [first, second] : [second, first];
    assert.ok(/^op-[ab]_/.test(holder), holder);

    const ns = 'elected';
    await createNamespace(env.client, ns);
    const images = await Promise.all(
      [1, 2].map((i) => env.pushUniqueImage('vigil/elected', `v${i}`, `le-${i}`)),
    );
    await env.client.create(`/api/v1/namespaces/${ns}/pods`, pod(ns, 'one', images[0]?.reference ?? ''));
    await waitSucceeded(ns, 'pod-one-main');
    assert.match(leader.log(), /scan job created/);
    assert.doesNotMatch(standby.log(), /scan job created|controllers started/, 'the standby created nothing');

    assert.equal(await leader.kill(), 128 + 9);
    const killedAt = Date.now();
    await env.client.create(`/api/v1/namespaces/${ns}/pods`, pod(ns, 'two', images[1]?.reference ?? ''));
    await env.waitFor(
      'the standby to take the lease',
      async () => (await lease())?.holderIdentity?.startsWith(holder.slice(0, 5)) === false,
      30_000,
    );
    const tookOver = Date.now() - killedAt;
    assert.ok(tookOver <= 30_000, `took over after ${tookOver} ms`);
    await waitSucceeded(ns, 'pod-two-main');
    assert.match(standby.log(), /scan job created/, 'the new leader scans');
    assert.equal(jobs.inNamespace(ns).length, 2, 'one Job per workload');
    await standby.stop();
  });
});
