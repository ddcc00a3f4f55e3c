// The YAML fixture loader must build the same database as Trivy's own loader (aquasecurity/bolt-fixtures,
// run by tools/bolt-check load): byte-identical keys and values for Trivy's integration fixtures
// (shared/fixtures/trivy-db-yaml, from aquasecurity/trivy integration/testdata/fixtures/db, Apache-2.0)
// and for a file of YAML corner cases.
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openBolt } from './bolt/index.js';
import { VulnDbError } from './errors.js';
import { buildDbFromFixtures } from './fixture-loader.js';
import {
  dumpLines,
  firstDifference,
  outputLines,
  runBoltCheck,
  tempDir,
  trivyDbFixturesDir,
} from './testkit.js';

const tmp = tempDir('fixture-loader');
after(tmp.cleanup);

function fixtureFiles(): string[] {
  const dir = trivyDbFixturesDir();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(dir, f));
}

async function assertSameAsBoltFixtures(files: string[], name: string): Promise<string[]> {
  const goDb = join(tmp.dir, `${name}-go.db`);
  const tsDb = join(tmp.dir, `${name}-ts.db`);
  await runBoltCheck('load', goDb, ...files);
  // The header line holds page size and txid, which legitimately differ; compare the contents.
  const expected = outputLines(await runBoltCheck('dump', goDb)).slice(1);
  await buildDbFromFixtures(files, tsDb);
  const db = await openBolt(tsDb);
  try {
    const actual = (await dumpLines(db)).slice(1);
    const diff = firstDifference(actual, expected);
    assert.equal(diff, undefined, diff);
    return actual;
  } finally {
    await db.close();
  }
}

test("all of Trivy's DB fixtures load byte-for-byte as bolt-fixtures loads them", async () => {
  const files = fixtureFiles();
  assert.ok(files.length >= 25, `fixture files: ${files.length}`);
  const lines = await assertSameAsBoltFixtures(files, 'all');
  assert.ok(lines.length > 200, `entries: ${lines.length}`);
});

test('YAML corner cases (numbers, keywords, escaping, key order, merging) match bolt-fixtures', async () => {
  const file = join(tmp.dir, 'corners.yaml');
  writeFileSync(
    file,
    [
      '- bucket: scalars',
      '  pairs:',
      '    - {key: str, value: plain <a & b>}',
      '    - {key: quoted-number, value: "123"}',
      '    - {key: int, value: 42}',
      '    - {key: negative, value: -017}',
      '    - {key: big, value: 18446744073709551615}',
      '    - {key: too-big, value: 100000000000000000000}',
      '    - {key: float-one, value: 1.0}',
      '    - {key: million, value: 1000000.0}',
      '    - {key: small, value: 0.00001}',
      '    - {key: not-a-float, value: 1e3}',
      '    - {key: bool, value: True}',
      '    - {key: legacy-bool, value: yes}',
      '    - {key: nothing, value: ~}',
      '    - {key: missing}',
      '    - {key: empty, value: ""}',
      '    - {key: timestamp, value: 2023-02-24T18:38:00Z}',
      '    - {key: inf, value: -.inf}',
      '    - {key: underscore, value: 1_000}',
      '- bucket: structured',
      '  pairs:',
      '    - key: map',
      '      value:',
      '        b: 1',
      '        a: 2.0',
      '        C: "x<y"',
      '        é: 1.5',
      '        "𝄞": astral',
      '        nested: {z: [1, 2.5, three, true, null, 1e3], y: {}}',
      '        ts: 2023-02-24T18:38:00Z',
      '        f: 1000000.0',
      '    - {key: list, value: [b, a, 3, {k: v}]}',
      '    - bucket: 2023',
      '      pairs:',
      '        - {key: 12, value: numeric names}',
      '- bucket: scalars',
      '  pairs:',
      '    - {key: str, value: replaced by a later entry}',
    ].join('\n'),
  );
  const lines = await assertSameAsBoltFixtures([file], 'corners');
  assert.equal(lines.length, 1 + 18 + 1 + 4); // two buckets, 18 scalars, map, list, bucket 2023 and its key
});

test('the loader stores real advisory data as Trivy does (raw scalars, Go JSON for maps)', async () => {
  const dbPath = join(tmp.dir, 'debian.db');
  const dir = trivyDbFixturesDir();
  await buildDbFromFixtures([join(dir, 'debian.yaml'), join(dir, 'nodejs.yaml')], dbPath);
  const db = await openBolt(dbPath);
  try {
    const value = async (...path: string[]) => {
      const key = path.pop()!;
      return (await (await db.bucket(...path))?.get(key))?.toString();
    };
    assert.equal(
      await value('debian 10', 'libidn2', 'CVE-2019-18224'),
      '{"FixedVersion":"2.0.5-1+deb10u1","VendorIDs":["DSA-4613-1"]}',
    );
    // "Severity: 1.0" is a YAML float: json.Marshal writes it as 1.
    assert.equal(await value('debian 9', 'bash', 'CVE-2019-18276'), '{"Severity":1,"Status":7}');
    // debian.yaml lists the openssl bucket twice; both entries end up in one bucket.
    assert.equal(await value('debian 9', 'openssl', 'CVE-2019-1551'), '{"State":"postponed"}');
    assert.equal(
      await value('debian 9', 'openssl', 'CVE-2019-1563'),
      '{"FixedVersion":"1.1.0l-1~deb9u1","VendorIDs":["DSA-4539-1"]}',
    );
    assert.equal(
      await value('npm::GitHub Security Advisory Npm', 'jquery', 'CVE-2015-9251'),
      '{"PatchedVersions":["3.0.0"],"VulnerableVersions":["\\u003c 3.0.0"]}',
    );
  } finally {
    await db.close();
  }
});

test('malformed fixtures are VULNDB_FIXTURE errors naming the file', async () => {
  const cases: [string, RegExp][] = [
    ['bucket: not-a-list\n', /must be a list/],
    [
      '- bucket: a\n  pairs:\n    - {key: k, value: v}\n    - bucket: k\n',
      /holds a value and cannot become a bucket/,
    ],
    ['- pairs: []\n', /no bucket name/],
    ['- bucket: a\n  pairs:\n    - {value: v}\n', /neither a bucket nor a key/],
    ['- bucket: [unclosed\n', /invalid YAML/],
    ['- bucket: a\n  pairs:\n    - {key: k, value: {x: .nan}}\n', /cannot encode/],
  ];
  for (const [i, [yaml, pattern]] of cases.entries()) {
    const file = join(tmp.dir, `bad-${i}.yaml`);
    writeFileSync(file, yaml);
    await assert.rejects(buildDbFromFixtures([file], join(tmp.dir, `bad-${i}.db`)), (error: unknown) => {
      assert.ok(error instanceof VulnDbError, String(error));
      assert.equal(error.code, 'VULNDB_FIXTURE');
      assert.ok(error.message.includes(file), error.message);
      assert.match(error.message, pattern);
      return true;
    });
  }
});
