import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { createExponentialRateLimiter } from './rate-limiter.js';
import { createFakeClock, settle } from './testkit.js';
import { createWorkQueue } from './workqueue.js';
import { createWorkQueueMetricsProvider } from './workqueue-metrics.js';

/** Resolves get() only if a key is available without time passing. */
async function tryGet<K>(queue: { get(): Promise<K | undefined> }): Promise<K | undefined | 'nothing'> {
  let result: K | undefined | 'nothing' = 'nothing';
  let settled = false;
  void queue.get().then((key) => {
    result = key;
    settled = true;
  });
  await settle();
  return settled ? result : 'nothing';
}

describe('workqueue', () => {
  test('a key added while queued is held once; keys come out in order', async () => {
    const queue = createWorkQueue<string>({ clock: createFakeClock() });
    queue.add('a');
    queue.add('b');
    queue.add('a');
    queue.add('a');
    assert.equal(queue.len(), 2);
    assert.equal(await queue.get(), 'a');
    assert.equal(await queue.get(), 'b');
    assert.equal(queue.len(), 0);
    assert.equal(queue.processing(), 2);
  });

  test('a key re-added while in flight waits for done() and is never handed out twice at once', async () => {
    const queue = createWorkQueue<string>({ clock: createFakeClock() });
    queue.add('a');
    const first = await queue.get();
    assert.equal(first, 'a');
    queue.add('a');
    queue.add('a');
    assert.equal(queue.len(), 0, 'the in-flight key is not queued a second time');
    // A second worker waiting now must not receive 'a'.
    let second: string | undefined | 'pending' = 'pending';
    void queue.get().then((key) => {
      second = key;
    });
    await settle();
    assert.equal(second, 'pending');
    queue.add('b');
    await settle();
    assert.equal(second, 'b', 'other keys still flow to free workers');
    queue.done('a');
    assert.equal(queue.len(), 1, 'the re-add comes back exactly once after done()');
    assert.equal(await queue.get(), 'a');
    queue.done('a');
    queue.done('b');
    assert.equal(await tryGet(queue), 'nothing');
  });

  test('per-key exponential backoff doubles from 5 ms to the cap; forget resets it', async () => {
    const limiter = createExponentialRateLimiter<string>();
    const delays = Array.from({ length: 20 }, () => limiter.when('x'));
    assert.deepEqual(delays.slice(0, 5), [5, 10, 20, 40, 80]);
    assert.equal(delays[17], 5 * 2 ** 17);
    assert.equal(
      Math.max(...Array.from({ length: 40 }, () => limiter.when('x'))),
      1_000_000,
      'capped at 1000 s',
    );
    assert.equal(limiter.when('other'), 5, 'each key has its own history');
    limiter.forget('x');
    assert.equal(limiter.numRequeues('x'), 0);
    assert.equal(limiter.when('x'), 5);

    const custom = createExponentialRateLimiter<string>({ baseDelayMs: 100, maxDelayMs: 300 });
    assert.deepEqual(
      Array.from({ length: 4 }, () => custom.when('k')),
      [100, 200, 300, 300],
    );
    assert.throws(() => createExponentialRateLimiter({ baseDelayMs: 0 }));

    const clock = createFakeClock();
    const queue = createWorkQueue<string>({ clock });
    for (const expected of [5, 10, 20]) {
      queue.addRateLimited('k');
      assert.equal(queue.len(), 0);
      await clock.advance(expected - 1);
      assert.equal(queue.len(), 0, `not before ${expected} ms`);
      await clock.advance(1);
      assert.equal(queue.len(), 1, `due after ${expected} ms`);
      assert.equal(await queue.get(), 'k');
      queue.done('k');
    }
    assert.equal(queue.numRequeues('k'), 3);
    queue.forget('k');
    assert.equal(queue.numRequeues('k'), 0);
    queue.addRateLimited('k');
    await clock.advance(5);
    assert.equal(queue.len(), 1, 'after forget the backoff starts at 5 ms again');
  });

  test('addAfter delays a key; the earlier of two delays wins; zero adds at once', async () => {
    const clock = createFakeClock();
    const queue = createWorkQueue<string>({ clock });
    queue.addAfter('a', 100);
    queue.addAfter('a', 300);
    queue.addAfter('b', 50);
    queue.addAfter('c', 0);
    assert.equal(queue.len(), 1);
    assert.equal(await queue.get(), 'c');
    await clock.advance(50);
    assert.equal(await tryGet(queue), 'b');
    await clock.advance(49);
    assert.equal(queue.len(), 0);
    await clock.advance(1);
    assert.equal(await tryGet(queue), 'a');
    await clock.advance(1000);
    assert.equal(queue.len(), 0, 'the superseded later delay does not add the key again');
    queue.addAfter('d', 200);
    queue.addAfter('d', 20);
    await clock.advance(20);
    assert.equal(await tryGet(queue), 'd', 'an earlier delay replaces a later one');
    assert.equal(clock.pending(), 0, 'no timer left once nothing waits');
  });

  test('shutdown with drain hands out what is queued, waits for work in flight, then ends', async () => {
    const clock = createFakeClock();
    const queue = createWorkQueue<string>({ clock });
    queue.add('a');
    queue.add('b');
    queue.addAfter('later', 1000);
    const a = await queue.get();
    queue.add('a'); // re-add of an in-flight key: dropped by the shutdown
    let drained: boolean | undefined;
    void queue.shutdownWithDrain().then((value) => {
      drained = value;
    });
    queue.add('c');
    assert.equal(queue.len(), 1, 'adds after shutdown are ignored');
    assert.equal(clock.pending(), 0, 'delayed adds are dropped with their timer');
    assert.equal(await queue.get(), 'b', 'queued keys are still handed out');
    queue.done(a!);
    await settle();
    assert.equal(drained, undefined, 'b is still in flight');
    queue.done('b');
    await settle();
    assert.equal(drained, true);
    assert.equal(await queue.get(), undefined, 'an empty queue that is shut down ends its workers');

    const stuck = createWorkQueue<string>({ clock });
    stuck.add('x');
    await stuck.get();
    let result: boolean | undefined;
    void stuck.shutdownWithDrain(500).then((value) => {
      result = value;
    });
    await clock.advance(500);
    assert.equal(result, false, 'a drain gives up after its timeout');
  });

  test('waiting workers are released by shutdown', async () => {
    const queue = createWorkQueue<string>({ clock: createFakeClock() });
    const waiting = [queue.get(), queue.get()];
    queue.shutdown();
    assert.deepEqual(await Promise.all(waiting), [undefined, undefined]);
  });

  test('metrics carry controller-runtime names and the values of what happened', async () => {
    const clock = createFakeClock();
    const registry = new Registry();
    const provider = createWorkQueueMetricsProvider(registry);
    const queue = createWorkQueue<string>({ clock, metrics: provider.forQueue('pods') });
    createWorkQueue<string>({ clock, metrics: provider.forQueue('jobs') });
    queue.add('a');
    queue.add('b');
    queue.add('a');
    await clock.advance(2000);
    const a = await queue.get();
    await clock.advance(3000);
    queue.addRateLimited('c');
    queue.addRateLimited('d');
    const text = await registry.metrics();
    assert.match(text, /^workqueue_depth\{name="pods",controller="pods",priority=""\} 1$/m);
    assert.match(text, /^workqueue_adds_total\{name="pods",controller="pods"\} 2$/m);
    assert.match(text, /^workqueue_retries_total\{name="pods",controller="pods"\} 2$/m);
    assert.match(text, /^workqueue_queue_duration_seconds_sum\{name="pods",controller="pods"\} 2$/m);
    assert.match(text, /^workqueue_unfinished_work_seconds\{name="pods",controller="pods"\} 3$/m);
    assert.match(text, /^workqueue_longest_running_processor_seconds\{name="pods",controller="pods"\} 3$/m);
    assert.match(
      text,
      /^workqueue_adds_total\{name="jobs",controller="jobs"\} 0$/m,
      'idle queues have series',
    );
    queue.done(a!);
    const after = await registry.metrics();
    assert.match(after, /^workqueue_work_duration_seconds_sum\{name="pods",controller="pods"\} 3$/m);
    assert.match(after, /^workqueue_work_duration_seconds_count\{name="pods",controller="pods"\} 1$/m);
    assert.match(after, /^workqueue_unfinished_work_seconds\{name="pods",controller="pods"\} 0$/m);
  });
});
