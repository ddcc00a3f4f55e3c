import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VersionError } from './errors.js';
import { comparePep440, formatPep440, parsePep440, pep440Scheme, satisfiesPep440 } from './pep440.js';

// Tables from aquasecurity/go-pep440-version version_test.go and specifier_test.go (Apache-2.0, commit
// 297489d39bec), which port pypa/packaging's tests/test_version.py and tests/test_specifiers.py.

/** In ascending order: every version is below every later one. */
const SORTED = [
  '1.0.dev456',
  '1.0a1',
  '1.0a2.dev456',
  '1.0a12.dev456',
  '1.0a12',
  '1.0b1.dev456',
  '1.0b2',
  '1.0b2.post345.dev456',
  '1.0b2.post345',
  '1.0b2-346',
  '1.0c1.dev456',
  '1.0c1',
  '1.0rc2',
  '1.0c3',
  '1.0',
  '1.0.post456.dev34',
  '1.0.post456',
  '1.1.dev1',
  '1.2+123abc',
  '1.2+123abc456',
  '1.2+abc',
  '1.2+abc123',
  '1.2+abc123def',
  '1.2+1234.abc',
  '1.2+123456',
  '1.2.r32+123456',
  '1.2.rev33+123456',
];
const SORTED_WITH_EPOCH = [...SORTED, ...SORTED.map((v) => `1!${v}`)];

test("pep440 orders pypa's sorted version list (with and without epochs)", () => {
  for (let i = 0; i < SORTED_WITH_EPOCH.length; i++) {
    for (let j = i; j < SORTED_WITH_EPOCH.length; j++) {
      const a = SORTED_WITH_EPOCH[i]!;
      const b = SORTED_WITH_EPOCH[j]!;
      assert.equal(comparePep440(a, b), i === j ? 0 : -1, `${a} vs ${b}`);
      assert.equal(comparePep440(b, a), i === j ? 0 : 1, `${b} vs ${a}`);
    }
  }
});

// Input and PEP 440 normal form.
const NORMAL_FORMS = `
1.0dev	1.0.dev0
1.0.dev	1.0.dev0
1.0dev1	1.0.dev1
1.0-dev	1.0.dev0
1.0-dev1	1.0.dev1
1.0DEV	1.0.dev0
1.0.DEV	1.0.dev0
1.0DEV1	1.0.dev1
1.0DEV	1.0.dev0
1.0.DEV1	1.0.dev1
1.0-DEV	1.0.dev0
1.0-DEV1	1.0.dev1
1.0a	1.0a0
1.0.a	1.0a0
1.0.a1	1.0a1
1.0-a	1.0a0
1.0-a1	1.0a1
1.0alpha	1.0a0
1.0.alpha	1.0a0
1.0.alpha1	1.0a1
1.0-alpha	1.0a0
1.0-alpha1	1.0a1
1.0A	1.0a0
1.0.A	1.0a0
1.0.A1	1.0a1
1.0-A	1.0a0
1.0-A1	1.0a1
1.0ALPHA	1.0a0
1.0.ALPHA	1.0a0
1.0.ALPHA1	1.0a1
1.0-ALPHA	1.0a0
1.0-ALPHA1	1.0a1
1.0b	1.0b0
1.0.b	1.0b0
1.0.b1	1.0b1
1.0-b	1.0b0
1.0-b1	1.0b1
1.0beta	1.0b0
1.0.beta	1.0b0
1.0.beta1	1.0b1
1.0-beta	1.0b0
1.0-beta1	1.0b1
1.0B	1.0b0
1.0.B	1.0b0
1.0.B1	1.0b1
1.0-B	1.0b0
1.0-B1	1.0b1
1.0BETA	1.0b0
1.0.BETA	1.0b0
1.0.BETA1	1.0b1
1.0-BETA	1.0b0
1.0-BETA1	1.0b1
1.0c	1.0rc0
1.0.c	1.0rc0
1.0.c1	1.0rc1
1.0-c	1.0rc0
1.0-c1	1.0rc1
1.0rc	1.0rc0
1.0.rc	1.0rc0
1.0.rc1	1.0rc1
1.0-rc	1.0rc0
1.0-rc1	1.0rc1
1.0C	1.0rc0
1.0.C	1.0rc0
1.0.C1	1.0rc1
1.0-C	1.0rc0
1.0-C1	1.0rc1
1.0RC	1.0rc0
1.0.RC	1.0rc0
1.0.RC1	1.0rc1
1.0-RC	1.0rc0
1.0-RC1	1.0rc1
1.0post	1.0.post0
1.0.post	1.0.post0
1.0post1	1.0.post1
1.0post	1.0.post0
1.0-post	1.0.post0
1.0-post1	1.0.post1
1.0POST	1.0.post0
1.0.POST	1.0.post0
1.0POST1	1.0.post1
1.0POST	1.0.post0
1.0r	1.0.post0
1.0rev	1.0.post0
1.0.POST1	1.0.post1
1.0.r1	1.0.post1
1.0.rev1	1.0.post1
1.0-POST	1.0.post0
1.0-POST1	1.0.post1
1.0-5	1.0.post5
1.0-r5	1.0.post5
1.0-rev5	1.0.post5
1.0+AbC	1.0+abc
1.01	1.1
1.0a05	1.0a5
1.0b07	1.0b7
1.0c056	1.0rc56
1.0rc09	1.0rc9
1.0.post000	1.0.post0
1.1.dev09000	1.1.dev9000
00!1.2	1.2
0100!0.0	100!0.0
v1.0	1.0
   v1.0\\t\\n	1.0
`;

test('pep440 reads every spelling PEP 440 allows and normalizes it', () => {
  let checked = 0;
  for (const row of NORMAL_FORMS.split('\n')) {
    if (row === '') continue;
    const [input, normal] = row.split('\t') as [string, string];
    const text = input.replace('\\t', '\t').replace('\\n', '\n');
    assert.equal(formatPep440(parsePep440(text)), normal, JSON.stringify(text));
    assert.equal(comparePep440(text, normal), 0, JSON.stringify(text));
    checked++;
  }
  assert.equal(checked, 104);
});

test('pep440 rejects what is not a version', () => {
  for (const bad of [
    'french toast',
    '1.0+a+',
    '1.0++',
    '1.0+_foobar',
    '1.0+foo&asd',
    '1.0+1+1',
    '',
    '1.0.',
  ]) {
    assert.throws(
      () => parsePep440(bad),
      (e: unknown) =>
        e instanceof VersionError && e.code === 'INVALID_VERSION' && e.message.includes('pep440'),
      bad,
    );
    assert.equal(pep440Scheme.isValid(bad), false);
  }
});

// go-pep440-version TestVersion_Check, in its default mode (pre-releases not included). Columns: version,
// specifier, expected.
const CHECK_ROWS = `
2.0	==2	true
2.0	==2.0	true
2.0	==2.0.0	true
2.0+deadbeef	==2	true
2.0+deadbeef	==2.0	true
2.0+deadbeef	==2.0.0	true
2.0+deadbeef	==2+deadbeef	true
2.0+deadbeef	==2.0+deadbeef	true
2.0+deadbeef	==2.0.0+deadbeef	true
2.0+deadbeef.0	==2.0.0+deadbeef.00	true
2.dev1	==2.*	true
2a1	==2.*	true
2a1.post1	==2.*	true
2b1	==2.*	true
2b1.dev1	==2.*	true
2c1	==2.*	true
2c1.post1.dev1	==2.*	true
2rc1	==2.*	true
2	==2.*	true
2.0	==2.*	true
2.0.0	==2.*	true
2.0.post1	==2.0.post1.*	true
2.0.post1.dev1	==2.0.post1.*	true
2.1+local.version	==2.1.*	true
2.1	!=2	true
2.1	!=2.0	true
2.0.1	!=2	true
2.0.1	!=2.0	true
2.0.1	!=2.0.0	true
2.0	!=2.0+deadbeef	true
2.0	!=3.*	true
2.1	!=2.0.*	true
2.0	>=2	true
2.0	>=2.0	true
2.0	>=2.0.0	true
2.0.post1	>=2	true
2.0.post1.dev1	>=2	true
3	>=2	true
2.0	<=2	true
2.0	<=2.0	true
2.0	<=2.0.0	true
2.0.dev1	<=2	true
2.0a1	<=2	true
2.0a1.dev1	<=2	true
2.0b1	<=2	true
2.0b1.post1	<=2	true
2.0c1	<=2	true
2.0c1.post1.dev1	<=2	true
2.0rc1	<=2	true
1	<=2	true
3	>2	true
2.1	>2.0	true
2.0.1	>2	true
2.1.post1	>2	true
2.1+local.version	>2	true
1	<2	true
2.0	<2.1	true
2.0.dev0	<2.1	true
1	~=1.0	true
1.0.1	~=1.0	true
1.1	~=1.0	true
1.9999999	~=1.0	true
2!1.0	~=2!1.0	true
2!1.0	==2!1.*	true
2!1.0	==2!1.0	true
2!1.0	!=1.0	true
1.0	!=2!1.0	true
1.0	<=2!0.1	true
2!1.0	>=2.0	true
1.0	<2!0.1	true
2!1.0	>2.0	true
2.0.5	>2.0dev	true
2.1	==2	false
2.1	==2.0	false
2.1	==2.0.0	false
2.0	==2.0+deadbeef	false
2.0	==3.*	false
2.1	==2.0.*	false
2.0	!=2	false
2.0	!=2.0	false
2.0	!=2.0.0	false
2.0+deadbeef	!=2	false
2.0+deadbeef	!=2.0	false
2.0+deadbeef	!=2.0.0	false
2.0+deadbeef	!=2+deadbeef	false
2.0+deadbeef	!=2.0+deadbeef	false
2.0+deadbeef	!=2.0.0+deadbeef	false
2.0+deadbeef.0	!=2.0.0+deadbeef.00	false
2.dev1	!=2.*	false
2a1	!=2.*	false
2a1.post1	!=2.*	false
2b1	!=2.*	false
2b1.dev1	!=2.*	false
2c1	!=2.*	false
2c1.post1.dev1	!=2.*	false
2rc1	!=2.*	false
2	!=2.*	false
2.0	!=2.*	false
2.0.0	!=2.*	false
2.0.post1	!=2.0.post1.*	false
2.0.post1.dev1	!=2.0.post1.*	false
2.0.dev1	>=2	false
2.0a1	>=2	false
2.0a1.dev1	>=2	false
2.0b1	>=2	false
2.0b1.post1	>=2	false
2.0c1	>=2	false
2.0c1.post1.dev1	>=2	false
2.0rc1	>=2	false
1	>=2	false
2.0.post1	<=2	false
2.0.post1.dev1	<=2	false
3	<=2	false
1	>2	false
2.0.dev1	>2	false
2.0a1	>2	false
2.0a1.post1	>2	false
2.0b1	>2	false
2.0b1.dev1	>2	false
2.0c1	>2	false
2.0c1.post1.dev1	>2	false
2.0rc1	>2	false
2.0	>2	false
2.0.post1	>2	false
2.0.post1.dev1	>2	false
2.0+local.version	>2	false
2.0.dev1	<2	false
2.0a1	<2	false
2.0a1.post1	<2	false
2.0b1	<2	false
2.0b2.dev1	<2	false
2.0c1	<2	false
2.0c1.post1.dev1	<2	false
2.0rc1	<2	false
2.0	<2	false
2.post1	<2	false
2.post1.dev1	<2	false
3	<2	false
2.0	~=1.0	false
1.1.0	~=1.0.0	false
1.1.post1	~=1.0.0	false
1.0	~=2!1.0	false
2!1.0	~=1.0	false
2!1.0	==1.0	false
1.0	==2!1.0	false
2!1.0	==1.*	false
1.0	==2!1.*	false
2!1.0	!=2!1.0	false
1.0.0+local	==1.0.0	true
1.0.0+local	!=1.0.0	false
1.0.0+local	<=1.0.0	true
1.0.0+local	>=1.0.0	true
1.0.0+local	<1.0.0	false
1.0.0+local	>1.0.0	false
1.0	>= 1.0, != 1.3.4.*, < 2.0	true
1.0	~= 0.9, >= 1.0, != 1.3.4.*, < 2.0	false
0.9	~= 0.9, != 1.3.4.*, < 2.0	true
2.0	>= 1.0, != 1.3.4.*, < 2.0	false
1.3.4	>= 1.0, != 1.3.4.*, < 2.0	false
1.0	~= 0.9, >= 1.0, != 1.3.4.*, < 2.0 || ==1.0	true
1.0	~= 0.9, >= 1.0, != 1.3.4.*, < 2.0 || !=1.0	false
2.0	2	true
2.0	2.0	true
2.0	2.0.0	true
2.1	2	false
2.1	2.0	false
2.1	2.0.0	false
2.0	2.0+deadbeef	false
2.0	=2	true
2.0	=2.0	true
2.0	=2.0.0	true
2.1	=2	false
2.1	=2.0	false
2.1	=2.0.0	false
2.0	=2.0+deadbeef	false
2.0	*	true
1.0	>= 1.0 != 1.3.4.* < 2.0	true
1.0	~= 0.9 >= 1.0 != 1.3.4.* < 2.0	false
0.9	~= 0.9 != 1.3.4.* < 2.0	true
2.0	>= 1.0 != 1.3.4.* < 2.0	false
1.3.4	>= 1.0 != 1.3.4.* < 2.0	false
`;

test("pep440 specifiers pass go-pep440-version's check table (its default mode)", () => {
  let checked = 0;
  for (const row of CHECK_ROWS.split('\n')) {
    if (row === '') continue;
    const [version, spec, want] = row.split('\t') as [string, string, string];
    const got = satisfiesPep440(version, spec, { includePreRelease: false });
    assert.equal(got, want === 'true', `${version} ${JSON.stringify(spec)}`);
    checked++;
  }
  assert.equal(checked, 181);
});

test("pep440 in Trivy's mode lets <V match V's pre-releases", () => {
  // go-pep440-version TestVersion_CheckWithPreRelease, and the rows of the table above that change.
  const rows: ReadonlyArray<readonly [string, string, boolean]> = [
    ['1.3.4', '< 2.0', true],
    ['2.0a1', '<2', true],
    ['2.1a1', '<2', false],
    ['2.0.dev1', '<2', true],
    ['2.0rc1', '<2', true],
    ['2.0rc1', '<2.0', true],
    ['2.post1', '<2', false],
    // The post-release and local rules of ">" are not about pre-releases and stay.
    ['2.0.post1', '>2', false],
    ['2.0+local.version', '>2', false],
    // A local label makes go-pep440-version re-read the version without the setting.
    ['2.0rc1+local', '<2', false],
  ];
  for (const [version, spec, want] of rows) {
    assert.equal(satisfiesPep440(version, spec), want, `${version} ${JSON.stringify(spec)}`);
    assert.equal(
      pep440Scheme.satisfies(version, spec),
      want,
      `${version} ${JSON.stringify(spec)} via scheme`,
    );
  }
});

test('pep440 rejects the specifiers go-pep440-version rejects', () => {
  const valid = [
    '~=2.0',
    '==2.1.*',
    '==2.1.0.3',
    '!=2.2.*',
    '!=2.2.0.5',
    '<=5',
    '>=7.9a1',
    '<1.0.dev1',
    '>2.0.post1',
  ];
  for (const spec of [...valid, '2.0', '*', '>= 1.0, < 2.0 || == 3.0']) {
    assert.doesNotThrow(() => satisfiesPep440('1.0', spec), spec);
  }
  const invalid = ['=>2.0', '==', '~=1.0+5', '>=1.0+deadbeef', '<=1.0+abc123', '>1.0+watwat', '<1.0+1.0'];
  invalid.push('~=1.0.*', '>=1.0.*', '<=1.0.*', '>1.0.*', '<1.0.*', '==1.0.*+5', '!=1.0.*+deadbeef');
  invalid.push(
    '==1.0+5.*',
    '!=1.0+deadbeef.*',
    '==1.0.*.5',
    '~=1',
    '==1.0.dev1.*',
    '!=1.0.dev1.*',
    '',
    '>= 1.0 ||',
  );
  for (const spec of invalid) {
    assert.throws(
      () => satisfiesPep440('1.0', spec),
      (e: unknown) => e instanceof VersionError && e.code === 'INVALID_CONSTRAINT',
      JSON.stringify(spec),
    );
  }
});

test("pep440 keeps go-pep440-version's prefix-matching padding", () => {
  // pypa pads the shorter release with zeros; go-pep440-version only compares the numbers it has.
  assert.equal(satisfiesPep440('1', '==1.*'), true);
  assert.equal(satisfiesPep440('1', '==1.0.*'), false);
  assert.equal(satisfiesPep440('1.0.5', '==1.0.*'), true);
  assert.equal(satisfiesPep440('1.1', '==1.0.*'), false);
});

// Real advisories from trivy's integration DB fixtures (shared/fixtures/trivy-db-yaml/python.yaml, Apache-2.0),
// and GHSA-style pip ranges.
test('pep440 matches real advisory strings', () => {
  assert.equal(satisfiesPep440('0.15.2', '< 0.15.3'), true); // werkzeug CVE-2019-14806
  assert.equal(satisfiesPep440('0.15.3', '0.15.3'), true);
  assert.equal(satisfiesPep440('0.11.5', '< 0.11.6'), true); // werkzeug CVE-2020-28724
  assert.equal(satisfiesPep440('65.5.0', '< 65.5.1'), true); // setuptools CVE-2022-40897
  assert.equal(satisfiesPep440('65.5.1', '< 65.5.1'), false);
  assert.equal(satisfiesPep440('2.2.0', '>=2.0,<2.3.1'), true);
  assert.equal(satisfiesPep440('2.3.1', '>=2.0,<2.3.1'), false);
  assert.equal(satisfiesPep440('2.3.1rc1', '>=2.0,<2.3.1'), true);
  assert.equal(satisfiesPep440('1.9', '>=2.0,<2.3.1 || <1.10'), true);
});
