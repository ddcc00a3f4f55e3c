import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VersionError } from './errors.js';
import { type Pair, rpmOrder, toolAvailable } from './oracle.js';
import { compareRpm, parseRpm, rpmScheme, rpmvercmp, satisfiesRpm } from './rpm.js';
import { pick, readSharedFixture, seededRandom } from './test-fixtures.js';

const EXPECTED = { '<': -1, '=': 0, '>': 1 } as const;

// version-tables/rpm-version.tsv: the rpmvercmp cases of knqyf263/go-rpm-version version_testcase.go
// (commit 631e686d1075, MIT), the comparator Trivy uses; its test runs them through rpmvercmp directly.
test('rpmvercmp passes every row of rpm-version.tsv', () => {
  const rows = readSharedFixture('version-tables/rpm-version.tsv').split('\n');
  let checked = 0;
  for (const [index, row] of rows.entries()) {
    if (row === '') continue;
    const [a, op, b] = row.split('\t');
    assert.ok(
      a !== undefined && b !== undefined && (op === '<' || op === '=' || op === '>'),
      `row ${index + 1}`,
    );
    assert.equal(
      rpmvercmp(a, b),
      EXPECTED[op],
      `row ${index + 1}: ${JSON.stringify(a)} ${op} ${JSON.stringify(b)}`,
    );
    checked++;
  }
  assert.ok(checked > 4000, `only ${checked} rows read`);
});

// go-rpm-version's TestParseAndCompare (MIT): Oracle Linux corner cases, rpm's tests/rpmvercmp.at, caret and
// tilde together, and epochs, all as full EVR comparisons.
const EVR_CASES: ReadonlyArray<readonly [string, '<' | '=' | '>', string]> = [
  ['2.9.1-6.0.1.el7_2.3', '>', '2.9.1-6.el7_2.3'],
  ['3.10.0-327.28.3.el7', '>', '3.10.0-327.el7'],
  ['3.14.3-23.3.el6_8', '>', '3.14.3-23.el6_7'],
  ['2.23.2-22.el7_1', '<', '2.23.2-22.el7_1.1'],
  ['1.0', '<', '2.0'],
  ['2.0.1a', '>', '2.0.1'],
  ['5.5p1', '<', '5.5p10'],
  ['10xyz', '<', '10.1xyz'],
  ['xyz.4', '<', '8'],
  ['6.0.rc1', '>', '6.0'],
  ['10b2', '>', '10a1'],
  ['1.0a', '<', '1.0aa'],
  ['10.0001', '=', '10.1'],
  ['4.999.9', '<', '5.0'],
  ['2.0', '=', '2_0'],
  ['1.0~rc1', '<', '1.0'],
  ['1.0~rc1~git123', '<', '1.0~rc1'],
  ['1.0^', '>', '1.0'],
  ['1.0^git1', '<', '1.01'],
  ['1.0^20160101', '<', '1.0.1'],
  ['1.0^20160102', '>', '1.0^20160101^git1'],
  ['1.0~rc1^git1', '>', '1.0~rc1'],
  ['1.0^git1~pre', '<', '1.0^git1'],
  ['1.0^', '>', '1.0~'],
  ['1.0~rc1', '<', '1.0^git1'],
  ['1.0-1^', '>', '1.0-1'],
  ['1.0-1^git1', '<', '1.0-1.1'],
  ['1:1.0^git1', '>', '1:1.0'],
  ['1.0^~', '>', '1.0'],
  ['^1.0', '<', '1.0'],
  ['1.0^^1', '<', '1.0^1'],
  ['1:1.0~rc1', '>', '0:1.0~rc1'],
  ['1.0~rc1', '<', '2:1.0~rc1'],
  ['3:1.0~rc1', '=', '3:1.0~rc1'],
];

test('rpm compares full EVR strings (go-rpm-version TestParseAndCompare)', () => {
  for (const [a, op, b] of EVR_CASES) {
    assert.equal(compareRpm(a, b), EXPECTED[op], `${a} ${op} ${b}`);
    assert.equal(compareRpm(b, a), -EXPECTED[op] || 0, `${b} vs ${a}`);
  }
});

test('rpm splits like go-rpm-version: epoch at the first colon, release at the first hyphen', () => {
  assert.deepEqual(parseRpm('1:2.3-4.el8'), { epoch: 1, version: '2.3', release: '4.el8' });
  assert.deepEqual(parseRpm('0:0-0-0'), { epoch: 0, version: '0', release: '0-0' });
  assert.deepEqual(parseRpm('0:0:0-0'), { epoch: 0, version: '0:0', release: '0' });
  assert.deepEqual(parseRpm('c105b9de-4e0fd3a3'), { epoch: 0, version: 'c105b9de', release: '4e0fd3a3' });
  // Trivy-compatible, not rpm's rpmverCmp: a missing release is an empty one, not "don't care".
  assert.equal(compareRpm('1.0', '1.0-1'), -1);
});

test('rpm rejects versions rpm never produces', () => {
  for (const [input, reason] of [
    ['', /empty/],
    ['  ', /empty/],
    ['a:1.0', /epoch/],
    ['-1:1.0', /epoch/],
    ['1:', /version part is empty/],
    ['-1', /version part is empty/],
    ['1.0 1', /whitespace/],
  ] as const) {
    assert.throws(
      () => parseRpm(input),
      (e: unknown) => e instanceof VersionError && reason.test(e.message),
      input,
    );
    assert.equal(rpmScheme.isValid(input), false);
  }
});

test('rpm satisfies() reads relational constraints', () => {
  assert.equal(satisfiesRpm('1:1.0.2k-19.el7', '< 1:1.0.2k-21.el7_9'), true);
  assert.equal(satisfiesRpm('1:1.0.2k-21.el7_9', '< 1:1.0.2k-21.el7_9'), false);
  assert.equal(satisfiesRpm('2.0-1', '>= 1.0-1, < 2.0-1 || = 2.0-1'), true);
});

function rpmSegmentString(random: () => number): string {
  const pieces = [
    '0',
    '1',
    '2',
    '9',
    '10',
    '01',
    '007',
    'a',
    'b',
    'z',
    'rc',
    'git',
    'A',
    '.',
    '.',
    '_',
    '+',
    '~',
    '^',
  ];
  const n = 1 + Math.floor(random() * 6);
  return Array.from({ length: n }, () => pick(random, pieces)).join('');
}

function rpmPairs(seed: number, count: number, full: boolean): Pair[] {
  const random = seededRandom(seed);
  const label = (): string => {
    if (!full) return rpmSegmentString(random);
    const epoch = random() < 0.3 ? `${pick(random, ['0', '1', '2', '00', '10'])}:` : '';
    return `${epoch}${rpmSegmentString(random)}-${rpmSegmentString(random)}`;
  };
  const mutate = (v: string): string => {
    const at = Math.floor(random() * (v.length + 1));
    const insert = pick(random, ['~', '^', '0', '1', 'a', '.', '_', '']);
    return `${v.slice(0, at)}${insert}${v.slice(at + (random() < 0.5 ? 1 : 0))}`;
  };
  const pairs: Pair[] = [];
  while (pairs.length < count) {
    const a = label();
    const b = random() < 0.5 ? mutate(a) : label();
    // rpm.vercmp reads "E:V-R" itself; keep the pure-rpmvercmp set free of ':' and '-', and the full set to
    // exactly one '-' and a non-empty version, where rpm's and go-rpm-version's splitting agree.
    const shapeOk = full
      ? [a, b].every(
          (v) => /^([0-9]+:)?[^:-]+-[^:-]+$/.test(v) && /[A-Za-z0-9~^]/.test(v.split('-')[0] ?? ''),
        )
      : [a, b].every((v) => !/[:-]/.test(v) && v !== '');
    if (shapeOk) pairs.push([a, b]);
  }
  return pairs;
}

test("rpmvercmp agrees with rpm's own rpm.vercmp on 20000 seeded random pairs", () => {
  assert.ok(
    toolAvailable('rpm', ['--version']),
    'the Debian package `rpm` is needed (scripts/setup.sh installs it)',
  );
  const pairs = rpmPairs(8675309, 20000, false);
  const expected = rpmOrder(pairs);
  const mismatches = pairs
    .map(([a, b], i) => ({ a, b, rpm: expected[i], vigil: rpmvercmp(a, b) }))
    .filter((r) => r.rpm !== r.vigil);
  assert.deepEqual(
    mismatches.slice(0, 20),
    [],
    `${mismatches.length} of ${pairs.length} pairs differ from rpm`,
  );
  for (const outcome of [-1, 0, 1])
    assert.ok(expected.filter((e) => e === outcome).length > 200, `outcome ${outcome}`);
});

test("full EVR comparison agrees with rpm's own rpm.vercmp on 20000 seeded random pairs", () => {
  const pairs = rpmPairs(42, 20000, true);
  const expected = rpmOrder(pairs);
  const mismatches = pairs
    .map(([a, b], i) => ({ a, b, rpm: expected[i], vigil: compareRpm(a, b) }))
    .filter((r) => r.rpm !== r.vigil);
  assert.deepEqual(
    mismatches.slice(0, 20),
    [],
    `${mismatches.length} of ${pairs.length} pairs differ from rpm`,
  );
  for (const outcome of [-1, 0, 1])
    assert.ok(expected.filter((e) => e === outcome).length > 200, `outcome ${outcome}`);
});
