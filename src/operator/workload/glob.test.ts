// Go path/filepath.Match semantics, case by case (the cases follow Go's documented behaviour on Linux).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileGlob, GlobPatternError, matchGlob } from './glob.js';

test('matchGlob matches as Go filepath.Match does', () => {
  const cases: Array<[string, string, boolean]> = [
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
    ['[\\-x]', 'a', false],
    ['*x', 'xxx', true],
    // A negated class may match the separator, as in Go.
    ['a[^x]b', 'a/b', true],
    // A reversed range matches nothing but is not malformed.
    ['[z-a]', 'm', false],
    ['[^z-a]', 'm', true],
    // Regex metacharacters are literals.
    ['a.b', 'axb', false],
    ['a.b', 'a.b', true],
    ['(a|b)+', '(a|b)+', true],
    ['', '', true],
    ['', 'a', false],
    // Image and namespace patterns as operators write them.
    ['docker.io/library/*', 'docker.io/library/nginx:1.25', true],
    ['docker.io/*', 'docker.io/library/nginx:1.25', false],
    ['*/*/nginx:*', 'docker.io/library/nginx:1.25', true],
    ['kube-*', 'kube-system', true],
    ['kube-*', 'my-kube-system', false],
  ];
  for (const [pattern, text, expected] of cases) {
    assert.equal(
      matchGlob(pattern, text),
      expected,
      `Match(${JSON.stringify(pattern)}, ${JSON.stringify(text)})`,
    );
  }
});

test('malformed patterns throw GlobPatternError naming the pattern, whatever the text', () => {
  for (const pattern of [
    '[',
    '[^',
    '[^bc',
    'a[',
    '[]a]',
    '[-]',
    '[x-]',
    '[-x]',
    'a\\',
    '[\\',
    '[a-\\',
    'ab[]',
  ]) {
    assert.throws(
      () => compileGlob(pattern),
      (error: unknown) =>
        error instanceof GlobPatternError &&
        error.pattern === pattern &&
        error.message.includes(JSON.stringify(pattern)),
      pattern,
    );
  }
  // Malformed even when the text fails to match before the bad part (Go would return false without an error).
  assert.throws(() => matchGlob('x[', 'abc'), GlobPatternError);
});
