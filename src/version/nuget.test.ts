import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VersionError } from './errors.js';
import { compareNuGet, nugetScheme, satisfiesNuGet } from './nuget.js';

test('nuget orders four-part versions and pre-release labels as NuGet does', () => {
  const ascending = [
    '1.0',
    '1.0.0.1',
    '1.0.1-alpha',
    '1.0.1-alpha.2',
    '1.0.1-alpha.10',
    '1.0.1-beta',
    '1.0.1-RC.1',
  ];
  ascending.push('1.0.1', '1.0.1.5', '1.1', '4.0.0.0', '13.0.1');
  for (let i = 1; i < ascending.length; i++) {
    assert.equal(compareNuGet(ascending[i - 1]!, ascending[i]!), -1, `${ascending[i - 1]} < ${ascending[i]}`);
    assert.equal(compareNuGet(ascending[i]!, ascending[i - 1]!), 1, `${ascending[i]} > ${ascending[i - 1]}`);
  }
  for (const [a, b] of [
    ['1.0', '1.0.0.0'],
    ['1.01', '1.1.0'],
    ['1.0.0-Beta', '1.0.0-beta'],
    ['1.0.0-RC.1', '1.0.0-rc.1'],
    ['1.0.0+build.1', '1.0.0+other'],
    ['1', '1.0.0'],
  ]) {
    assert.equal(compareNuGet(a!, b!), 0, `${a} = ${b}`);
  }
});

test('nuget rejects malformed versions', () => {
  for (const bad of ['1.0.0.0.0', 'v1.0', '1.0-', '1..0', 'abc', '']) {
    assert.throws(
      () => compareNuGet(bad, '1.0'),
      (e: unknown) => e instanceof VersionError && e.message.includes('nuget'),
      bad,
    );
    assert.equal(nugetScheme.isValid(bad), false, bad);
  }
});

// Real advisory from trivy's integration DB fixtures (shared/fixtures/trivy-db-yaml/nuget.yaml, Apache-2.0).
test('nuget matches real advisory strings', () => {
  assert.equal(satisfiesNuGet('12.0.3', '< 13.0.1'), true); // Newtonsoft.Json GHSA-5crp-9r3c-p9vr
  assert.equal(satisfiesNuGet('13.0.1', '< 13.0.1'), false);
  assert.equal(satisfiesNuGet('13.0.1', '13.0.1'), true);
  assert.equal(satisfiesNuGet('4.0.0.1', '>= 4.0.0, < 4.0.1'), true);
  assert.equal(satisfiesNuGet('4.0.1-Preview', '>= 4.0.0, < 4.0.1'), true);
  assert.equal(satisfiesNuGet('4.0.1-preview', '= 4.0.1-PREVIEW'), true);
});
