import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apkScheme, compareApk, parseApk, satisfiesApk } from './apk.js';
import { VersionError } from './errors.js';
import { readSharedFixture } from './test-fixtures.js';

// version-tables/apk-version.data: apk-tools' own test data as shipped by knqyf263/go-apk-version
// (commit 041fdbb8563f, Apache-2.0), the comparator Trivy uses. One `a <op> b` per line; `#` starts a comment.
test('apk passes every line of apk-version.data', () => {
  const lines = readSharedFixture('version-tables/apk-version.data').split('\n');
  const expected = { '<': -1, '=': 0, '>': 1 } as const;
  let checked = 0;
  for (const [index, raw] of lines.entries()) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') continue;
    const [a, op, b] = line.split(/\s+/);
    assert.ok(
      a !== undefined && b !== undefined && (op === '<' || op === '=' || op === '>'),
      `line ${index + 1}`,
    );
    assert.equal(compareApk(a, b), expected[op], `line ${index + 1}: ${a} ${op} ${b}`);
    assert.equal(compareApk(b, a), -expected[op] || 0, `line ${index + 1} reversed: ${b} vs ${a}`);
    checked++;
  }
  assert.ok(checked > 700, `only ${checked} comparisons read`);
});

test('apk validates as go-apk-version does (its NewVersion cases)', () => {
  for (const valid of [
    '1.2.3',
    '1.2.3_alpha1',
    '1.2.3-r1',
    '0.1.0_alpha_pre2',
    '1.0b',
    '2.2.39-r1',
    '1.0_p20050718',
  ]) {
    assert.equal(parseApk(valid), valid);
  }
  for (const invalid of ['1.0bc', '1.0!', '', '1.0_foo', '1.0B', '1.0-r1.1', '1.0-', '1.0b.1']) {
    assert.throws(
      () => parseApk(invalid),
      (e: unknown) => e instanceof VersionError && e.code === 'INVALID_VERSION' && e.message.includes('apk'),
      invalid,
    );
    assert.equal(apkScheme.isValid(invalid), false, invalid);
  }
});

test('apk orders suffixes, letters, fractions and revisions as apk-tools documents', () => {
  const ascending = [
    '1.2_alpha',
    '1.2_alpha1',
    '1.2_beta',
    '1.2_pre2',
    '1.2_rc1',
    '1.2',
    '1.2-r1',
    '1.2_cvs',
    '1.2_git20200101',
    '1.2_p1',
    '1.2a',
    '1.2b',
    '1.3',
    '1.10',
    '1.10.0',
    '1.11',
  ];
  for (let i = 1; i < ascending.length; i++) {
    assert.equal(compareApk(ascending[i - 1]!, ascending[i]!), -1, `${ascending[i - 1]} < ${ascending[i]}`);
  }
});

test('apk keeps the quirks Trivy has (apk-tools and go-apk-version)', () => {
  // The leading-zero rule: ".0" is read as a fraction, so a suffix after it compares as a longer version.
  assert.equal(compareApk('1.0_rc1', '1.0'), 1);
  assert.equal(compareApk('1.01', '1.1'), -1);
  // go-apk-version (at the commit Trivy pins, 041fdbb8563f) takes any character after "-" as the revision
  // marker, and reads a suffix cut off by the end as invalid and lower than anything.
  assert.equal(compareApk('1.2-1', '1.2-r0'), 0);
  assert.equal(compareApk('1_', '1'), -1);
  assert.equal(compareApk('0_b_', '0_'), 0);
  assert.equal(apkScheme.isValid('1.2_b'), false);
  assert.equal(apkScheme.isValid('a1'), true);
});

test('apk satisfies() reads relational constraints', () => {
  assert.equal(satisfiesApk('1.1.1k-r0', '< 1.1.1l-r0'), true);
  assert.equal(satisfiesApk('1.1.1l-r0', '< 1.1.1l-r0'), false);
  assert.equal(satisfiesApk('2.4.0-r1', '>=2.4.0, <2.4.1 || =3.0-r0'), true);
  assert.throws(() => satisfiesApk('1.0', '< 1.0bc'), VersionError);
});
