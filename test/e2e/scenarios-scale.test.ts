/**
 * `vigil operator` end to end (issue 6 point 7), scenarios about many workloads, with
 * OPERATOR_CONCURRENT_SCAN_JOBS_LIMIT=3 on one environment:
 * 3. 20 pending workloads of 20 images: never more than 3 scan Jobs active at once (watched from the test),
 *    and all 20 get their reports;
 * 9. the operator SIGKILLed in the middle of scans and started again loses and duplicates nothing: one report
 *    per container, no image scanned twice;
 * 10. 200 pods sharing 5 images: exactly 5 scan Jobs and 200 reports.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { KubeObject } from '../../src/k8s/index.js';
import type { PushedImage } from '../env/image-builder.js';
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

const LIMIT = 3;
const OPERATOR_ENV = { OPERATOR_CONCURRENT_SCAN_JOBS_LIMIT: String(LIMIT) };

describe('vigil operator scenarios: concurrency limit, restart mid-scan, 200 pods over 5 images', () => {
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

  const pushImages = (repository: string, count: number) =>
    Promise.all(
      Array.from({ length: count }, (_, i) => env.pushUniqueImage(repository, `v${i}`, `${repository}-${i}`)),
    );
  /** Creates objects a few at a time (the API server and the process node share two cores with the rest). */
  const createAll = async (path: string, objects: KubeObject[], parallel = 10) => {
    for (let i = 0; i < objects.length; i += parallel)
      await Promise.all(objects.slice(i, i + parallel).map((o) => env.client.create(path, o)));
  };
  const succeeded = async (ns: string) =>
    (await reportsIn(env, ns)).filter((r) => reportStatus(r).phase === 'Succeeded');
  const keyOf = (image: PushedImage) => image.digestReference;
  /** The scan Jobs of a namespace as "workload: image keys" (for failure messages). */
  const jobList = (ns: string) =>
    jobs
      .inNamespace(ns)
      .map(
        (j) =>
          `${j.metadata?.labels?.['trivy-operator.resource.name']}@${j.metadata?.creationTimestamp}: ${j.metadata?.annotations?.['vigil.aquasecurity.github.io/image-keys']}`,
      )
      .join('\n');

  test(`3. 20 pending workloads: never more than ${LIMIT} scan Jobs active at once; all 20 get reports`, async () => {
    const ns = 'many';
    await createNamespace(env.client, ns);
    const images = await pushImages('vigil/many', 20);
    await createAll(
      `/api/v1/namespaces/${ns}/pods`,
      images.map((image, i) => pod(ns, `p${i}`, image.reference)),
    );
    await env.startOperator(OPERATOR_ENV);
    const reports = await env.waitFor(
      '20 Succeeded reports in many',
      async () => {
        const ok = await succeeded(ns);
        return ok.length === 20 ? ok : undefined;
      },
      300_000,
    );
    assert.deepEqual(
      reports.map((r) => r.metadata.name).sort(),
      images.map((_, i) => `pod-p${i}-main`).sort(),
    );
    assert.equal(jobs.inNamespace(ns).length, 20, `one scan Job per image:\n${jobList(ns)}`);
    assert.ok(jobs.maxActive() <= LIMIT, `at most ${LIMIT} active scan Jobs, saw ${jobs.maxActive()}`);
    assert.equal(jobs.maxActive(), LIMIT, 'the limit was reached (20 were pending)');
  });

  test('9. SIGKILL of the operator in the middle of scans: nothing lost, nothing duplicated, no image scanned twice', async () => {
    const ns = 'restart';
    await createNamespace(env.client, ns);
    const images = await pushImages('vigil/restart', 5);
    const pods: KubeObject[] = Array.from({ length: 8 }, (_, i) =>
      pod(ns, `r${i}`, (images[i % 4] as PushedImage).reference),
    );
    const duo = pod(ns, 'duo', (images[0] as PushedImage).reference, 'first');
    (duo.spec as { containers: Array<{ name: string; image: string }> }).containers.push({
      name: 'second',
      image: (images[4] as PushedImage).reference,
    });
    pods.push(duo);
    await createAll(`/api/v1/namespaces/${ns}/pods`, pods);
    await env.waitFor(
      'a scan Job for the restart namespace',
      async () => jobs.inNamespace(ns).length > 0,
      120_000,
    );
    const reportsAtKill = (await reportsIn(env, ns)).length;
    assert.ok(reportsAtKill < 10, `the kill happens mid-scan (${reportsAtKill} of 10 reports)`);
    assert.equal(await env.killOperator(), 128 + 9, 'the operator died of SIGKILL');
    await env.startOperator(OPERATOR_ENV);

    const expected = [
      ...Array.from({ length: 8 }, (_, i) => `pod-r${i}-main`),
      'pod-duo-first',
      'pod-duo-second',
    ].sort();
    const reports = await env.waitFor(
      '10 Succeeded reports in restart',
      async () => {
        const ok = await succeeded(ns);
        return ok.length === expected.length ? ok : undefined;
      },
      240_000,
    );
    assert.deepEqual(reports.map((r) => r.metadata.name).sort(), expected);
    assert.equal((await reportsIn(env, ns)).length, expected.length, 'no report besides one per container');
    for (const image of images)
      assert.equal(jobs.scansOf(keyOf(image)), 1, `${image.reference} scanned exactly once:\n${jobList(ns)}`);
    assert.equal(jobs.inNamespace(ns).length <= images.length, true, 'no more Jobs than images');
    for (const report of reports) {
      const container = report.metadata.labels?.['trivy-operator.container.name'];
      const podName = report.metadata.labels?.['trivy-operator.resource.name'];
      const spec = pods.find((p) => p.metadata?.name === podName)?.spec as {
        containers: Array<{ name: string; image: string }>;
      };
      const image = spec.containers.find((c) => c.name === container)?.image ?? '';
      assert.equal(
        `${report.report.registry?.server}/${report.report.artifact.repository}:${report.report.artifact.tag}`,
        image,
      );
    }
  });

  test('10. 200 pods sharing 5 images: exactly 5 scan Jobs and 200 reports', async () => {
    const ns = 'crowd';
    await createNamespace(env.client, ns);
    const images = await pushImages('vigil/crowd', 5);
    const started = Date.now();
    await createAll(
      `/api/v1/namespaces/${ns}/pods`,
      Array.from({ length: 200 }, (_, i) => pod(ns, `c${i}`, (images[i % 5] as PushedImage).reference)),
      20,
    );
    const created = Date.now();
    await env.waitFor(
      '200 Succeeded reports in crowd',
      async () => (await succeeded(ns)).length === 200,
      420_000,
    );
    console.log(
      `# 200 pods: created in ${((created - started) / 1000).toFixed(1)} s, all reported after ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    assert.equal((await reportsIn(env, ns)).length, 200);
    assert.equal(jobs.inNamespace(ns).length, 5, `one scan Job per image:\n${jobList(ns)}`);
    for (const image of images)
      assert.equal(jobs.scansOf(keyOf(image)), 1, `${image.reference} scanned once`);
    assert.ok(jobs.maxActive() <= LIMIT, `at most ${LIMIT} active scan Jobs, saw ${jobs.maxActive()}`);
  });
});
