// trivy-db access over a database built from Trivy's integration fixtures (shared/fixtures/trivy-db-yaml,
// from aquasecurity/trivy integration/testdata/fixtures/db, Apache-2.0).
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createMemoryBucket, writeBolt } from './bolt/index.js';
import { VulnDbError } from './errors.js';
import { buildDbFromFixtures } from './fixture-loader.js';
import { decodeAdvisories } from './go-decode.js';
import { tempDir, trivyDbFixturesDir } from './testkit.js';
import { openTrivyDb, type TrivyDb } from './trivy-db.js';
import { severityName, statusName } from './trivy-types.js';

const tmp = tempDir('trivy-db');
let db: TrivyDb;

before(async () => {
  const dir = trivyDbFixturesDir();
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(dir, f));
  const path = join(tmp.dir, 'trivy.db');
  await buildDbFromFixtures(files, path);
  db = await openTrivyDb(path);
});

after(async () => {
  await db?.close();
  tmp.cleanup();
});

const debianSource = {
  ID: 'debian',
  Name: 'Debian Security Tracker',
  URL: 'https://salsa.debian.org/security-tracker-team/security-tracker',
};

describe('OS advisories', () => {
  test('getAdvisories for a Debian source package returns every advisory with its data source', async () => {
    const advisories = await db.getAdvisories('debian 9', 'openssl');
    assert.deepEqual([...advisories.keys()].sort(), ['CVE-2019-1551', 'CVE-2019-1563']);
    const fixed = advisories.get('CVE-2019-1563')!;
    assert.deepEqual(fixed.advisory, {
      VulnerabilityID: 'CVE-2019-1563',
      Status: 0,
      Severity: 0,
      FixedVersion: '1.1.0l-1~deb9u1',
      VendorIDs: ['DSA-4539-1'],
      DataSource: debianSource,
    });
    assert.equal(fixed.raw, '{"FixedVersion":"1.1.0l-1~deb9u1","VendorIDs":["DSA-4539-1"]}');
    assert.equal(fixed.rootBucket, 'debian 9');
    // Unknown fields (this fixture's "State") are ignored, as Go's decoder ignores them.
    assert.equal(advisories.get('CVE-2019-1551')!.advisory.FixedVersion, undefined);
  });

  test("a decoded result is the caller's own; a repeat comes from the decoded cache as frozen records", async () => {
    // A database of its own: the test before this one has looked the package up already.
    const fresh = await openTrivyDb(db.path);
    try {
      const first = await fresh.getAdvisories('debian 9', 'openssl');
      assert.ok(!Object.isFrozen(first.get('CVE-2019-1563')!.advisory));
      // The caller may change its own records: later lookups are not affected.
      (first.get('CVE-2019-1563')!.advisory as { FixedVersion?: string }).FixedVersion = 'changed';
      first.delete('CVE-2019-1551');
      const second = await fresh.getAdvisories('debian 9', 'openssl');
      const third = await fresh.getAdvisories('debian 9', 'openssl');
      assert.notEqual(second, third, 'each call gets its own Map');
      assert.equal(second.get('CVE-2019-1563'), third.get('CVE-2019-1563'), 'cached records are shared');
      assert.equal(second.get('CVE-2019-1563')!.advisory.FixedVersion, '1.1.0l-1~deb9u1');
      assert.ok(second.has('CVE-2019-1551'));
      const shared = second.get('CVE-2019-1563')!;
      assert.ok(Object.isFrozen(shared) && Object.isFrozen(shared.advisory));
      assert.ok(Object.isFrozen(shared.advisory.VendorIDs));
      assert.throws(() => {
        (shared.advisory as { FixedVersion?: string }).FixedVersion = 'changed';
      }, TypeError);
    } finally {
      await fresh.close();
    }
  });

  test('results the decoded cache admits are shared as frozen records', async () => {
    const cached = await openTrivyDb(db.path);
    try {
      // Looked up often enough to be admitted, then pushed out of the window by other lookups.
      for (let i = 0; i < 4; i++) await cached.getAdvisories('debian 9', 'openssl');
      for (let i = 0; i < 40; i++) await cached.getAdvisories('debian 9', `no-such-package-${i}`);
      const a = await cached.getAdvisories('debian 9', 'openssl');
      const b = await cached.getAdvisories('debian 9', 'openssl');
      assert.notEqual(a, b, 'each call gets its own Map');
      assert.equal(a.get('CVE-2019-1563'), b.get('CVE-2019-1563'), 'records are shared');
      assert.deepEqual(a, await db.getAdvisories('debian 9', 'openssl'));
      const record = a.get('CVE-2019-1563')!;
      assert.ok(Object.isFrozen(record) && Object.isFrozen(record.advisory));
      assert.ok(Object.isFrozen(record.advisory.VendorIDs));
      assert.throws(() => {
        (record.advisory as { FixedVersion?: string }).FixedVersion = 'changed';
      }, TypeError);
      a.delete('CVE-2019-1563');
      assert.ok((await cached.getAdvisories('debian 9', 'openssl')).has('CVE-2019-1563'));
    } finally {
      await cached.close();
    }
  });

  test('with the decoded cache off, lookups decode every time and give the same content', async () => {
    const uncached = await openTrivyDb(db.path, { decodedCacheBytes: 0 });
    try {
      const a = await uncached.getAdvisories('debian 9', 'openssl');
      const b = await uncached.getAdvisories('debian 9', 'openssl');
      assert.notEqual(a.get('CVE-2019-1563'), b.get('CVE-2019-1563'));
      assert.deepEqual(a, b);
      assert.deepEqual(a, await db.getAdvisories('debian 9', 'openssl'));
    } finally {
      await uncached.close();
    }
  });

  test('Status and Severity are the stored integers', async () => {
    const bash = (await db.getAdvisories('debian 9', 'bash')).get('CVE-2019-18276')!.advisory;
    assert.equal(bash.Status, 7);
    assert.equal(statusName(bash.Status), 'end_of_life');
    assert.equal(bash.Severity, 1);
    assert.equal(severityName(bash.Severity), 'LOW');
  });

  test('a missing package or source gives an empty map', async () => {
    assert.equal((await db.getAdvisories('debian 9', 'no-such-package')).size, 0);
    assert.equal((await db.getAdvisories('debian 99', 'openssl')).size, 0);
  });

  test('per-arch advisories decode with case-insensitive field names, as Go matches them', async () => {
    const raw = (await db.get(['rocky 8', 'openssl-libs'], 'CVE-2021-3712'))!.toString();
    const decoded = decodeAdvisories(raw);
    assert.equal(decoded.FixedVersion, '1:1.1.1k-5.el8_5');
    assert.deepEqual(decoded.Entries?.[0]?.Arches, ['x86_64']);
    assert.deepEqual(decoded.Entries?.[0]?.VendorIDs, ['RLSA-2021:4647'], 'stored as "VendorIds"');
  });
});

describe('language ecosystems', () => {
  test('a "maven::" lookup merges the advisories of every maven root bucket', async () => {
    const advisories = await db.getAdvisories('maven::', 'com.fasterxml.jackson.core:jackson-databind');
    assert.deepEqual([...advisories.keys()].sort(), ['CVE-2020-9548', 'CVE-2021-20190']);
    const ghsa = advisories.get('CVE-2020-9548')!;
    assert.equal(ghsa.rootBucket, 'maven::GitHub Security Advisory Maven');
    assert.deepEqual(ghsa.advisory.VulnerableVersions, ['>= 2.0.0, <= 2.9.10.3']);
    assert.deepEqual(ghsa.advisory.PatchedVersions, ['2.9.10.4']);
    assert.equal(ghsa.advisory.DataSource?.ID, 'ghsa');
    const glad = advisories.get('CVE-2021-20190')!;
    assert.equal(glad.rootBucket, 'maven::GitLab Advisory Database Community');
    assert.deepEqual(glad.advisory.VulnerableVersions, ['[2.9.0,2.9.10.7)']);
    assert.equal(glad.advisory.DataSource?.ID, 'glad');
  });

  test('stored JSON keeps Go escaping while the decoded constraint is plain text', async () => {
    const jquery = (await db.getAdvisories('npm::', 'jquery')).get('CVE-2015-9251')!;
    assert.equal(jquery.raw, '{"PatchedVersions":["3.0.0"],"VulnerableVersions":["\\u003c 3.0.0"]}');
    assert.deepEqual(jquery.advisory.VulnerableVersions, ['< 3.0.0']);
    assert.equal(jquery.advisory.DataSource?.Name, 'GitHub Security Advisory Npm');
  });

  test('rootBuckets lists an ecosystem by prefix, in byte order', async () => {
    assert.deepEqual(await db.rootBuckets('pip::'), ['pip::GitHub Security Advisory Pip']);
    const all = await db.rootBuckets();
    assert.ok(all.includes('vulnerability') && all.includes('data-source') && all.includes('debian 10'));
    assert.deepEqual(
      all,
      [...all].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
    );
  });
});

describe('vulnerability details and metadata', () => {
  test('getVulnerability decodes the stored details', async () => {
    const record = (await db.getVulnerability('CVE-2019-18276'))!;
    const v = record.vulnerability;
    assert.equal(
      v.Title,
      'bash: when effective UID is not equal to its real UID the saved UID is not dropped',
    );
    assert.equal(v.Severity, 'HIGH');
    assert.deepEqual(v.CweIDs, ['CWE-273']);
    assert.equal(v.VendorSeverity?.['oracle-oval'], 1);
    assert.equal(v.VendorSeverity?.nvd, 3);
    assert.deepEqual(v.CVSS?.nvd, {
      V2Score: 7.2,
      V2Vector: 'AV:L/AC:L/Au:N/C:C/I:C/A:C',
      V3Score: 7.8,
      V3Vector: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H',
    });
    assert.equal(v.PublishedDate, '2019-11-28T01:15:00Z');
    assert.ok(record.raw.startsWith('{"CVSS":{"nvd":'), 'stored with sorted keys');
    assert.equal(await db.getVulnerability('CVE-0000-0000'), undefined);
  });

  test('getDataSource, info and bucket counts', async () => {
    assert.deepEqual(await db.getDataSource('debian 10'), debianSource);
    assert.equal(await db.getDataSource('no such bucket'), undefined);
    const info = await db.info();
    assert.equal(info.pageSize, 4096);
    assert.ok(info.topLevelBuckets.includes('Red Hat'));
    assert.deepEqual(await db.countBucket('debian 9'), { name: 'debian 9', buckets: 3, values: 4 });
    assert.equal(await db.countBucket('nope'), undefined);
    assert.equal(await db.legacyMetadata(), undefined);
  });
});

test('a stored advisory Go could not decode fails the lookup with VULNDB_DECODE', async () => {
  const root = createMemoryBucket();
  root.bucket('debian 12').bucket('pkg').put('CVE-1', '{"Status":"fixed"}').put('CVE-2', '{}');
  root.bucket('vulnerability').put('CVE-1', '{"PublishedDate":"yesterday"}');
  const path = join(tmp.dir, 'bad.db');
  await writeBolt(path, root);
  const bad = await openTrivyDb(path);
  try {
    await assert.rejects(bad.getAdvisories('debian 12', 'pkg'), (error: unknown) => {
      assert.ok(error instanceof VulnDbError);
      assert.equal(error.code, 'VULNDB_DECODE');
      assert.match(error.message, /advisory CVE-1 of package "pkg".*cannot unmarshal string .* of type int/);
      return true;
    });
    await assert.rejects(bad.getVulnerability('CVE-1'), /RFC 3339/);
  } finally {
    await bad.close();
  }
});

test('later root buckets replace earlier ones for the same vulnerability ID; empty values are skipped', async () => {
  const root = createMemoryBucket();
  root.bucket('npm::a').bucket('lodash').put('CVE-1', '{"PatchedVersions":["1"]}').put('CVE-2', '');
  root.bucket('npm::b').bucket('lodash').put('CVE-1', '{"PatchedVersions":["2"]}');
  root.bucket('npm::b').bucket('lodash').bucket('nested-bucket-is-skipped');
  root.bucket('npm2::c').bucket('lodash').put('CVE-3', '{}');
  const path = join(tmp.dir, 'merge.db');
  await writeBolt(path, root);
  const merged = await openTrivyDb(path);
  try {
    const advisories = await merged.getAdvisories('npm::', 'lodash');
    assert.deepEqual([...advisories.keys()], ['CVE-1']);
    assert.deepEqual(advisories.get('CVE-1')!.advisory.PatchedVersions, ['2']);
    assert.equal(advisories.get('CVE-1')!.advisory.DataSource, undefined, 'no data-source entry');
    // An exact name without "::" does not prefix-match.
    assert.equal((await merged.getAdvisories('npm', 'lodash')).size, 0);
  } finally {
    await merged.close();
  }
});

test('non-ASCII keys and values on a page of ASCII ones decode as UTF-8, inline or on pages of their own', async () => {
  const root = createMemoryBucket();
  const inline = root.bucket('debian 12').bucket('pkg');
  inline.put('CVE-1', '{"FixedVersion":"1.0"}').put('CVE-2', '{"FixedVersion":"1.0~ü"}');
  inline.put('CVE-3', '{"VendorIDs":["ß"],"FixedVersion":"2"}').put('CVE-ä', '{"FixedVersion":"3"}');
  inline.put('CVE-5', '{"FixedVersion":"4"}');
  // Enough advisories that the package's bucket gets leaf pages of its own.
  const big = root.bucket('debian 12').bucket('big');
  const expected = new Map<string, string>();
  for (let i = 0; i < 400; i++) {
    const id = i % 7 === 3 ? `CVE-${i}-é` : `CVE-${String(i).padStart(4, '0')}`;
    const fixed = i % 5 === 2 ? `${i}.0-ñ` : `${i}.0`;
    big.put(id, `{"FixedVersion":"${fixed}"}`);
    expected.set(id, fixed);
  }
  const path = join(tmp.dir, 'utf8.db');
  await writeBolt(path, root);
  const db = await openTrivyDb(path, { decodedCacheBytes: 0 });
  try {
    const small = await db.getAdvisories('debian 12', 'pkg');
    assert.deepEqual(
      [...small].map(([id, r]) => [id, r.advisory.FixedVersion, r.raw]),
      [
        ['CVE-1', '1.0', '{"FixedVersion":"1.0"}'],
        ['CVE-2', '1.0~ü', '{"FixedVersion":"1.0~ü"}'],
        ['CVE-3', '2', '{"VendorIDs":["ß"],"FixedVersion":"2"}'],
        ['CVE-5', '4', '{"FixedVersion":"4"}'],
        ['CVE-ä', '3', '{"FixedVersion":"3"}'],
      ],
    );
    assert.deepEqual(small.get('CVE-3')!.advisory.VendorIDs, ['ß']);
    const many = await db.getAdvisories('debian 12', 'big');
    assert.equal(many.size, expected.size);
    for (const [id, fixed] of expected) {
      assert.equal(many.get(id)?.advisory.FixedVersion, fixed, id);
      assert.equal(many.get(id)?.raw, `{"FixedVersion":"${fixed}"}`, id);
    }
  } finally {
    await db.close();
  }
});
