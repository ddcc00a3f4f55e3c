import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VersionError } from './errors.js';
import { compareGem, parseGem, rubygemsScheme, satisfiesGem } from './rubygems.js';

// Tables from aquasecurity/go-gem-version version_test.go and constraint_test.go (Apache-2.0), which port
// rubygems' test/rubygems/test_gem_version.rb and test_gem_requirement.rb.

test('rubygems accepts and rejects versions as Gem::Version does', () => {
  const valid = [
    '1.2.3',
    '1',
    '1.2.beta',
    '1.21.beta',
    '1.2-5',
    '1.2-beta.5',
    '1.2.3-rc1-with-hypen',
    '1.2.3.4',
  ];
  valid.push(
    '1.2.3.4-rc1-with-hypen',
    '1.7rc2',
    '',
    ' ',
    '   ',
    '1.0',
    '1.0 ',
    ' 1.0 ',
    '\n1.0',
    '1.0\n',
    '\n1.0\n',
  );
  for (const v of valid) assert.equal(rubygemsScheme.isValid(v), true, JSON.stringify(v));
  const invalid = [
    '1.2.0-x.Y.0+metadata',
    '1.2.0.4-x.Y.0+metadata',
    '1.2.0-X-1.2.0+metadata~dist',
    'foo1.2.3',
  ];
  invalid.push('v1.7rc2', '1.0-', 'junk', '1.0\\n2.0', '1..2', '1.2\\ 3.4');
  invalid.push('2.3422222.222.222222222.22222.ads0as.dasd0.ddd2222.2.qd3e.');
  for (const v of invalid) {
    assert.throws(
      () => parseGem(v),
      (e: unknown) => e instanceof VersionError && e.code === 'INVALID_VERSION',
      JSON.stringify(v),
    );
  }
});

test('rubygems orders versions as Gem::Version does', () => {
  const cases: ReadonlyArray<readonly [string, string, -1 | 0 | 1]> = [
    ['1.0', '1.0.0', 0],
    ['1.0', '1.0.a', 1],
    ['1.8.2', '0.0.0', 1],
    ['1.8.2', '1.8.2.a', 1],
    ['1.8.2.b', '1.8.2.a', 1],
    ['1.8.2.a', '1.8.2', -1],
    ['1.8.2.a10', '1.8.2.a9', 1],
    ['', '0', 0],
    ['0.beta.1', '0.0.beta.1', 0],
    ['0.0.beta', '0.0.beta.1', -1],
    ['0.0.beta', '0.beta.1', -1],
    ['5.a', '5.0.0.rc2', -1],
    ['5.x', '5.0.0.rc2', 1],
    ['1.2', '1.2', 0],
    ['1.2', '1.3', -1],
    ['1.2.b1', '1.2.b.1', 0],
    ['1.0.0-alpha', '1.0.0-alpha.1', -1],
    ['1.0.0-alpha.1', '1.0.0-beta.2', -1],
    ['1.0.0-beta.2', '1.0.0-beta.11', -1],
    ['1.0.0-beta.11', '1.0.0-rc.1', -1],
    ['1.0.0-rc1', '1.0.0', -1],
    ['1.0.0-1', '1', -1],
    ['6.0.3.1', '6.0.3', 1],
    ['4.2.0.beta1', '4.2.0', -1],
    // go-gem-version reads letters one at a time; RubyGems would order these two the other way.
    ['1.pre', '1.preview', 1],
  ];
  for (const [a, b, want] of cases) {
    assert.equal(compareGem(a, b), want, `${a} vs ${b}`);
    assert.equal(compareGem(b, a), -want || 0, `${b} vs ${a}`);
  }
});

test('rubygems requirements follow Gem::Requirement', () => {
  const cases: ReadonlyArray<readonly [string, string, boolean]> = [
    ['!= 1.2', '1.1', true],
    ['!= 1.2', '1.2', false],
    ['1.2', '1.1', false],
    ['1.2', '1.2', true],
    ['= 1.2', '1.3', false],
    ['=1.2', '1.2', true],
    ['==1.2', '1.2', true],
    ['> 1.2', '1.3', true],
    ['>1.2', '1.2', false],
    ['>= 1.2', '1.1', false],
    ['>=1.2', '1.2', true],
    ['> 1.1, < 1.3', '1.1', false],
    ['> 1.1, <1.3', '1.2', true],
    ['> 1.1 < 1.3', '1.3', false],
    ['> 1.1\t<1.3', '1.2', true],
    ['< 1.2', '1.1', true],
    ['<1.2', '1.2', false],
    ['<=1.2', '1.2', true],
    ['<= 1.2', '1.3', false],
    ['~> 1.2', '1.1', false],
    ['~>1.2', '1.2', true],
    ['~> 1.2', '1.3', true],
    ['~> 0.0.1', '0.1.1', false],
    ['~>0.0.1', '0.0.2', true],
    ['= 1.0', '1.0.0', true],
    ['= 1.0.0', '1.0', true],
    ['> 0.0.0', '0.0.0.0.0.2', true],
    ['> 0.0.0.1', '0.0.1.0', true],
    ['> 9.3.2', '10.3.2', true],
    ['= 1.0', '1.0.0.0', true],
    ['>= 9.3.2', ' 9.3.2', true],
    ['= 0', '', true],
    ['< 0.1', '', true],
    ['< 0.1', '\t', true],
    [' < 0.1', '', true],
    ['> 0.a', '\t', true],
    ['< 3.2.rc1', '3.1', true],
    ['> 3.2.0.rc1', '3.2.0', true],
    ['> 3.2.0.rc1', '3.2.0.rc2', true],
    ['< 3.0', '3.0.rc2', true],
    ['< 3.0.1', '3.0.rc2', true],
    ['> 0', '3.0.rc2', true],
    ['~> 5.a', '5.0.0.rc2', true],
    ['~> 5.x', '5.0.0.rc2', false],
    ['~> 5.x', '5.0.0', true],
    ['~> 1.4', '1.4.0', true],
    ['~> 1.4', '2.0', false],
    ['~> 1.4.4', '1.4', false],
    ['~> 1.4.4', '1.4.5', true],
    ['~> 1.4.4', '1.5', false],
    ['~> 1.0.0', '1.1.pre', false],
    ['~> 1.1', '1.1.pre', false],
    ['~> 1.0', '2.0.a', false],
    ['~> 2.0', '2.0.a', false],
    ['~> 1', '0.9', false],
    ['~> 1', '1.1', true],
    ['~> 1', '2.0', false],
    ['>= 1.4, <= 1.6, != 1.5', '1.3', false],
    ['>= 1.4  <= 1.6  != 1.5', '1.4', true],
    ['>= 1.4  <= 1.6  != 1.5', '1.5', false],
    ['>= 1.4, <= 1.6, != 1.5', '1.6', true],
    ['>= 1.4.4, < 1.5', '1.4.5', true],
    ['>= 1.4.4 <1.5', '1.5.0.rc1', true],
    ['>= 1.4.4, < 1.5', '1.5.0', false],
    ['>= 1.4.4, < 1.5.a', '1.5.0.rc1', false],
    ['> 0.1', '', false],
    ['!= 1.02.3', '1.2.003.0.0', false],
    ['= 1.1', '1.40', false],
    ['<= 9.3.2', '9.3.03', false],
    ['= 1.0', '1.0.0.1', false],
  ];
  for (const [constraint, version, want] of cases) {
    assert.equal(satisfiesGem(version, constraint), want, `${JSON.stringify(version)} ${constraint}`);
  }
});

test('rubygems rejects malformed requirements', () => {
  for (const bad of ['> 1.0 || < foo', '>>> 1.3.5', '> blah', '', '~>', '>= 1.0,, < 2']) {
    assert.throws(
      () => satisfiesGem('1.0', bad),
      (e: unknown) =>
        e instanceof VersionError && e.code === 'INVALID_CONSTRAINT' && e.message.includes('rubygems'),
      bad,
    );
  }
});

// Real advisories from trivy's integration DB fixtures (shared/fixtures/trivy-db-yaml/ruby.yaml and
// cocoapods.yaml, Apache-2.0), joined with " || " as trivy:pkg/detector/library/compare does.
test('rubygems matches real advisory strings', () => {
  const cve20153226 = '>= 3.0.0, <= 3.2.22.4 || >= 4.2.0, < 4.2.2 || >= 4.1.0, < 4.1.11';
  assert.equal(satisfiesGem('3.2.22.4', cve20153226), true);
  assert.equal(satisfiesGem('3.2.22.5', cve20153226), false);
  assert.equal(satisfiesGem('4.1.10', cve20153226), true);
  assert.equal(satisfiesGem('4.2.2', cve20153226), false);
  assert.equal(satisfiesGem('4.2.2', '3.2.22.5 || 4.2.2 || 4.1.11'), true);
  assert.equal(satisfiesGem('4.0.5', '>= 4.2.0, < 4.2.2 || < 4.1.11'), true); // CVE-2015-3227
  const cve20208165 = '>= 6.0.0, <= 6.0.3 || >= 5.0.0, <= 5.2.4.2';
  assert.equal(satisfiesGem('6.0.3', cve20208165), true);
  assert.equal(satisfiesGem('6.0.3.1', cve20208165), false);
  assert.equal(satisfiesGem('5.2.4.2', cve20208165), true);
  assert.equal(satisfiesGem('0.6.1', '>= 0'), true); // http_parser CVE-2020-9999
  const niod = '< 2.29.1 || >= 2.39.0, < 2.39.1 || >= 2.41.0, < 2.42.0'; // CocoaPods _NIODataStructures
  assert.equal(satisfiesGem('2.41.1', niod), true);
  assert.equal(satisfiesGem('2.42.0', niod), false);
  assert.equal(satisfiesGem('5.2.0', '~> 5.2'), true);
  assert.equal(satisfiesGem('6.0.0', '~> 5.2'), false);
});
