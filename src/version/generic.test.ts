import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VersionError } from './errors.js';
import { compareGeneric, genericScheme, parseGeneric, satisfiesGeneric } from './generic.js';

// Tables from aquasecurity/go-version pkg/version/{version,constraint}_test.go (Apache-2.0): the library
// behind Trivy's GenericComparer.

test('generic accepts and rejects versions as go-version does', () => {
  const valid = [
    '1.2.3',
    '1.0',
    '1',
    '1.2-5',
    '1.2-beta.5',
    '1.2.0-x.Y.0+metadata',
    '1.2.0-x.Y.0+metadata-width-hypen',
  ];
  valid.push(
    '1.2.3-rc1-with-hypen',
    '1.2.3.4',
    '1.2.0.4-x.Y.0+metadata',
    '1.2.0-X-1.2.0+metadata~dist',
    'v1.2.3',
  );
  valid.push('1.7rc2', 'v1.7rc2', '1.0-', '1.02.4', '18446744073709551615');
  for (const v of valid) assert.equal(genericScheme.isValid(v), true, v);
  for (const v of [
    '',
    '1.2.beta',
    '1.21.beta',
    'foo',
    '\n1.2',
    'foo1.2.3',
    '18446744073709551616',
    '1.2.3 ',
  ]) {
    assert.throws(
      () => parseGeneric(v),
      (e: unknown) => e instanceof VersionError && e.code === 'INVALID_VERSION',
      JSON.stringify(v),
    );
  }
});

test('generic orders versions as go-version does', () => {
  const cases: ReadonlyArray<readonly [string, string, -1 | 0 | 1]> = [
    ['1.2.3', '1.4.5', -1],
    ['1.2-beta', '1.2-beta', 0],
    ['1.2', '1.1.4', 1],
    ['1.2', '1.2-beta', 1],
    ['1.2+foo', '1.2+beta', 0],
    ['v1.2', 'v1.2-beta', 1],
    ['v1.2.3.4', 'v1.2.3.4', 0],
    ['v1.2.0.0', 'v1.2', 0],
    ['v1.2.0.0.1', 'v1.2', 1],
    ['v1.2', 'v1.2.0.0.1', -1],
    ['v1.2.3.0', 'v1.2.3.4', -1],
    ['1.7rc2', '1.7rc1', 1],
    ['1.7rc2', '1.7', -1],
    ['1.2.0', '1.2.0-X-1.2.0+metadata~dist', 1],
    ['1.2-beta.1', '1.2-beta.2', -1],
    ['1.2-beta.2', '1.2-beta.11', -1],
    ['3.2-alpha.1', '3.2-alpha', 1],
    ['1.2-beta', '1.2-beta.3', -1],
    ['1.2-alpha', '1.2-beta.3', -1],
    ['3.0-alpha.3', '3.0-rc.1', -1],
    ['3.0-alpha3', '3.0-rc1', -1],
    ['3.0-alpha.1', '3.0-alpha.beta', -1],
    ['5.4-alpha', '5.4-alpha.beta', -1],
    ['v3.2-rc.1-1-g123', 'v3.2-rc.2', 1],
    // Leading zeros are plain numbers (NuGet writes them).
    ['1.02.4', '1.2.4', 0],
    // An `x` identifier is go-version's pre-release wildcard.
    ['1.0.0-x', '1.0.0-beta', 0],
  ];
  for (const [a, b, want] of cases) {
    assert.equal(compareGeneric(a, b), want, `${a} vs ${b}`);
    assert.equal(compareGeneric(b, a), -want || 0, `${b} vs ${a}`);
  }
});

test('generic satisfies() follows go-version constraint semantics', () => {
  const cases: ReadonlyArray<readonly [string, string, boolean]> = [
    ['=2.0.0', '1.2.3', false],
    ['=2.0.0', '2.0.0', true],
    ['= 1.0', '1.1.5', false],
    ['= 1.0', '1.0.0', true],
    ['=4.1', '4.1.0-alpha.1', false],
    ['=4.1-alpha', '4.1.0-alpha', true],
    ['=0', '1.0.0', false],
    ['== 2.0.0', '1.2.3', false],
    ['==4.1-alpha', '4.1.0-alpha', true],
    ['2', '2.1.1', false],
    ['4.1', '4.1.0', true],
    ['!=4.1.0', '4.1.0', false],
    ['!=4.1', '5.1.0-alpha.1', true],
    ['!=4.1-alpha', '4.1.0', true],
    ['<0.0.5', '0.1.0', false],
    ['<0', '0.0.0-alpha', true],
    ['<0-z', '0.0.0-alpha', true],
    ['<0', '1.0.0-alpha', false],
    ['<1', '1.0.0-alpha', true],
    ['<11', '11.1.0', false],
    ['<1.1', '1.1.1', false],
    ['<= 2.1.0-a', '2.0.0', true],
    ['<=11', '11.2.3', false],
    ['<=1.1', '1.1.1', false],
    ['> 2.0', '2.1.0-beta', true],
    ['>0', '0.0.1-alpha', true],
    ['>0', '0.0.0-alpha', false],
    ['>0-0', '0.0.0-alpha', true],
    ['>1.2.3-alpha.1', '1.3.3-alpha.2', true],
    ['>11', '11.1.0', true],
    ['>11.1', '11.1.0', false],
    ['>11.1', '11.1.1', true],
    ['>= 1.0, < 1.2', '1.1.5', true],
    ['>= 2.1.0-a', '2.1.0-beta', true],
    ['>= 2.0.0', '2.1.0-beta', true],
    ['>=0', '0.0.0-alpha', false],
    ['>=0.0.0-0', '3.4.5-beta.1', true],
    ['~> 1.0', '2.0', false],
    ['~> 1.0', '1.2.3', true],
    ['~> 1.0.0', '1.2.3', false],
    ['~> 1.0.7', '1.0.7.5', true],
    ['~> 1.0.7', '1.0.6.99', false],
    ['~> 1.0.9.5', '1.0.9.5.1', true],
    ['~> 2.0', '2.1.0-beta', true],
    ['~> 2.1.0-a', '2.2.0', false],
    ['~> 2.1.0-a', '2.2.0-alpha', true],
    ['~1.2.3', '1.2.4', true],
    ['~1.2.3', '1.3.4', false],
    ['~1.2', '1.2.4', true],
    ['~1', '2.3.4', false],
    ['~1.2.3-beta.2', '1.2.4-beta.2', true],
    ['~1.2.3-beta.2', '1.3.4-beta.2', false],
    ['^1.2.3', '1.8.9', true],
    ['^1.2.3', '2.8.9', false],
    ['^0.2.3', '0.5.6', false],
    ['^0.0.3', '0.0.4', false],
    ['^0.0', '0.0.3', true],
    ['^0.0', '0.1.4', false],
    ['^0', '1.1.4', false],
    ['^1.2.0', '1.2.1-alpha.1', true],
    ['^1.2.0-alpha.2', '1.2.0-alpha.1', false],
    ['^0.2.3-beta.2', '0.3.4-beta.2', false],
    ['< 1.0.0.1 || = 2.0.1.2.3', '2.0', false],
    ['< 1.0.0.1 || = 2.0.5.4.8', '2.0.5.4.8', true],
    ['> 1.0.0.0.1 < 1.0.0.1 || = 2.0.5.4.8', '1.0.0.0.9', true],
    ['>1.2.3', '1.02.4', true],
    ['<1.3.09', '1.05.4', false],
    ['< 1.0 || = 2.0', '0.1', true],
    ['< 1.0 || = 2.0', '1.1', false],
    ['> 1.0, < 1.2 || >3.0', '1.5', false],
    ['> 1.0 < 1.2 || >3.0', '1.5', false],
    ['> 1.0\t< 1.2 || >3.0', '1.1', true],
    ['> 1.0 < 1.2 || >3.0, <4.0', '4.2', false],
    ['^0.2 || ^1', '1.8.0', true],
    ['^0.2, ^1', '1.8.0', false],
  ];
  for (const [constraint, version, want] of cases) {
    assert.equal(satisfiesGeneric(version, constraint), want, `${version} ${constraint}`);
  }
});

test('generic constraints: anything but comparators separated by whitespace or a comma is an error', () => {
  for (const bad of [
    '= abc',
    '> 1.0 || < foo',
    '',
    '*',
    '2.0.x',
    '>= 1.0 foo',
    '>= 1.0,, < 2',
    '1.0 - 2.0',
    '> 1 ||',
  ]) {
    assert.throws(
      () => satisfiesGeneric('1.0', bad),
      (e: unknown) => e instanceof VersionError && e.code === 'INVALID_CONSTRAINT',
      bad,
    );
  }
  assert.throws(() => satisfiesGeneric('x', '>= 1.0'), VersionError);
});

// Real VulnerableVersions / PatchedVersions from trivy's integration DB fixtures (shared/fixtures/trivy-db-yaml,
// aquasecurity/trivy integration/testdata/fixtures/db, Apache-2.0), for ecosystems Trivy matches with go-version.
test('generic matches real advisory strings (k8s, pub, erlang, conan, swift)', () => {
  const k8s = '< 1.24.14 || >= 1.25.0, < 1.25.9 || >= 1.26.0, < 1.26.4 || >= 1.27.0, < 1.27.1';
  assert.equal(satisfiesGeneric('1.24.13', k8s), true);
  assert.equal(satisfiesGeneric('1.24.14', k8s), false);
  assert.equal(satisfiesGeneric('1.25.8', k8s), true);
  assert.equal(satisfiesGeneric('1.26.4', k8s), false);
  assert.equal(satisfiesGeneric('1.28.0', k8s), false);
  assert.equal(satisfiesGeneric('1.24.14', '1.24.14 || 1.25.9 || 1.26.4 || 1.27.1'), true);
  assert.equal(satisfiesGeneric('0.13.3', '<= 0.13.3'), true);
  assert.equal(satisfiesGeneric('1.6.14', '<= 1.6.14'), true);
  assert.equal(satisfiesGeneric('8.44', '<8.44'), false);
  assert.equal(satisfiesGeneric('8.43', '<8.44'), true);
  const swift = '< 2.29.1 || >= 2.39.0, < 2.39.1 || >= 2.41.0, < 2.42.0';
  assert.equal(satisfiesGeneric('2.39.0', swift), true);
  assert.equal(satisfiesGeneric('2.40.0', swift), false);
});
