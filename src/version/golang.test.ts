import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VersionError } from './errors.js';
import { compareGo, goScheme, parsePseudoVersion, satisfiesGo } from './golang.js';

test('go orders module versions by semver precedence', () => {
  // In ascending order (golang.org/x/mod/semver's documented rules, semver.org §11).
  const ascending = [
    'v0.0.0-20170915032832-14c0d48ead0c', // pseudo-version with no tag before it
    'v0.0.0-20191109021931-daa7c04131f5',
    'v0.1.0',
    'v1.0.0-alpha',
    'v1.0.0-alpha.1',
    'v1.0.0-alpha.beta',
    'v1.0.0-beta.2',
    'v1.0.0-beta.11',
    'v1.0.0-rc.1',
    'v1.0.0',
    'v1.2.3',
    'v1.2.4-0.20191109021931-daa7c04131f5', // pseudo-version after v1.2.3
    'v1.2.4-pre',
    'v1.2.4-pre.0.20191109021931-daa7c04131f5', // pseudo-version after v1.2.4-pre
    'v1.2.4',
    'v2.0.0+incompatible',
    'v2.0.1',
    'v10.0.0',
  ];
  for (let i = 0; i < ascending.length; i++) {
    for (let j = i + 1; j < ascending.length; j++) {
      assert.equal(compareGo(ascending[i]!, ascending[j]!), -1, `${ascending[i]} < ${ascending[j]}`);
      assert.equal(compareGo(ascending[j]!, ascending[i]!), 1, `${ascending[j]} > ${ascending[i]}`);
    }
  }
});

test('go treats shorthands, build metadata and a missing v as x/mod/semver does', () => {
  assert.equal(compareGo('v1', 'v1.0.0'), 0);
  assert.equal(compareGo('v1.2', 'v1.2.0'), 0);
  assert.equal(compareGo('v2.0.0+incompatible', 'v2.0.0'), 0);
  assert.equal(compareGo('0.3.7', 'v0.3.7'), 0);
  for (const bad of ['v1.02.0', 'v1.2.3.4', 'v1.2-pre', 'v01.0.0', 'latest', '(devel)', '', 'v1.0.0-01']) {
    assert.throws(
      () => compareGo(bad, 'v1.0.0'),
      (e: unknown) => e instanceof VersionError && e.code === 'INVALID_VERSION' && e.message.includes('go'),
      bad,
    );
    assert.equal(goScheme.isValid(bad), false, bad);
  }
});

test('go recognises the three pseudo-version forms', () => {
  assert.deepEqual(parsePseudoVersion('v0.0.0-20191109021931-daa7c04131f5'), {
    base: '0.0.0',
    timestamp: '20191109021931',
    revision: 'daa7c04131f5',
  });
  assert.equal(parsePseudoVersion('v1.2.4-0.20191109021931-daa7c04131f5')?.base, '1.2.4-0');
  assert.equal(
    parsePseudoVersion('v1.2.3-pre.0.20191109021931-daa7c04131f5+incompatible')?.base,
    '1.2.3-pre.0',
  );
  assert.equal(parsePseudoVersion('v1.2.3'), undefined);
  assert.equal(parsePseudoVersion('v1.2.3-20191109021931-daa7c04131f5'), undefined);
});

// Real advisories from trivy's integration DB fixtures (shared/fixtures/trivy-db-yaml/go.yaml, Apache-2.0).
test('go matches real advisory strings with Go ordering', () => {
  assert.equal(satisfiesGo('v0.3.6', '>= 0, < 0.3.7'), true); // golang.org/x/text CVE-2021-38561
  assert.equal(satisfiesGo('v0.3.7', '>= 0, < 0.3.7'), false);
  assert.equal(satisfiesGo('v0.3.7', '0.3.7'), true);
  // A pseudo-version with no tag before it is a pre-release of v0.0.0, so it is below ">= 0": go-version (and
  // so Trivy) does not report it for such ranges, and neither does Go's own ordering.
  assert.equal(satisfiesGo('v0.0.0-20210101000000-abcdefabcdef', '>= 0, < 0.3.7'), false);
  assert.equal(satisfiesGo('v0.0.0-20210101000000-abcdefabcdef', '< 0.3.7'), true);
  assert.equal(satisfiesGo('v2.7.1+incompatible', '< v2.8.0'), true); // docker/distribution GMS-2022-20
  assert.equal(satisfiesGo('v2.8.0+incompatible', '< v2.8.0'), false);
  assert.equal(satisfiesGo('v0.36.0', '>= 0.33.1, < 0.37.0'), true); // opa CVE-2022-23628
  assert.equal(satisfiesGo('v0.37.0', '>= 0.33.1, < 0.37.0'), false);
  assert.equal(satisfiesGo('v1.2.4-0.20191109021931-daa7c04131f5', '< 1.2.4'), true);
  assert.throws(() => satisfiesGo('v1.0.0', '<= whatever'), VersionError);
});
