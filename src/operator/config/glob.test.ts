// matchGlob against Go's path/filepath.Match. The table is the matchTests table of Go's
// src/path/filepath/match_test.go (Copyright The Go Authors, BSD-style license), as data.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GlobPatternError, matchGlob } from './glob.js';

const BAD = 'bad';
const GO_MATCH_TESTS: Array<[pattern: string, value: string, expected: boolean | typeof BAD]> = [
  ['abc', 'abc', true],
  ['*', 'abc', true],
  ['*c', 'abc', true],
  ['a*', 'a', true],
  ['a*', 'abc', true],
  ['a*', 'ab/c', false],
  ['a*/b', 'abc/b', true],
  ['a*/b', 'a/c/b', false],
  ['a*b*c*d*e*/f', 'axbxcxdxe/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false],
  ['a*b?c*x', 'abxbbxdbxebxczzx', true],
  ['a*b?c*x', 'abxbbxdbxebxczzy', false],
  ['ab[c]', 'abc', true],
  ['ab[b-d]', 'abc', true],
  ['ab[e-g]', 'abc', false],
  ['ab[^c]', 'abc', false],
  ['ab[^b-d]', 'abc', false],
  ['ab[^e-g]', 'abc', true],
  ['a\\*b', 'a*b', true],
  ['a\\*b', 'ab', false],
  ['a?b', 'a☺b', true],
  ['a[^a]b', 'a☺b', true],
  ['a???b', 'a☺b', false],
  ['a[^a][^a][^a]b', 'a☺b', false],
  ['[a-ζ]*', 'α', true],
  ['*[a-ζ]', 'A', false],
  ['a?b', 'a/b', false],
  ['a*b', 'a/b', false],
  ['[\\]a]', ']', true],
  ['[\\-]', '-', true],
  ['[x\\-]', 'x', true],
  ['[x\\-]', '-', true],
  ['[x\\-]', 'z', false],
  ['[\\-x]', 'x', true],
  ['[\\-x]', '-', true],
  ['[\\-x]', 'a', false],
  ['[]a]', ']', BAD],
  ['[-]', '-', BAD],
  ['[x-]', 'x', BAD],
  ['[x-]', '-', BAD],
  ['[x-]', 'z', BAD],
  ['[-x]', 'x', BAD],
  ['[-x]', '-', BAD],
  ['[-x]', 'a', BAD],
  ['\\', 'a', BAD],
  ['[a-b-c]', 'a', BAD],
  ['[', 'a', BAD],
  ['[^', 'a', BAD],
  ['[^bc', 'a', BAD],
  ['a[', 'a', BAD],
  ['a[', 'ab', BAD],
  ['a[', 'x', BAD],
  ['a/b[', 'x', BAD],
  ['*x', 'xxx', true],
];

test('matchGlob follows Go filepath.Match (Go test table)', () => {
  for (const [pattern, value, expected] of GO_MATCH_TESTS) {
    if (expected === BAD) {
      assert.throws(() => matchGlob(pattern, value), GlobPatternError, `${pattern} should be a bad pattern`);
    } else {
      assert.equal(
        matchGlob(pattern, value),
        expected,
        `Match(${JSON.stringify(pattern)}, ${JSON.stringify(value)})`,
      );
    }
  }
});

test('matchGlob on the values Trivy Operator applies it to: namespaces and image strings', () => {
  assert.equal(matchGlob('kube-*', 'kube-system'), true);
  assert.equal(matchGlob('kube-*', 'kube-'), true);
  assert.equal(matchGlob('kube-*', 'my-kube-system'), false);
  assert.equal(matchGlob('kube-*', 'kube'), false);
  // An image's repository path has slashes, which * does not cross.
  assert.equal(matchGlob('docker.io/library/*', 'docker.io/library/nginx:1.27'), true);
  assert.equal(matchGlob('docker.io/*', 'docker.io/library/nginx:1.27'), false);
  assert.equal(matchGlob('*/*/*', 'docker.io/library/nginx:1.27'), true);
  assert.equal(matchGlob('*nginx*', 'nginx'), true);
  assert.equal(matchGlob('', ''), true);
  assert.equal(matchGlob('', 'a'), false);
  assert.equal(matchGlob('[^a]', '/'), true, 'a negated class matches the separator, as in Go');
});
