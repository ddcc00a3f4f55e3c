// Namespace selection as units; the VulnerabilityScanner reconciler against the real API server, with a fake
// clock where a test would otherwise wait for the wall clock's minute to turn.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type ControlPlane, startControlPlane } from '../../../test/env/control-plane.js';
import { waitFor } from '../../../test/env/net.js';
import {
  AQUASECURITY_API_VERSION,
  VULNERABILITY_SCANNER,
  type VulnerabilityScanner,
  type VulnerabilityScannerSpec,
} from '../../k8s/crds/index.js';
import {
  type Clock,
  collectionPath,
  createInformer,
  type KubeClient,
  objectPath,
  systemClock,
} from '../../k8s/index.js';
import { createFakeClock, createRecordingLogger, stopInOrder } from '../../k8s/testkit.js';
import {
  createScheduleReconciler,
  labelSelectorMatches,
  latestRoundStart,
  type RoundCounts,
  scannerSelectsNamespace,
} from './schedule.js';

const execFileAsync = promisify(execFile);
const CRD = fileURLToPath(
  new URL('../../../../deploy/crds/aquasecurity.github.io_vulnerabilityscanners.yaml', import.meta.url),
);

function scanner(
  name: string,
  spec: VulnerabilityScannerSpec,
  lastScheduleTime?: string,
): VulnerabilityScanner {
  return {
    apiVersion: AQUASECURITY_API_VERSION,
    kind: 'VulnerabilityScanner',
    metadata: { name },
    spec,
    ...(lastScheduleTime ? { status: { lastScheduleTime } } : {}),
  };
}

describe('namespace selection', () => {
  test('matchLabels and every matchExpressions operator; absent or empty selects all', () => {
    const labels = { team: 'a', tier: 'web', scan: '' };
    assert.ok(labelSelectorMatches(undefined, labels));
    assert.ok(labelSelectorMatches({}, labels));
    assert.ok(labelSelectorMatches({ matchLabels: { team: 'a' } }, labels));
    assert.ok(!labelSelectorMatches({ matchLabels: { team: 'b' } }, labels));
    assert.ok(!labelSelectorMatches({ matchLabels: { team: 'a', env: 'prod' } }, labels));
    assert.ok(
      labelSelectorMatches(
        { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'db'] }] },
        labels,
      ),
    );
    assert.ok(
      !labelSelectorMatches({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }] }, labels),
    );
    assert.ok(
      !labelSelectorMatches({ matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] }, labels),
    );
    assert.ok(
      labelSelectorMatches(
        { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] },
        labels,
      ),
    );
    assert.ok(
      !labelSelectorMatches(
        { matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['a'] }] },
        labels,
      ),
    );
    assert.ok(
      labelSelectorMatches({ matchExpressions: [{ key: 'scan', operator: 'Exists' }] }, labels),
      'empty value exists',
    );
    assert.ok(!labelSelectorMatches({ matchExpressions: [{ key: 'env', operator: 'Exists' }] }, labels));
    assert.ok(labelSelectorMatches({ matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, labels));
    assert.ok(
      !labelSelectorMatches({ matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] }, labels),
    );
    assert.ok(
      !labelSelectorMatches(
        {
          matchLabels: { team: 'a' },
          matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }],
        },
        labels,
      ),
      'labels and expressions are ANDed',
    );
    assert.ok(
      !labelSelectorMatches({ matchExpressions: [{ key: 'team', operator: 'Matches' as never }] }, labels),
      'unknown operator selects nothing',
    );
    assert.ok(!labelSelectorMatches({ matchLabels: { toString: 'x' } }, {}), 'no prototype keys');
  });

  test('scannerSelectsNamespace reads spec.namespaceSelector', () => {
    const s = scanner('s', { schedule: '@daily', namespaceSelector: { matchLabels: { scan: 'yes' } } });
    assert.ok(scannerSelectsNamespace(s, { scan: 'yes' }));
    assert.ok(!scannerSelectsNamespace(s, { scan: 'no' }));
    assert.ok(scannerSelectsNamespace(scanner('all', { schedule: '@daily' }), {}));
  });

  test('latestRoundStart is the newest round of the non-suspended scanners selecting the namespace', () => {
    const scanners = [
      scanner('all-old', { schedule: '@daily' }, '2026-03-01T00:00:00Z'),
      scanner(
        'team-a',
        { schedule: '@daily', namespaceSelector: { matchLabels: { team: 'a' } } },
        '2026-03-05T00:00:00Z',
      ),
      scanner('suspended', { schedule: '@daily', suspend: true }, '2026-03-09T00:00:00Z'),
      scanner(
        'by-name',
        {
          schedule: '@daily',
          namespaceSelector: {
            matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['shop'] }],
          },
        },
        '2026-03-07T00:00:00Z',
      ),
      scanner('never-ran', { schedule: '@daily' }),
    ];
    assert.equal(
      latestRoundStart(scanners, 'payments', { team: 'a' })?.toISOString(),
      '2026-03-05T00:00:00.000Z',
    );
    assert.equal(
      latestRoundStart(scanners, 'payments', { team: 'b' })?.toISOString(),
      '2026-03-01T00:00:00.000Z',
    );
    assert.equal(
      latestRoundStart(scanners, 'shop', {})?.toISOString(),
      '2026-03-07T00:00:00.000Z',
      'the name label is implied',
    );
    assert.equal(
      latestRoundStart(scanners.slice(2), 'other', {}),
      undefined,
      'only suspended or unrun scanners',
    );
    assert.equal(latestRoundStart([], 'x', {}), undefined);
  });
});

describe('VulnerabilityScanner reconciler on the real API server', () => {
  let cp: ControlPlane;
  const stops: Array<() => Promise<void>> = [];
  const kubectl = async (...args: string[]) =>
    (await execFileAsync(join(cp.binDir, 'kubectl'), ['--kubeconfig', cp.kubeconfigPath, ...args])).stdout;
  const path = (name: string) => objectPath(VULNERABILITY_SCANNER, name);
  const get = (name: string) => cp.client.get<VulnerabilityScanner>(path(name));
  const condition = (s: VulnerabilityScanner, type: string) =>
    s.status?.conditions?.find((c) => c.type === type);

  before(async () => {
    cp = await startControlPlane();
    await kubectl('apply', '-f', CRD);
    await waitFor(
      'the VulnerabilityScanner CRD to serve',
      async () => {
        await cp.client.list(collectionPath(VULNERABILITY_SCANNER));
        return true;
      },
      { timeoutMs: 30_000 },
    );
  });

  after(async () => {
    for (const stop of stops.reverse()) await stop();
    if (cp) await stopInOrder(cp);
  });

  /** A reconciler over the one named scanner, recording the rounds it enqueues and the counts it asks for. */
  async function startSchedule(
    name: string,
    clock: Clock,
    counts: RoundCounts = { queued: 0, scanned: 0, failed: 0 },
    client: KubeClient = cp.client,
  ) {
    const logger = createRecordingLogger();
    const scanners = createInformer<VulnerabilityScanner>({
      client: cp.client,
      path: collectionPath(VULNERABILITY_SCANNER),
      fieldSelector: `metadata.name=${name}`,
    });
    const enqueued: VulnerabilityScanner[] = [];
    const roundStarts: string[] = [];
    const { controller } = createScheduleReconciler({
      client,
      scanners,
      clock,
      logger,
      enqueueRound: (s) => {
        enqueued.push(s);
        return 7;
      },
      countRound: (_s, roundStart) => {
        roundStarts.push(roundStart.toISOString());
        return counts;
      },
    });
    scanners.start();
    controller.start();
    stops.push(async () => {
      await controller.stop();
      await scanners.stop();
    });
    assert.ok(await scanners.waitForSync(20_000));
    const idle = () =>
      waitFor(
        'the scanner controller to be idle',
        async () => controller.queue.len() === 0 && controller.queue.processing() === 0,
        {
          timeoutMs: 20_000,
          intervalMs: 50,
        },
      );
    return { logger, enqueued, roundStarts, controller, scanners, idle };
  }

  /**
   * Creates the scanner, then a fake clock starting at its creationTimestamp. A clock started before the
   * create could see the first fire time fall before the scanner existed (the create crossing a minute
   * boundary on a loaded machine), which rightly makes no round.
   */
  async function createScannerWithClock(body: VulnerabilityScanner) {
    const created = await cp.client.create<VulnerabilityScanner>(collectionPath(VULNERABILITY_SCANNER), body);
    return createFakeClock(Date.parse(created.metadata.creationTimestamp ?? ''));
  }

  test('"* * * * *": next time set at once, then one round per minute, each enqueued once; -o wide shows the counts', async () => {
    const clock = await createScannerWithClock(scanner('every-minute', { schedule: '* * * * *' }));
    const { enqueued, roundStarts, idle } = await startSchedule('every-minute', clock, {
      queued: 0,
      scanned: 5,
      failed: 2,
    });

    const firstNext = Math.floor(clock.now() / 60_000) * 60_000 + 60_000;
    await waitFor(
      'nextScheduleTime',
      async () => (await get('every-minute')).status?.nextScheduleTime !== undefined,
      { timeoutMs: 20_000 },
    );
    let s = await get('every-minute');
    assert.equal(s.status?.nextScheduleTime, new Date(firstNext).toISOString().replace('.000Z', 'Z'));
    assert.equal(
      s.status?.lastScheduleTime,
      undefined,
      'a fire time before the scanner existed is not a missed round',
    );
    assert.equal(condition(s, 'Ready')?.status, 'True');
    assert.equal(condition(s, 'Ready')?.observedGeneration, 1);
    assert.equal(s.status?.observedGeneration, 1);
    await idle();
    assert.equal(enqueued.length, 0);

    for (let round = 1; round <= 2; round++) {
      await clock.advance(firstNext + (round - 1) * 60_000 - clock.now());
      const stamp = new Date(firstNext + (round - 1) * 60_000).toISOString().replace('.000Z', 'Z');
      await waitFor(`round ${round} to be enqueued`, async () => enqueued.length === round, {
        timeoutMs: 20_000,
      });
      await idle();
      s = await get('every-minute');
      assert.equal(s.status?.lastScheduleTime, stamp);
      assert.equal(
        enqueued[round - 1]?.status?.lastScheduleTime,
        stamp,
        'enqueued once the cache shows the stamp',
      );
      assert.equal(
        s.status?.nextScheduleTime,
        new Date(firstNext + round * 60_000).toISOString().replace('.000Z', 'Z'),
      );
      assert.deepEqual(s.status?.workloads, { queued: 0, scanned: 5, failed: 2 });
      assert.ok(
        roundStarts.includes(new Date(stamp).toISOString()),
        'counts asked for the round that started',
      );
      assert.equal(enqueued.length, round, 'exactly one enqueue per round');
    }

    const wide = (await kubectl('get', 'vulnerabilityscanners', 'every-minute', '-o', 'wide'))
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s{2,}/));
    assert.deepEqual(wide[0], [
      'NAME',
      'SCHEDULE',
      'SUSPEND',
      'LAST SCHEDULE',
      'NEXT SCHEDULE',
      'AGE',
      'QUEUED',
      'SCANNED',
      'FAILED',
    ]);
    assert.deepEqual(wide[1]?.slice(-3), ['0', '5', '2']);
    assert.equal(wide[1]?.[1], '* * * * *');
  });

  test('a daily scanner whose last round was 3 days ago runs exactly one round at start', async () => {
    const threeDaysAgo = new Date(Date.now() - 3 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const created = await cp.client.create<VulnerabilityScanner>(
      collectionPath(VULNERABILITY_SCANNER),
      scanner('daily', { schedule: '0 3 * * *' }),
    );
    await cp.client.replace(objectPath(VULNERABILITY_SCANNER, 'daily', undefined, 'status'), {
      ...created,
      status: { lastScheduleTime: threeDaysAgo },
    });
    const before = Date.now();
    const { enqueued, idle, controller } = await startSchedule('daily', systemClock, {
      queued: 4,
      scanned: 1,
      failed: 0,
    });
    await waitFor('the missed round to be enqueued', async () => enqueued.length === 1, {
      timeoutMs: 20_000,
    });
    await idle();
    const s = await get('daily');
    assert.ok(
      Date.parse(s.status?.lastScheduleTime ?? '') >= Math.floor(before / 1000) * 1000,
      'stamped now, not at the missed time',
    );
    assert.equal(condition(s, 'Scanning')?.status, 'True', 'queued workloads mean a round in progress');
    assert.deepEqual(s.status?.workloads, { queued: 4, scanned: 1, failed: 0 });
    // Judged again (as a resync would): still the one round.
    controller.enqueue('daily');
    await idle();
    assert.equal(enqueued.length, 1);
    assert.equal((await get('daily')).status?.lastScheduleTime, s.status?.lastScheduleTime);
  });

  test('a status write that conflicts is retried from a fresh read, and the round is still made once', async () => {
    const clock = await createScannerWithClock(scanner('conflicted', { schedule: '* * * * *' }, undefined));
    let bumped = false;
    // Before the first status write, someone else changes the scanner: the cache's resourceVersion is stale.
    const client: KubeClient = Object.assign(Object.create(null), cp.client, {
      async replace(p: string, body: unknown, options?: Parameters<KubeClient['replace']>[2]) {
        if (!bumped && p.endsWith('/status')) {
          bumped = true;
          await cp.client.patch(path('conflicted'), { metadata: { labels: { touched: 'yes' } } });
        }
        return cp.client.replace(p, body, options);
      },
    }) as KubeClient;
    const { enqueued, idle } = await startSchedule('conflicted', clock, undefined, client);
    await waitFor(
      'nextScheduleTime',
      async () => (await get('conflicted')).status?.nextScheduleTime !== undefined,
      { timeoutMs: 20_000 },
    );
    assert.ok(bumped);
    const next = Date.parse((await get('conflicted')).status?.nextScheduleTime ?? '');
    await idle();
    await clock.advance(next - clock.now());
    await waitFor('the round', async () => enqueued.length === 1, { timeoutMs: 20_000 });
    await idle();
    assert.equal(enqueued.length, 1);
    assert.equal((await get('conflicted')).metadata.labels?.touched, 'yes');
  });

  test('suspend stops rounds and clears the next time; resuming schedules again', async () => {
    const clock = await createScannerWithClock(scanner('paused', { schedule: '* * * * *', suspend: true }));
    const { enqueued, idle, controller } = await startSchedule('paused', clock);
    await waitFor(
      'the Suspended condition',
      async () => condition(await get('paused'), 'Suspended')?.status === 'True',
      { timeoutMs: 20_000 },
    );
    let s = await get('paused');
    assert.equal(s.status?.nextScheduleTime, undefined);
    assert.equal(condition(s, 'Ready')?.status, 'True', 'the schedule itself is fine');
    await idle();
    await clock.advance(3 * 60_000);
    controller.enqueue('paused');
    await idle();
    assert.equal(enqueued.length, 0, 'no round while suspended');
    assert.equal((await get('paused')).status?.lastScheduleTime, undefined);

    await cp.client.patch(path('paused'), { spec: { suspend: false } });
    await waitFor(
      'Suspended False and a next time',
      async () => {
        s = await get('paused');
        return condition(s, 'Suspended')?.status === 'False' && s.status?.nextScheduleTime !== undefined;
      },
      { timeoutMs: 20_000 },
    );
    assert.equal(s.status?.observedGeneration, 2);
    // As a Kubernetes CronJob: fire times passed while suspended are missed ones, and missed ones make one
    // round at once (the three minutes above make one round, not three).
    await waitFor('the missed round on resuming', async () => enqueued.length === 1, { timeoutMs: 20_000 });
    await idle();
    assert.equal(enqueued.length, 1);
    s = await get('paused');
    assert.equal(s.status?.lastScheduleTime, new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    await clock.advance(Date.parse(s.status?.nextScheduleTime ?? '') - clock.now());
    await waitFor('the next scheduled round', async () => enqueued.length === 2, { timeoutMs: 20_000 });
  });

  test('an invalid time zone or schedule gives Ready=False InvalidSchedule with the reason, logged once', async () => {
    await cp.client.create(
      collectionPath(VULNERABILITY_SCANNER),
      scanner('mars', { schedule: '0 2 * * *', timeZone: 'Mars/Olympus' }),
    );
    const { logger, enqueued, idle, controller } = await startSchedule('mars', systemClock);
    await waitFor(
      'the InvalidSchedule condition',
      async () => condition(await get('mars'), 'Ready')?.reason === 'InvalidSchedule',
      {
        timeoutMs: 20_000,
      },
    );
    const s = await get('mars');
    const ready = condition(s, 'Ready');
    assert.equal(ready?.status, 'False');
    assert.match(ready?.message ?? '', /time zone "Mars\/Olympus" is not a known IANA time zone/);
    assert.equal(s.status?.nextScheduleTime, undefined);
    controller.enqueue('mars');
    await idle();
    assert.equal(logger.lines.filter((l) => l.level === 'warn').length, 1, JSON.stringify(logger.lines));
    assert.equal(enqueued.length, 0);

    // The CRD's pattern lets three-letter month names through; the parser is the one that refuses them.
    await cp.client.patch(path('mars'), { spec: { timeZone: 'UTC', schedule: '0 2 * foo *' } });
    await waitFor(
      'the message to follow the new spec',
      async () =>
        /"0 2 \* foo \*" is not a valid cron line/.test(condition(await get('mars'), 'Ready')?.message ?? ''),
      {
        timeoutMs: 20_000,
      },
    );
    await cp.client.patch(path('mars'), { spec: { schedule: '0 2 * * *' } });
    await waitFor(
      'Ready again once fixed',
      async () => {
        const fixed = await get('mars');
        return condition(fixed, 'Ready')?.status === 'True' && fixed.status?.nextScheduleTime !== undefined;
      },
      { timeoutMs: 20_000 },
    );
    assert.equal(condition(await get('mars'), 'Ready')?.observedGeneration, 3);
  });
});
