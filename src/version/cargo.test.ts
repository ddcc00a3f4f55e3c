import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cargoScheme, compareCargo, satisfiesCargo } from './cargo.js';
import { VersionError } from './errors.js';

test('cargo orders versions by SemVer precedence (semver.org §11 examples)', () => {
  const ascending = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2'];
  ascending.push('1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '2.0.0', '2.1.0', '2.1.1', '10.0.0');
  for (let i = 1; i < ascending.length; i++) {
    assert.equal(compareCargo(ascending[i - 1]!, ascending[i]!), -1, `${ascending[i - 1]} < ${ascending[i]}`);
  }
  assert.equal(compareCargo('1.0.0+build.5', '1.0.0+build.7'), 0);
  assert.equal(compareCargo('1.0.0-Alpha', '1.0.0-alpha'), -1);
});

test('cargo rejects what the semver crate rejects', () => {
  for (const bad of ['1.0', 'v1.0.0', '01.0.0', '1.0.0-', '1.0.0-01', '1.0.0.0', '']) {
    assert.throws(
      () => compareCargo(bad, '1.0.0'),
      (e: unknown) =>
        e instanceof VersionError && e.code === 'INVALID_VERSION' && e.message.includes('cargo'),
      bad,
    );
    assert.equal(cargoScheme.isValid(bad), false, bad);
  }
});

// Real advisories from trivy's integration DB fixtures (shared/fixtures/trivy-db-yaml/rust.yaml, Apache-2.0):
// OSV data gives only PatchedVersions, joined with " || ".
test('cargo matches real advisory strings', () => {
  assert.equal(satisfiesCargo('2.0.0', '>= 2.1.0'), false); // ammonia CVE-2019-15542, patched
  assert.equal(satisfiesCargo('2.1.0', '>= 2.1.0'), true);
  const patched = '>= 3.1.0 || >= 2.1.3, < 3.0.0'; // ammonia CVE-2021-38193
  assert.equal(satisfiesCargo('2.1.2', patched), false);
  assert.equal(satisfiesCargo('2.1.3', patched), true);
  assert.equal(satisfiesCargo('3.0.0', patched), false);
  assert.equal(satisfiesCargo('3.1.0', patched), true);
  assert.equal(satisfiesCargo('0.4.9', '< 0.5'), true);
  assert.equal(satisfiesCargo('1.2.3', '1.2.3'), true);
  assert.equal(satisfiesCargo('1.2.4', '1.2.3'), false); // bare versions mean "equal" in Trivy's syntax
  assert.equal(satisfiesCargo('1.4.0', '^1.2.3'), true);
});
