import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDecodedCache } from './decoded-cache.js';

const identity = <T>(value: T) => value;

test('a result is served again at once (window), as the same object', () => {
  const cache = createDecodedCache<object>(64 * 1024, identity);
  assert.equal(cache.get('a'), undefined);
  const value = { v: 1 };
  assert.equal(cache.add('a', value, 100), true);
  assert.equal(cache.get('a'), value);
});

test('a budget of 0 keeps nothing', () => {
  const cache = createDecodedCache<object>(0, identity);
  assert.equal(cache.get('a'), undefined);
  assert.equal(cache.add('a', {}, 1), false);
  assert.equal(cache.get('a'), undefined);
  assert.equal(cache.size, 0);
});

test('the byte budget holds, and keys looked up often stay cached through a stream of one-off keys', () => {
  const budget = 256 * 1024;
  const cache = createDecodedCache<string>(budget, (value) => `${value}`);
  const lookup = (key: string, bytes: number) => {
    const hit = cache.get(key);
    if (hit === undefined) cache.add(key, `value of ${key}`, bytes);
    return hit;
  };
  // A working set that fits, looked up a few times.
  for (let round = 0; round < 4; round++) for (let k = 0; k < 50; k++) lookup(`hot-${k}`, 1000);
  let x = 7;
  let hotHits = 0;
  for (let i = 0; i < 50_000; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    lookup(`cold-${i}`, 500 + (x % 4000));
    if (i % 10 === 0 && lookup(`hot-${(i / 10) % 50}`, 1000) !== undefined) hotHits++;
    assert.ok(cache.bytes <= budget, `bytes ${cache.bytes}`);
  }
  assert.ok(hotHits > 4900, `hot keys hit ${hotHits} of 5000 times`);
  assert.equal(cache.get('hot-3'), 'value of hot-3', 'the main cache serves its copy');
});

test('one-off keys alone do not fill the main cache', () => {
  const cache = createDecodedCache<object>(1024 * 1024, identity);
  for (let i = 0; i < 10_000; i++) {
    const key = `k${i}`;
    if (cache.get(key) === undefined) cache.add(key, {}, 1000);
  }
  assert.ok(cache.size <= 16 + 10, `held ${cache.size}`);
});

test('keys are pairs: two pairs that would join to one string stay apart', () => {
  const cache = createDecodedCache<string>(64 * 1024, identity);
  assert.equal(cache.get('ab', 'c'), undefined);
  assert.equal(cache.add('ab', 'first', 100, 'c'), true);
  assert.equal(cache.get('a', 'bc'), undefined);
  assert.equal(cache.add('a', 'second', 100, 'bc'), true);
  assert.equal(cache.get('ab', 'c'), 'first');
  assert.equal(cache.get('a', 'bc'), 'second');
  assert.equal(cache.get('abc'), undefined);
});
