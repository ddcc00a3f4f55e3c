import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compareComposer,
  composerScheme,
  normalizeComposer,
  phpVersionCompare,
  satisfiesComposer,
} from './composer.js';
import { VersionError } from './errors.js';

test("composer normalizes versions as Composer's VersionParser does", () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ['1.0.0', '1.0.0.0'],
    ['1.2.3.4', '1.2.3.4'],
    ['v1.0.0', '1.0.0.0'],
    ['1.0', '1.0.0.0'],
    ['2.0.0-beta2', '2.0.0.0-beta2'],
    ['1.0.0-b2', '1.0.0.0-beta2'],
    ['1.0.0-alpha', '1.0.0.0-alpha'],
    ['1.0.0-a.1', '1.0.0.0-alpha1'],
    ['1.0.0RC1', '1.0.0.0-RC1'],
    ['1.0.0-rc.2', '1.0.0.0-RC2'],
    ['1.0.0-pl3', '1.0.0.0-patch3'],
    ['1.0.0-p1', '1.0.0.0-patch1'],
    ['1.0.0-stable', '1.0.0.0'],
    ['1.0.0-dev', '1.0.0.0-dev'],
    ['1.0.0-beta.5-dev', '1.0.0.0-beta5-dev'],
    ['2010.01.02', '2010.01.02.0'],
    ['20100102', '20100102'],
  ];
  for (const [input, normal] of cases) assert.equal(normalizeComposer(input), normal, input);
  for (const bad of ['dev-main', '1.x-dev', '1.x', 'foo', '', '1.0.0-gamma']) {
    assert.throws(
      () => normalizeComposer(bad),
      (e: unknown) => e instanceof VersionError && e.message.includes('composer'),
      bad,
    );
    assert.equal(composerScheme.isValid(bad), false, bad);
  }
});

test('composer orders stabilities dev < alpha < beta < RC < stable < patch (PHP version_compare)', () => {
  const ascending = ['1.0.0-dev', '1.0.0-alpha1', '1.0.0-alpha2', '1.0.0-beta1', '1.0.0-RC1', '1.0.0-RC2'];
  ascending.push('1.0.0', '1.0.0-p1', '1.0.0-patch2', '1.0.1', 'v1.1', '2.0.0.1');
  for (let i = 0; i < ascending.length; i++) {
    for (let j = i + 1; j < ascending.length; j++) {
      assert.equal(compareComposer(ascending[i]!, ascending[j]!), -1, `${ascending[i]} < ${ascending[j]}`);
      assert.equal(compareComposer(ascending[j]!, ascending[i]!), 1, `${ascending[j]} > ${ascending[i]}`);
    }
  }
  assert.equal(compareComposer('1.0', 'v1.0.0.0'), 0);
  // version_compare itself, on PHP manual examples.
  assert.equal(phpVersionCompare('5.2', '5.2.0'), -1);
  assert.equal(phpVersionCompare('1.0rc1', '1.0'), -1);
  assert.equal(phpVersionCompare('1.0pl1', '1.0'), 1);
  assert.equal(phpVersionCompare('1.0-dev', '1.0alpha'), -1);
});

// Real advisory from trivy's integration DB fixtures (shared/fixtures/trivy-db-yaml/composer.yaml, Apache-2.0).
test('composer matches real advisory strings', () => {
  assert.equal(satisfiesComposer('1.8.3', '< 1.8.4'), true); // guzzlehttp/psr7 CVE-2022-24775
  assert.equal(satisfiesComposer('1.8.4', '< 1.8.4'), false);
  assert.equal(satisfiesComposer('v1.8.4', '1.8.4'), true);
  assert.equal(satisfiesComposer('2.1.0', '>= 2.0.0, < 2.2.1 || < 1.8.4'), true);
  // Composer's own ordering: a patch release is newer than the release.
  assert.equal(satisfiesComposer('1.8.4-p1', '< 1.8.4'), false);
});
