import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createByteLru } from './page-cache.js';

test('the cache never holds more bytes than its budget and evicts entries unused since their placement', () => {
  const lru = createByteLru<string>(100);
  for (let i = 0; i < 10; i++) lru.set(i, `v${i}`, 10);
  assert.equal(lru.bytes, 100);
  lru.get(0); // used since placed: survives the next eviction
  lru.set(10, 'v10', 10);
  assert.equal(lru.bytes, 100);
  assert.equal(lru.get(0), 'v0');
  assert.equal(lru.get(1), undefined, 'the oldest unused entry was evicted');
  lru.set(11, 'big', 60);
  assert.ok(lru.bytes <= 100, `bytes ${lru.bytes}`);
  assert.equal(lru.get(11), 'big');
  lru.set(12, 'too big', 101);
  assert.equal(lru.get(12), undefined, 'an entry larger than the budget is not kept');
  assert.ok(lru.bytes <= 100);
  lru.set(11, 'replaced', 5);
  assert.equal(lru.get(11), 'replaced');
  lru.clear();
  assert.equal(lru.size, 0);
  assert.equal(lru.bytes, 0);
});

test('under a random workload the budget holds and recently used keys stay cached', () => {
  const lru = createByteLru<number>(1000);
  let x = 7;
  for (let i = 0; i < 20000; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const key = x % 300;
    if (lru.get(key) === undefined) lru.set(key, key, 1 + (key % 20));
    assert.ok(lru.bytes <= 1000);
    assert.equal(lru.get(key), key);
  }
});
