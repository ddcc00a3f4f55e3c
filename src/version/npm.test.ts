import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VersionError } from './errors.js';
import { compareNpm, npmScheme, satisfiesNpm } from './npm.js';

// Rows of aquasecurity/go-npm-version pkg/constraint_testcase.go (Apache-2.0, commit 0b796d18079841855d6b),
// which its hack/generator computes with node-semver's own `satisfies`. Only rows whose version is not a
// pre-release are kept here: for those, Trivy's include-pre-release mode and npm's default agree.
// Columns: version, constraint, expected.
const NODE_SEMVER_ROWS = `
1.2.3	=2.0.0	false
2.0.0	=2.0.0	true
1.2.3	=2.0	false
2.0.0	=2.0	true
2.0.1	=2.0	true
1.0.0	=0	false
4.1.0	4.1	true
1.0.0	2	false
3.4.5	2	false
2.1.1	2	true
2.1.1	2.1	true
2.2.1	2.1	false
0.1.0	<11	true
11.1.0	<11	false
0.1.0	<1.1	true
1.1.0	<1.1	false
1.1.1	<1.1	false
1.2.2	<1.2.3	true
1.2.2	<1.2.3-beta	true
1.2.3	<=11	true
12.2.3	<=11	false
11.2.3	<=11	true
1.2.3	<=1.1	false
0.1.0	<=1.1	true
1.1.0	<=1.1	true
1.1.1	<=1.1	true
1.2.2	<=1.2.3-beta	true
4.1.0	>1.1	true
1.1.0	>1.1	false
0.0.0	>0	false
1.0.0	>0	true
11.1.0	>11	false
11.1.0	>11.1	false
11.1.1	>11.1	false
11.2.1	>11.1	true
11.1.2	>=11	true
11.1.2	>=11.1	true
11.0.2	>=11.1	false
4.1.0	>=1.1	true
1.1.0	>=1.1	true
0.0.9	>=1.1	false
1.2.3	>=0.0.0-0	true
0.0.0	>=0	true
1.0.0	*	true
4.5.6	*	true
1.0.0	2.*	false
3.4.5	2.*	false
2.1.1	2.*	true
2.1.1	2.1.*	true
2.2.1	2.1.*	false
1.0.0		true
4.5.6		true
1.2.4	~1.2.3	true
1.3.4	~1.2.3	false
1.2.4	~1.2	true
1.3.4	~1.2	false
1.2.4	~1	true
2.3.4	~1	false
0.2.5	~0.2.3	true
0.3.5	~0.2.3	false
0.2.0	~0.2	true
0.2.1	~0.2	true
0.3.0	~0.2	false
0.0.0	~0	true
0.1.2	~0	true
1.0.0	~0	false
1.8.9	^1.2.3	true
2.8.9	^1.2.3	false
1.2.1	^1.2.3	false
2.1.0	^1.1.0	false
2.2.1	^1.2.0	false
1.8.9	^1.2	true
2.8.9	^1.2	false
1.8.9	^1	true
2.8.9	^1	false
0.2.5	^0.2.3	true
0.5.6	^0.2.3	false
0.2.5	^0.2	true
0.5.6	^0.2	false
0.0.3	^0.0.3	true
0.0.4	^0.0.3	false
0.0.3	^0.0	true
0.1.4	^0.0	false
1.0.4	^0.0	false
0.2.3	^0	true
1.1.4	^0	false
1.0.0	^1.2.x	false
1.2.0	^1.2.x	true
2.0.0	^1.2.x	false
0.0.0	^0.0.x	true
0.0.1	^0.0.x	true
0.1.0	^0.0.x	false
1.0.0	^1.x	true
1.2.3	^1.x	true
2.0.0	^1.x	false
0.0.0	^0.x	true
0.1.2	^0.x	true
1.0.0	^0.x	false
1.2.4	>1.2.3 <2.0.0	true
2.0.0	>1.2.3 <2.0.0	false
3.0.0	>1.2.3 <2.0.0 || >3.0.0	false
4.0.0	>1.2.3 <2.0.0 || >3.0.0	true
4.0.0	> 1.2.3 < 2.0.0 || > 3.0.0	true
4.0.0	<1.2.3 || > 3.0.0 < 4.0.0	false
4.0.0	<1.2.3 || > 3.0.0 <= 4.0.0	true
`;

test("npm agrees with node-semver on go-npm-version's generated table (release versions)", () => {
  let checked = 0;
  for (const row of NODE_SEMVER_ROWS.split('\n')) {
    if (row === '') continue;
    const [version, constraint, want] = row.split('\t');
    assert.ok(version !== undefined && constraint !== undefined, row);
    assert.equal(
      satisfiesNpm(version, constraint),
      want === 'true',
      `${version} ${JSON.stringify(constraint)}`,
    );
    checked++;
  }
  assert.equal(checked, 105);
});

// The same table's pre-release rows, with the answers of Trivy's mode (go-npm-version WithPreRelease(true)):
// a pre-release is in a range when the ordering puts it there. Where npm's default differs, the comment
// gives node-semver's answer.
const PRE_RELEASE_ROWS: ReadonlyArray<readonly [string, string, boolean]> = [
  ['1.2.3-alpha', '<1.2.3-beta', true],
  ['1.2.2-alpha', '<1.2.3-beta', true], // npm: false
  ['0.0.0-alpha', '<0', false], // X-range: <0 means below 0.0.0-0
  ['0.0.0-alpha', '<0.0.0-z', true],
  ['1.2.2-alpha', '<=1.2.3-beta', true], // npm: false
  ['0.0.1-alpha', '>0', false],
  ['0.0.1-alpha', '>0.0', false],
  ['0.0.0-alpha', '>0.0.0-0', true],
  ['1.3.3-alpha.2', '>1.2.3-alpha.1', true], // npm: false
  ['0.0.1-alpha', '>=0', true], // npm: false
  ['0.0.0-alpha', '>=0.0.0-0', true],
  ['3.4.5-beta.1', '>=0.0.0-0', true], // npm: false
  ['1.3.3-alpha.2', '>=1.2.3-alpha.1', true], // npm: false
  ['1.2.3-alpha.1', '*', true], // npm: false
  ['1.2.3-alpha.1', '', true], // npm: false
  ['0.3.0-alpha', '~0.2', true], // npm: false (below the 0.3.0 bound)
  ['1.0.0-beta', '~0', true], // npm: false
  ['1.2.4-beta.2', '~1.2.3-beta.2', true], // npm: false
  ['1.3.4-beta.2', '~1.2.3-beta.2', false],
  ['1.2.1-alpha.1', '^1.2.0', true], // npm: false
  ['1.2.1-alpha.0', '^1.2.0-alpha.0', true], // npm: false
  ['1.2.0-alpha.1', '^1.2.0-alpha.2', false],
  ['0.2.4-beta.2', '^0.2.3-beta.2', true], // npm: false
  ['0.3.4-beta.2', '^0.2.3-beta.2', false],
  ['2.0.0-beta', '<2.0.0', true], // npm: false
  ['2.0.0-beta', '^1.2.3', true], // npm: false (node-semver's own include-prerelease mode bounds at 2.0.0-0)
];

test('npm includes pre-releases in ranges, as Trivy does', () => {
  for (const [version, constraint, want] of PRE_RELEASE_ROWS) {
    assert.equal(satisfiesNpm(version, constraint), want, `${version} ${JSON.stringify(constraint)}`);
  }
});

test("npm reads go-npm-version's extensions: ==, commas and space-separated comparators", () => {
  // go-npm-version pkg/constraint_test.go (Apache-2.0).
  const cases: ReadonlyArray<readonly [string, string, boolean]> = [
    ['1.2.3', '==2.0.0', false],
    ['2.0.0', '==2.0.0', true],
    ['2.3.4', '==2', true],
    ['1.2.4', '>1.2.3, <2.0.0', true],
    ['2.0.0', '>1.2.3, <2.0.0', false],
    ['3.0.0', '>1.2.3, <2.0.0 || >3.0.0', false],
    ['4.0.0', '>1.2.3, <2.0.0 || >3.0.0', true],
    ['4.0.0', '> 1.2.3, < 2.0.0 || > 3.0.0', true],
    ['4.0.0', '<1.2.3 || > 3.0.0,\t< 4.0.0', false],
    ['4.0.0', '<1.2.3 || > 3.0.0,<= 4.0.0', true],
    ['1.5.0', '>= 1.2.3 < 2.0', true],
    ['3.5.0', '>= 1.2.3\t < 2.0 || => 3.0, < 4', true],
  ];
  for (const [version, constraint, want] of cases) {
    assert.equal(satisfiesNpm(version, constraint), want, `${version} ${JSON.stringify(constraint)}`);
  }
});

test('npm rejects constraints go-npm-version rejects', () => {
  for (const bad of ['>= bar', 'BAR >= 1.2.3', '1.0.0 - 2.0.0', '!=1.0.0', '>=1.0.0,,<2.0.0', ', 1.0']) {
    assert.throws(
      () => satisfiesNpm('1.0.0', bad),
      (e: unknown) =>
        e instanceof VersionError && e.code === 'INVALID_CONSTRAINT' && e.message.includes('npm'),
      bad,
    );
  }
  for (const ok of ['>= 1.1', '>40.50.60, < 50.70', '2.0', '2.3.5-20161202202307-sha.e8fc5e5']) {
    assert.doesNotThrow(() => satisfiesNpm('1.0.0', ok), ok);
  }
});

test('npm versions are strict SemVer 2.0.0, ordered by precedence', () => {
  for (const bad of ['v1.2.3', '1.2', '01.2.3', '1.2.3-01', '1.2.3 ', '', '1.2.3-', '1.2.3+']) {
    assert.equal(npmScheme.isValid(bad), false, JSON.stringify(bad));
  }
  assert.throws(() => compareNpm('1.2', '1.2.0'), /invalid npm version "1.2"/);
  // semver.org §11's example chain.
  const chain = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2'];
  chain.push('1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.1.0', '2.0.0');
  for (let i = 1; i < chain.length; i++) assert.equal(compareNpm(chain[i - 1]!, chain[i]!), -1, chain[i]);
  assert.equal(compareNpm('1.0.0+build.1', '1.0.0+build.2'), 0);
});

// Real advisories from trivy's integration DB fixtures (shared/fixtures/trivy-db-yaml/nodejs.yaml, Apache-2.0),
// joined with " || " as trivy:pkg/detector/library/compare does.
test('npm matches real advisory strings', () => {
  assert.equal(satisfiesNpm('2.2.4', '< 3.0.0'), true); // jquery CVE-2015-9251
  assert.equal(satisfiesNpm('3.0.0', '3.0.0'), true);
  assert.equal(satisfiesNpm('3.3.1', '< 3.4.0'), true); // jquery CVE-2019-11358
  assert.equal(satisfiesNpm('4.17.11', '< 4.17.12'), true); // lodash CVE-2019-10744
  assert.equal(satisfiesNpm('4.17.12', '< 4.17.12'), false);
  const vulnerable = '>= 1.0.0, < 1.2.3 || <2.0.0 || >=3.0.0 <3.1.0';
  assert.equal(satisfiesNpm('3.0.5', vulnerable), true);
  assert.equal(satisfiesNpm('3.1.0', vulnerable), false);
  assert.equal(satisfiesNpm('2.5.0', vulnerable), false);
});
