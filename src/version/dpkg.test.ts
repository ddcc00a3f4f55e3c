import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareDebianPart, compareDpkg, dpkgScheme, parseDpkg, satisfiesDpkg } from './dpkg.js';
import { VersionError } from './errors.js';
import { dpkgOrder, type Pair, toolAvailable } from './oracle.js';
import { pick, seededRandom } from './test-fixtures.js';

// Cases from knqyf263/go-deb-version version_test.go (MIT), the comparator Trivy uses, plus Debian
// Policy §5.6.12's own examples.
const ORDERED: ReadonlyArray<readonly [string, '<' | '=' | '>', string]> = [
  ['7.4.629-3', '<', '7.4.629-5'],
  ['7.4.622-1', '<', '7.4.629-1'],
  ['6.0-4.el6.x86_64', '<', '6.0-5.el6.x86_64'],
  ['6.0-4.el6.x86_64', '<', '6.1-3.el6.x86_64'],
  ['7.0-4.el6.x86_64', '>', '6.1-3.el6.x86_64'],
  ['2:7.4.052-1ubuntu3', '<', '2:7.4.052-1ubuntu3.1'],
  ['2:7.4.052-1ubuntu2', '<', '2:7.4.052-1ubuntu3'],
  ['2:7.4.052-1', '<', '2:7.4.052-1ubuntu3'],
  ['2:7.4.052', '<', '2:7.4.052-1'],
  ['1:7.4.052', '<', '2:7.4.052'],
  ['1:7.4.052', '>', '7.4.052'],
  ['2:7.4.052-1ubuntu3.2', '>', '2:7.4.052-1ubuntu3.1'],
  ['1.9.1-2', '<', '1.16-1+deb8u1'],
  ['1.9-2', '<', '1.9.1-1+deb8u1'],
  // Policy: "~" sorts before anything, even the end of a part.
  ['1.0~rc1-1', '<', '1.0-1'],
  ['1.0~~-1', '<', '1.0~~a-1'],
  ['1.0~~a', '<', '1.0~'],
  ['1.0~', '<', '1.0'],
  ['1.0', '<', '1.0a'],
  ['1.0a', '<', '1.0+'],
  ['1.0+b1', '>', '1.0'],
  ['2.30-1+deb10u1', '>', '2.30-1'],
  ['1.0', '=', '1.0-0'],
  ['1.01', '=', '1.1'],
  ['0:1.0', '=', '1.0'],
  ['1.0-1', '<', '1.0-1.1'],
  ['10.0', '>', '9.99'],
  ['1.2.3-12345678901234567890', '<', '1.2.3-12345678901234567891'],
];

test('dpkg orders the hand-written cases', () => {
  const expected = { '<': -1, '=': 0, '>': 1 } as const;
  for (const [a, op, b] of ORDERED) {
    assert.equal(compareDpkg(a, b), expected[op], `${a} ${op} ${b}`);
    assert.equal(compareDpkg(b, a), -expected[op] || 0, `${b} vs ${a}`);
  }
});

test('compareDebianPart follows the character weights of Policy (go-deb-version compareString cases)', () => {
  assert.equal(compareDebianPart('~~', '~~a'), -1);
  assert.equal(compareDebianPart('~~a', '~'), -1);
  assert.equal(compareDebianPart('~', ''), -1);
  assert.equal(compareDebianPart('', 'a'), -1);
  assert.equal(compareDebianPart('a', '.'), -1);
});

test('dpkg parses epoch, upstream and revision, splitting the revision at the last hyphen', () => {
  assert.deepEqual(parseDpkg('2:7.4.052-1ubuntu3.1'), {
    epoch: 2,
    upstream: '7.4.052',
    revision: '1ubuntu3.1',
  });
  assert.deepEqual(parseDpkg('1.2-3-4'), { epoch: 0, upstream: '1.2-3', revision: '4' });
  assert.deepEqual(parseDpkg('1:2:3'), { epoch: 1, upstream: '2:3', revision: '' });
  assert.deepEqual(parseDpkg(' 1.0 '), { epoch: 0, upstream: '1.0', revision: '' });
});

test('dpkg rejects what go-deb-version rejects, with a message naming the problem', () => {
  const invalid: ReadonlyArray<readonly [string, RegExp]> = [
    ['', /empty/],
    ['A:1.2.3', /epoch/],
    ['-1:1.2.3', /epoch/],
    ['2:-1ubuntu3.1', /upstream version is empty/],
    ['2:A7.4.052-1ubuntu3.1', /does not start with a digit/],
    ['2:7.4.!052-1ubuntu3.1', /upstream version has a character/],
    ['7.4.052-!1ubuntu3.1', /revision has a character/],
    ['1.0-', /revision .* is empty/],
    ['1.0 1', /whitespace/],
    ['99999999999:1.0', /epoch is too big/],
  ];
  for (const [input, reason] of invalid) {
    assert.throws(
      () => parseDpkg(input),
      (e: unknown) => e instanceof VersionError && e.code === 'INVALID_VERSION' && reason.test(e.message),
      input,
    );
    assert.equal(dpkgScheme.isValid(input), false, input);
  }
  assert.throws(() => compareDpkg('1.0', 'x'), VersionError);
});

test('dpkg satisfies() reads relational constraints including << and >>', () => {
  assert.equal(satisfiesDpkg('2.30-1', '<< 2.30-1+deb10u1'), true);
  assert.equal(satisfiesDpkg('2.30-1+deb10u1', '<< 2.30-1+deb10u1'), false);
  assert.equal(satisfiesDpkg('1:1.0', '>= 1:0.9, < 1:1.1'), true);
  assert.equal(satisfiesDpkg('1.0', '>= 1:0.9, < 1:1.1'), false);
  assert.equal(satisfiesDpkg('3.0-1', '< 1.0 || = 3.0-1'), true);
  assert.equal(satisfiesDpkg('1.0-0', '1.0'), true);
  assert.throws(() => satisfiesDpkg('1.0', '>= '), VersionError);
  assert.throws(() => satisfiesDpkg('1.0', '>= x1'), VersionError);
});

/** Versions built from the pieces that make dpkg's ordering interesting. */
function dpkgPairs(seed: number, count: number): Pair[] {
  const random = seededRandom(seed);
  const upstreamPieces = [
    '0',
    '1',
    '2',
    '9',
    '10',
    '01',
    '001',
    '.',
    '.',
    '+',
    '~',
    '~~',
    'a',
    'b',
    'z',
    'A',
    'Z',
    'rc',
  ];
  const revisionPieces = ['0', '1', '2', '10', '.', '+', '~', 'a', 'b', 'deb', 'ubuntu', 'A', 'build'];
  const piece = (pieces: readonly string[], n: number) =>
    Array.from({ length: n }, () => pick(random, pieces)).join('');
  const version = (): string => {
    const epoch = random() < 0.25 ? `${pick(random, ['0', '1', '2', '00'])}:` : '';
    let upstream = `${pick(random, ['0', '1', '2', '10'])}${piece(upstreamPieces, Math.floor(random() * 5))}`;
    const revision = random() < 0.6 ? piece(revisionPieces, 1 + Math.floor(random() * 3)) : '';
    if (revision !== '' && random() < 0.2) upstream += `-${pick(random, ['1', 'a', '0'])}`;
    if (epoch !== '' && random() < 0.2) upstream += ':1';
    return `${epoch}${upstream}${revision === '' ? '' : `-${revision}`}`;
  };
  const mutate = (v: string): string => {
    const at = Math.floor(random() * (v.length + 1));
    const insert = pick(random, ['~', '0', '1', 'a', '+', '.', '', '']);
    const candidate = `${v.slice(0, at)}${insert}${v.slice(at + (random() < 0.5 ? 1 : 0))}`;
    return dpkgScheme.isValid(candidate) ? candidate : v;
  };
  const pairs: Pair[] = [];
  while (pairs.length < count) {
    const a = version();
    if (!dpkgScheme.isValid(a)) continue;
    const b = random() < 0.5 ? mutate(a) : version();
    if (!dpkgScheme.isValid(b)) continue;
    pairs.push([a, b]);
  }
  return pairs;
}

test('dpkg agrees with `dpkg --compare-versions` on 3000 seeded random pairs', async () => {
  assert.ok(
    toolAvailable('dpkg', ['--version']),
    'dpkg is needed for this test (it is part of every Debian system)',
  );
  const pairs = dpkgPairs(20240611, 3000);
  const expected = await dpkgOrder(pairs);
  const mismatches = pairs
    .map(([a, b], i) => ({ a, b, dpkg: expected[i], vigil: compareDpkg(a, b) }))
    .filter((r) => r.dpkg !== r.vigil);
  assert.deepEqual(
    mismatches.slice(0, 20),
    [],
    `${mismatches.length} of ${pairs.length} pairs differ from dpkg`,
  );
  // The generator must exercise every outcome, or the agreement proves little.
  for (const outcome of [-1, 0, 1])
    assert.ok(expected.filter((e) => e === outcome).length > 50, `outcome ${outcome}`);
});
