import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { createController, TerminalError } from './controller.js';
import { createControllerMetricsProvider } from './controller-metrics.js';
import { KubeApiError } from './errors.js';
import { createFakeClock, createRecordingLogger, settle } from './testkit.js';
import { createWorkQueueMetricsProvider } from './workqueue-metrics.js';

/** A promise with its resolve function, to hold a reconcile open. */
function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('controller', () => {
  test('workers run keys in parallel but never the same key twice at once', async () => {
    const clock = createFakeClock();
    const running = new Map<string, number>();
    let maxSameKey = 0;
    let maxParallel = 0;
    const gates = new Map<string, ReturnType<typeof gate>>();
    const calls: string[] = [];
    const controller = createController<string>({
      name: 'test',
      workers: 3,
      clock,
      async reconcile(key) {
        calls.push(key);
        running.set(key, (running.get(key) ?? 0) + 1);
        maxSameKey = Math.max(maxSameKey, running.get(key)!);
        maxParallel = Math.max(
          maxParallel,
          [...running.values()].reduce((a, b) => a + b, 0),
        );
        const g = gate();
        gates.set(key, g);
        await g.promise;
        running.set(key, running.get(key)! - 1);
      },
    });
    controller.start();
    controller.enqueue('a');
    controller.enqueue('b');
    await settle();
    controller.enqueue('a');
    controller.enqueue('a');
    await settle();
    assert.deepEqual(calls, ['a', 'b'], 'a is held back while in flight even though a worker is free');
    gates.get('a')!.open();
    await settle();
    assert.deepEqual(calls, ['a', 'b', 'a'], 'the re-adds collapse into one more reconcile');
    gates.get('a')!.open();
    gates.get('b')!.open();
    await settle();
    assert.equal(maxSameKey, 1);
    assert.equal(maxParallel, 2);
    await controller.stop();
  });

  test('errors requeue with growing backoff; success forgets it; requeueAfter waits that long', async () => {
    const clock = createFakeClock();
    const logger = createRecordingLogger();
    const times: number[] = [];
    let failures = 3;
    const controller = createController<string>({
      name: 'retry',
      clock,
      logger,
      reconcile() {
        times.push(clock.now());
        if (failures-- > 0) throw new Error('API not ready');
        return times.length === 4 ? { requeueAfterMs: 60_000 } : undefined;
      },
    });
    controller.start();
    const start = clock.now();
    controller.enqueue('k');
    await clock.advance(5 + 10 + 20);
    assert.deepEqual(
      times.map((t) => t - start),
      [0, 5, 15, 35],
      'retries after 5, 10 and 20 ms',
    );
    assert.equal(controller.queue.numRequeues('k'), 0, 'the success forgot the failures');
    await clock.advance(59_999);
    assert.equal(times.length, 4);
    await clock.advance(1);
    assert.equal(times.length, 5, 'requeueAfter brought the key back after 60 s');
    assert.equal(logger.lines.filter((l) => l.message.startsWith('reconcile failed')).length, 3);
    await controller.stop();
  });

  test('terminal errors are not retried; crashes and conflicts are retried; nothing stops a worker', async () => {
    const clock = createFakeClock();
    const logger = createRecordingLogger();
    const registry = new Registry();
    const calls: string[] = [];
    const controller = createController<string>({
      name: 'odd',
      clock,
      logger,
      metrics: createControllerMetricsProvider(registry).forController('odd'),
      queueMetrics: createWorkQueueMetricsProvider(registry).forQueue('odd'),
      reconcile(key) {
        calls.push(key);
        const attempt = calls.filter((c) => c === key).length;
        if (key === 'terminal') throw new TerminalError('bad spec');
        if (key === 'sync-throw' && attempt === 1) throw new TypeError('x is undefined');
        if (key === 'string-throw' && attempt === 1) throw 'not an Error';
        if (key === 'conflict' && attempt === 1)
          throw new KubeApiError('PUT /x: 409 Conflict', 409, 'Conflict', '');
        return key === 'requeue' && attempt === 1 ? { requeue: true } : undefined;
      },
    });
    controller.start();
    for (const key of ['terminal', 'sync-throw', 'string-throw', 'conflict', 'requeue', 'fine'])
      controller.enqueue(key);
    await clock.advance(100);
    const count = (key: string) => calls.filter((c) => c === key).length;
    assert.equal(count('terminal'), 1);
    assert.equal(count('sync-throw'), 2);
    assert.equal(count('string-throw'), 2);
    assert.equal(count('conflict'), 2);
    assert.equal(count('requeue'), 2);
    assert.equal(count('fine'), 1);
    assert.ok(logger.lines.some((l) => l.level === 'error' && l.message.includes('for good')));
    assert.ok(logger.lines.some((l) => l.level === 'error' && l.message.includes('crashed')));
    assert.ok(logger.lines.some((l) => l.level === 'debug' && l.message.includes('conflicted')));
    const text = await registry.metrics();
    assert.match(text, /^controller_runtime_reconcile_total\{controller="odd",result="error"\} 4$/m);
    assert.match(text, /^controller_runtime_reconcile_total\{controller="odd",result="requeue"\} 1$/m);
    assert.match(text, /^controller_runtime_reconcile_total\{controller="odd",result="success"\} 5$/m);
    assert.match(text, /^controller_runtime_reconcile_errors_total\{controller="odd"\} 4$/m);
    assert.match(text, /^controller_runtime_terminal_reconcile_errors_total\{controller="odd"\} 1$/m);
    assert.match(text, /^controller_runtime_reconcile_panics_total\{controller="odd"\} 2$/m);
    assert.match(text, /^controller_runtime_max_concurrent_reconciles\{controller="odd"\} 1$/m);
    assert.match(text, /^controller_runtime_active_workers\{controller="odd"\} 0$/m);
    assert.match(text, /^workqueue_retries_total\{name="odd",controller="odd"\} 4$/m);
    await controller.stop();
  });

  test('stop with drain reconciles what is queued; stop without drain aborts and drops it', async () => {
    const clock = createFakeClock();
    const done: string[] = [];
    let held: ReturnType<typeof gate> | undefined;
    const controller = createController<string>({
      name: 'drain',
      clock,
      async reconcile(key, { signal }) {
        if (key === 'slow') {
          held = gate();
          await held.promise;
        }
        done.push(`${key}${signal.aborted ? ' (aborted)' : ''}`);
      },
    });
    controller.start();
    controller.enqueue('slow');
    controller.enqueue('b');
    controller.enqueue('c');
    await settle();
    const stopping = controller.stop({ drain: true });
    controller.enqueue('late');
    held!.open();
    await stopping;
    assert.deepEqual(done, ['slow', 'b', 'c'], 'queued keys finished with a live signal; later adds ignored');

    const dropped: string[] = [];
    let inFlight: ReturnType<typeof gate> | undefined;
    const abrupt = createController<string>({
      name: 'abrupt',
      clock,
      async reconcile(key, { signal }) {
        if (key === 'first') {
          inFlight = gate();
          await inFlight.promise;
        }
        dropped.push(`${key}:${signal.aborted}`);
      },
    });
    abrupt.start();
    abrupt.enqueue('first');
    abrupt.enqueue('second');
    await settle();
    const stopped = abrupt.stop();
    inFlight!.open();
    await stopped;
    assert.deepEqual(
      dropped,
      ['first:true'],
      'the in-flight reconcile saw the abort; the queued key was dropped',
    );
  });

  test('event handlers enqueue the keys mapped from old and new objects', async () => {
    const controller = createController<string>({ name: 'map', clock: createFakeClock(), reconcile() {} });
    const handler = controller.eventHandler<{ metadata: { name: string; labels?: Record<string, string> } }>(
      (object) => object.metadata.labels?.owner,
    );
    handler.onAdd?.({ metadata: { name: 'x', labels: { owner: 'o1' } } });
    handler.onUpdate?.(
      { metadata: { name: 'x', labels: { owner: 'o1' } } },
      { metadata: { name: 'x', labels: { owner: 'o2' } } },
    );
    handler.onDelete?.({ metadata: { name: 'y' } });
    assert.equal(controller.queue.len(), 2);
    assert.deepEqual([await controller.queue.get(), await controller.queue.get()], ['o1', 'o2']);
    assert.throws(() => createController({ name: 'bad', workers: 0, reconcile() {} }), /positive integer/);
  });
});
