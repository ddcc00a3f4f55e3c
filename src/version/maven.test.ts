import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VersionError } from './errors.js';
import { compareMaven, mavenScheme, parseMavenConstraint, satisfiesMaven } from './maven.js';

// Tables from masahiro331/go-mvn-version version_test.go, constraint_test.go and requirement_test.go
// (Apache-2.0, commit d21fcd2e7de1), the Maven comparator Trivy uses; they follow Maven's ComparableVersionTest.

const EXPECTED = { Equal: 0, GreaterThan: 1, LessThan: -1 } as const;
// Columns: which relation is asserted, v1, v2, whether it holds.
const PAIRS = `
Equal	1--1	1-0-1	true
Equal	1--1	1-1	false
Equal	1..1	1.0.1	true
Equal	1.1	1.0.1	false
Equal	1-ga	1	true
Equal	1-sp	1	false
Equal	1.0.0.RELEASE	1	true
Equal	1.0.0.FINAL	1	true
Equal	1.0.0.FINAL	1.RELEASE	true
Equal	1.2.3-a1b1-m1	1.2.3-alpha-1-beta-1-milestone-1	true
Equal	1.2.3-rc	1.2.3-cr	true
Equal	5.0.0.RELEASE	4.9.9.RELEASE	false
Equal	-1	1	false
Equal	-1	0-1	true
Equal	1-1.0	1-1	true
Equal	1.	1-	true
Equal	1-1.ga	1-1-ga	true
Equal	1-1.ga	1-1.0	true
GreaterThan	1	1.alpha	true
GreaterThan	1.1	1.0	true
GreaterThan	1.a	1.0	true
GreaterThan	1	1-alpha	true
GreaterThan	1--1	1-0-1	false
GreaterThan	1--1	1-1	false
GreaterThan	1..1	1.0.1	false
GreaterThan	1.1	1.0.1	true
GreaterThan	1.0.1	1.1	false
GreaterThan	1-ga	1	false
GreaterThan	1-sp	1	true
GreaterThan	1.0.0.RELEASE	1	false
GreaterThan	1.0.0.FINAL	1	false
GreaterThan	1.0.0.FINAL	1.RELEASE	false
GreaterThan	1.2.3	1.2.3-a1	true
GreaterThan	1.2.3-b1	1.2.3-a1	true
GreaterThan	1.2.3-m1	1.2.3-b1	true
GreaterThan	1.2.3-rc	1.2.3-m1	true
GreaterThan	1.2.3-a2	1.2.3-a1	true
GreaterThan	1.2.3-b1	1.2.3-a2	true
GreaterThan	1.2.3	1.2.3-cr	true
GreaterThan	5.0.0.RELEASE	4.9.9.RELEASE	true
GreaterThan	1	-1	true
GreaterThan	1-0.3	1	true
GreaterThan	1-foo	1.foo	true
GreaterThan	1-1	1-foo	true
GreaterThan	1.1	1-1	true
GreaterThan	1-1-foo	1-1.foo	true
GreaterThan	1.foo-1	1	true
LessThan	1.alpha	1	true
LessThan	1.0	1.1	true
LessThan	1.0	1.a	true
LessThan	1-alpha	1	true
LessThan	1--1	1-0-1	false
LessThan	1--1	1-1	true
LessThan	1..1	1.0.1	false
LessThan	1.0.1	1.0.11	true
LessThan	1.0.1	1.1	true
LessThan	1-0	1-sp	true
LessThan	1.2.3-a1	1.2.3	true
LessThan	1.2.3-a1	1.2.3-b1	true
LessThan	1.2.3-b1	1.2.3-m1	true
LessThan	1.2.3-m1	1.2.3-rc	true
LessThan	1.2.3-a1	1.2.3-a2	true
LessThan	1.2.3-a2	1.2.3-b1	true
LessThan	1.2.3-cr	1.2.3	true
LessThan	4.9.9.RELEASE	5.0.0.RELEASE	true
LessThan	0-1	1	true
`;

test("maven orders go-mvn-version's version pairs", () => {
  let checked = 0;
  for (const row of PAIRS.split('\n')) {
    if (row === '') continue;
    const [relation, a, b, holds] = row.split('\t') as [keyof typeof EXPECTED, string, string, string];
    const got = compareMaven(a, b) === EXPECTED[relation];
    assert.equal(got, holds === 'true', `${relation}(${a}, ${b})`);
    checked++;
  }
  assert.equal(checked, 66);
});

test('maven orders qualifiers and number lists as ComparableVersionTest does', () => {
  const qualifiers = [
    '1-alpha2snapshot',
    '1-alpha2',
    '1-alpha-123',
    '1-beta-2',
    '1-beta123',
    '1-m2',
    '1-m11',
    '1-rc',
  ];
  qualifiers.push(
    '1-cr2',
    '1-rc123',
    '1-SNAPSHOT',
    '1',
    '1-sp',
    '1-sp2',
    '1-sp123',
    '1-abc',
    '1-def',
    '1-pom-1',
  );
  qualifiers.push('1-1-snapshot', '1-1', '1-2', '1-123');
  const numbers = [
    '2.0',
    '2-1',
    '2.0.a',
    '2.0.2',
    '2.0.123',
    '2.1.0',
    '2.1-a',
    '2.1b',
    '2.1-c',
    '2.1-1',
    '2.1.0.1',
  ];
  numbers.push(
    '2.2',
    '2.123',
    '11.a2',
    '11.a11',
    '11.b2',
    '11.b11',
    '11.m2',
    '11.m11',
    '11',
    '11.a',
    '11b',
    '11c',
    '11m',
  );
  for (const list of [qualifiers, numbers]) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        assert.equal(compareMaven(list[i]!, list[j]!), -1, `${list[i]} < ${list[j]}`);
        assert.equal(compareMaven(list[j]!, list[i]!), 1, `${list[j]} > ${list[i]}`);
      }
    }
  }
});

test('maven treats release qualifiers and trailing zeros as nothing', () => {
  for (const [a, b] of [
    ['1.0-final', '1.0'],
    ['1.0-final', '1'],
    ['1.0.0.Final', '1.0'],
    ['1-ga', '1'],
    ['1.0.0.RELEASE', '1'],
    ['1.2.3-rc', '1.2.3-cr'],
    ['1.2.3-a1b1-m1', '1.2.3-alpha-1-beta-1-milestone-1'],
    ['1.0ALPHA1', '1.0-alpha-1'],
    ['1.0-SNAPSHOT', '1.0-snapshot'],
  ]) {
    assert.equal(compareMaven(a!, b!), 0, `${a} = ${b}`);
  }
  assert.equal(compareMaven('2.9.10.7', '2.9.10'), 1);
  assert.equal(compareMaven('5.3.18', '5.3.18.RELEASE'), 0);
  assert.equal(compareMaven('1.0-SNAPSHOT', '1.0'), -1);
  assert.equal(compareMaven('1.0-sp1', '1.0'), 1);
  assert.throws(
    () => compareMaven('', '1.0'),
    (e: unknown) => e instanceof VersionError && /maven/.test(e.message),
  );
  assert.equal(mavenScheme.isValid('anything-goes.1'), true);
});

// go-mvn-version TestVersion_Check: [constraint, version, expected].
const CHECK_ROWS: ReadonlyArray<readonly [string, string, boolean]> = [
  ['=2.0.0', '1.2.3', false],
  ['=2.0.0', '2.0.0', true],
  ['= 1.0', '1.1.5', false],
  ['= 1.0', '1.0.0', true],
  ['=4.1', '4.1.0-alpha.1', false],
  ['=4.1-alpha', '4.1.0-alpha', true],
  ['=2.0', '1.2.3', false],
  ['=2.0', '2.0.0', true],
  ['=2.0', '2.0.1', false],
  ['=0', '1.0.0', false],
  ['== 2.0.0', '1.2.3', false],
  ['==2.0.0', '2.0.0', true],
  ['== 4.1', '4.1.0-alpha.1', false],
  ['==4.1-alpha', '4.1.0-alpha', true],
  ['2', '1.0.0', false],
  ['2', '3.4.5', false],
  ['2', '2.1.1', false],
  ['2.1', '2.1.1', false],
  ['2.1', '2.2.1', false],
  ['4.1', '4.1.0', true],
  ['1.0', '1.0.0', true],
  ['!=4.1.0', '4.1.0', false],
  ['!=4.1.0', '4.1.1', true],
  ['!=4.1', '5.1.0-alpha.1', true],
  ['!=4.1-alpha', '4.1.0', true],
  ['<0.0.5', '0.1.0', false],
  ['<1.0.0', '0.1.0', true],
  ['<0', '0.0.0-alpha', true],
  ['<0-z', '0.0.0-alpha', true],
  ['<0', '1.0.0-alpha', false],
  ['<1', '1.0.0-alpha', true],
  ['<11', '0.1.0', true],
  ['<11', '11.1.0', false],
  ['<1.1', '0.1.0', true],
  ['<1.1', '1.1.0', false],
  ['<1.1', '1.1.1', false],
  ['<1_1', '1', true],
  ['<0.0.5+sp555', '0.1.0', false],
  ['<0.0.5+sp555', '0.0.5', true],
  ['<0.0.5+sp555', '0.0.5+sp1', true],
  ['<0.0.5+sp555', '0.0.5+sp999', false],
  ['<=0.2.3', '1.2.3', false],
  ['<=1.2.3', '1.2.3', true],
  ['<= 2.1.0-a', '2.0.0', true],
  ['<=11', '1.2.3', true],
  ['<=11', '12.2.3', false],
  ['<=11', '11.2.3', false],
  ['<=1.1', '1.2.3', false],
  ['<=1.1', '0.1.0', true],
  ['<=1.1', '1.1.0', true],
  ['<=1.1', '1.1.1', false],
  ['<=0-0', '0.0.0-alpha', true],
  ['<=0.0.0-0', '0.0.0-alpha', true],
  ['>5.0.0', '4.1.0', false],
  ['>4.0.0', '4.1.0', true],
  ['> 2.0', '2.1.0-beta', true],
  ['>0', '0.0.1-alpha', true],
  ['>0.0', '0.0.1-alpha', true],
  ['>0-0', '0.0.1-alpha', true],
  ['>0.0-0', '0.0.1-alpha', true],
  ['>0', '0.0.0-alpha', false],
  ['>0-0', '0.0.0-alpha', false],
  ['>0.0.0-0', '0.0.0-alpha', false],
  ['>1.2.3-alpha.1', '1.2.3-alpha.2', true],
  ['>1.2.3-alpha.1', '1.3.3-alpha.2', true],
  ['>1.1', '4.1.0', true],
  ['>1.1', '1.1.0', false],
  ['>0', '0.0.0', false],
  ['>0', '1.0.0', true],
  ['>11', '11.1.0', true],
  ['>11.1', '11.1.0', false],
  ['>11.1', '11.1.1', true],
  ['>11.1', '11.2.1', true],
  ['>0.0.5+sp555', '0.1.0', true],
  ['>0.0.5+sp555', '0.0.5', false],
  ['>0.0.5+sp555', '0.0.5+sp1', false],
  ['>0.0.5+sp555', '0.0.5+sp999', true],
  ['>=11.1.3', '11.1.2', false],
  ['>=11.1.2', '11.1.2', true],
  ['>= 1.0, < 1.2', '1.1.5', true],
  ['>= 2.1.0-alpha-1', '2.1.0-beta-1', true],
  ['>= 2.1.0-a', '2.1.1-beta', true],
  ['>= 2.0.0', '2.1.0-beta', true],
  ['>= 2.1.0-a', '2.1.1', true],
  ['>= 2.1.0-alpha', '2.1.0', true],
  ['>=0', '0.0.1-alpha', true],
  ['>=0.0', '0.0.1-alpha', true],
  ['>=0-0', '0.0.1-alpha', true],
  ['>=0.0-0', '0.0.1-alpha', true],
  ['>=0', '0.0.0-alpha', false],
  ['>=0.0.0-0', '1.2.3', true],
  ['>=0.0.0-0', '3.4.5-beta.1', true],
  ['>=11', '11.1.2', true],
  ['>=11.1', '11.1.2', true],
  ['>=11.1', '11.0.2', false],
  ['>=1.1', '4.1.0', true],
  ['>=1.1', '1.1.0', true],
  ['>=1.1', '0.0.9', false],
  ['>=0', '0.0.0', true],
  ['>=0.0.5+sp555', '0.0.5', false],
  ['>=0.0.5+sp555', '0.0.5+sp1', false],
  ['< 1.0.0.1 || = 2.0.1.2.3', '2.0', false],
  ['< 1.0.0.1 || = 2.0.5.4.8', '2.0.5.4.8', true],
  ['> 1.0.0.0.1 < 1.0.0.1 || = 2.0.5.4.8', '1.0.0.0.9', true],
  ['>1.2.3', '1.02.4', true],
  ['<1.3.09', '1.05.4', false],
  ['< 1.0 || = 2.0', '2.0', true],
  ['< 1.0 || = 2.0', '0.1', true],
  ['< 1.0 || = 2.0', '1.1', false],
  ['> 1.0, < 1.2', '1.1.5', true],
  ['> 1.0, < 1.2 || >3.0', '1.5', false],
  ['> 1.0 < 1.2 || >3.0', '1.5', false],
  ['> 1.0\t< 1.2 || >3.0', '1.1', true],
  ['> 1.0, < 1.2 || >3.0', '4.2', true],
  ['> 1.0 < 1.2 || >3.0, <4.0', '4.2', false],
  ['< 0.3.0M2', '0.3.0m1', true],
  ['= 0.3.0M2', '0.3.0m2', true],
  ['> 0.3.0M2', '0.3.0m3', true],
  ['0.3.0M2', '0.3.0-milestone-2', true],
  ['> 0.3.0M2', '0.3.0-milestone-3', true],
  ['< 9.2.25.v20180606', '9.2.25.v20180605', true],
  ['< 1.1.1.v2', '1.1.1.v1', true],
  ['< 1.1.v2', '1.1.v1', true],
  ['< 1.v2', '1.v1', true],
  ['< v2', 'v1', true],
  ['< 1.1.1.2', '1.1.1.1', true],
  ['< 1.1.2', '1.1.1', true],
  ['< 1.2', '1.1', true],
  ['< 2', '1', true],
];

test("maven operator constraints pass go-mvn-version's check table", () => {
  for (const [constraint, version, want] of CHECK_ROWS) {
    assert.equal(satisfiesMaven(version, constraint), want, `${version} ${JSON.stringify(constraint)}`);
  }
});

test("maven ranges follow go-mvn-version's requirements", () => {
  const cases: ReadonlyArray<readonly [string, string, boolean]> = [
    ['[,1.0.0]', '0.9', true],
    ['[,1.0.0]', '1.0', true],
    ['[,1.0.0]', '1.1', false],
    ['(,1.0.0]', '1.0', true],
    ['(,1.0.0)', '1.0.0', false],
    ['[,1.0.0)', '0.9', true],
    ['[0,)', '1.0.1', true],
    ['(,0)', '0.9', false],
    ['[,]', '1.0.1', true],
    ['[1.0.0,)', '0.9', false],
    ['[1.0.0]', '1.0.0', true],
    ['[1.0.0]', '1.0.1', false],
    ['(1.0.0)', '1.0.0', true],
    ['[1.0,2.0)', '1.5', true],
    ['[1.0,2.0)', '0.9', false],
    ['[1.0,2.0)', '2.0', false],
    ['[1.0,2.0]', '2.0', true],
    ['(1.0,2.0]', '1.0.0', false],
    ['(1.0,2.0]', '2.1', false],
    ['(, 1.0.5.RELEASE],[2.0.0.RELEASE,2.0.16.RELEASE),[2.1.0.RELEASE,2.1.3.RELEASE)', '1.0.0', true],
    ['(,1.0.5.RELEASE],[2.0.0.RELEASE,2.0.16.RELEASE),[2.1.0.RELEASE,2.1.3.RELEASE)', '2.0.0', true],
    ['(,1.0.5.RELEASE],[2.0.0.RELEASE,2.0.16.RELEASE),[2.1.0.RELEASE,2.1.3.RELEASE)', '2.1.3', false],
    ['[2.4.0,2.4.2],[2.4.4],[2.5.5]', '2.4.1', true],
  ];
  for (const [constraint, version, want] of cases) {
    assert.equal(satisfiesMaven(version, constraint), want, `${version} ${constraint}`);
  }
  for (const bad of ['1.0)', '(1.0', ', 1.0]', '(0.9,1.0,1.2)', '[1.0,1.1,1.2]', '== a*', '!= !=', 'bar <']) {
    assert.throws(
      () => parseMavenConstraint(bad),
      (e: unknown) => e instanceof VersionError && e.code === 'INVALID_CONSTRAINT',
      bad,
    );
  }
});

test("maven keeps go-mvn-version's quirks that change Trivy's findings", () => {
  // An exact range loses its last character: [1.2.3] is read as [1.2.] = 1.2.
  assert.equal(satisfiesMaven('1.2.3', '[1.2.3]'), false);
  assert.equal(satisfiesMaven('1.2', '[1.2.3]'), true);
  // Once any part is a range, operator constraints joined to it with || are dropped.
  assert.equal(satisfiesMaven('2.5.0', '>= 2.0.0, <= 2.9.10.3 || [3.0,3.1)'), false);
  assert.equal(satisfiesMaven('3.0.5', '>= 2.0.0, <= 2.9.10.3 || [3.0,3.1)'), true);
});

// Real advisories from trivy's integration DB fixtures (shared/fixtures/trivy-db-yaml/java.yaml, Apache-2.0).
test('maven matches real advisory strings', () => {
  assert.equal(satisfiesMaven('2.9.10.3', '>= 2.0.0, <= 2.9.10.3'), true); // jackson-databind CVE-2020-9548
  assert.equal(satisfiesMaven('2.9.10.4', '>= 2.0.0, <= 2.9.10.3'), false);
  assert.equal(satisfiesMaven('2.9.10.4', '2.9.10.4'), true);
  assert.equal(satisfiesMaven('5.3.17', '>= 5.3.0, < 5.3.18'), true); // spring-beans CVE-2022-22965
  assert.equal(satisfiesMaven('5.3.18', '>= 5.3.0, < 5.3.18'), false);
  assert.equal(satisfiesMaven('5.3.0-RC1', '>= 5.3.0, < 5.3.18'), false);
  assert.equal(satisfiesMaven('2.9.10.6', '[2.9.0,2.9.10.7)'), true); // jackson-databind CVE-2021-20190
  assert.equal(satisfiesMaven('2.9.10.7', '[2.9.0,2.9.10.7)'), false);
  assert.equal(satisfiesMaven('2.8.11', '[2.9.0,2.9.10.7)'), false);
});
