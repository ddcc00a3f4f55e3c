import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { apkScheme } from './apk.js';
import { cargoScheme } from './cargo.js';
import { composerScheme } from './composer.js';
import { dpkgScheme } from './dpkg.js';
import { VersionError } from './errors.js';
import { genericScheme } from './generic.js';
import { goScheme } from './golang.js';
import { mavenScheme } from './maven.js';
import { npmScheme } from './npm.js';
import { nugetScheme } from './nuget.js';
import { pep440Scheme } from './pep440.js';
import { comparatorFor, knownEcosystems } from './registry.js';
import { rpmScheme } from './rpm.js';
import { rubygemsScheme } from './rubygems.js';
import { readSharedFixture, sharedFixturesDir } from './test-fixtures.js';
import type { VersionScheme } from './types.js';

test("comparatorFor maps Trivy's ecosystem names and OS families to the scheme Trivy uses", () => {
  const expected: ReadonlyArray<readonly [string, VersionScheme]> = [
    ['npm', npmScheme],
    ['yarn', npmScheme],
    ['pip', pep440Scheme],
    ['poetry', pep440Scheme],
    ['rubygems', rubygemsScheme],
    ['bundler', rubygemsScheme],
    ['cocoapods', rubygemsScheme],
    ['maven', mavenScheme],
    ['jar', mavenScheme],
    // Trivy matches these with aquasecurity/go-version (its GenericComparer).
    ['go', genericScheme],
    ['gomod', genericScheme],
    ['cargo', genericScheme],
    ['composer', genericScheme],
    ['nuget', genericScheme],
    ['pub', genericScheme],
    ['k8s', genericScheme],
    ['debian', dpkgScheme],
    ['ubuntu', dpkgScheme],
    // Trivy's Amazon Linux driver compares with go-deb-version.
    ['amazon', dpkgScheme],
    ['redhat', rpmScheme],
    ['centos', rpmScheme],
    ['rocky', rpmScheme],
    ['alma', rpmScheme],
    ['oracle', rpmScheme],
    ['fedora', rpmScheme],
    ['suse', rpmScheme],
    ['photon', rpmScheme],
    ['mariner', rpmScheme],
    ['azure', rpmScheme],
    ['alpine', apkScheme],
    ['wolfi', apkScheme],
    ['chainguard', apkScheme],
    ['Debian', dpkgScheme],
  ];
  for (const [ecosystem, scheme] of expected) assert.equal(comparatorFor(ecosystem), scheme, ecosystem);
});

test("comparatorFor gives each ecosystem's own rules when asked for native semantics", () => {
  const native = { semantics: 'native' } as const;
  assert.equal(comparatorFor('go', native), goScheme);
  assert.equal(comparatorFor('gomod', native), goScheme);
  assert.equal(comparatorFor('cargo', native), cargoScheme);
  assert.equal(comparatorFor('composer', native), composerScheme);
  assert.equal(comparatorFor('nuget', native), nugetScheme);
  assert.equal(comparatorFor('amazon', native), rpmScheme);
  assert.equal(comparatorFor('npm', native), npmScheme);
  assert.equal(comparatorFor('debian', native), dpkgScheme);
});

test('comparatorFor rejects unknown ecosystems with a message listing the known ones', () => {
  assert.throws(
    () => comparatorFor('conda'),
    (e: unknown) =>
      e instanceof VersionError &&
      e.code === 'UNSUPPORTED_ECOSYSTEM' &&
      /conda/.test(e.message) &&
      /npm/.test(e.message),
  );
  assert.ok(knownEcosystems().includes('wolfi'));
});

interface Advisory {
  readonly VulnerableVersions?: string[];
  readonly PatchedVersions?: string[];
  readonly UnaffectedVersions?: string[];
}

/** trivy:pkg/detector/library/compare/compare.go IsVulnerable, over a Vigil scheme. */
function isVulnerable(scheme: VersionScheme, version: string, advisory: Advisory): boolean {
  const vulnerable = advisory.VulnerableVersions ?? [];
  const secure = [...(advisory.PatchedVersions ?? []), ...(advisory.UnaffectedVersions ?? [])];
  if ([...vulnerable, ...(advisory.PatchedVersions ?? [])].some((v) => v === '')) return true;
  let matched = false;
  if (vulnerable.length > 0) {
    matched = scheme.satisfies(version, vulnerable.join(' || '));
    if (!matched) return false;
  }
  if (secure.length === 0) return matched;
  return !scheme.satisfies(version, secure.join(' || '));
}

interface Pair {
  readonly bucket?: string;
  readonly key?: string;
  readonly value?: Advisory;
  readonly pairs?: Pair[];
}

/** Versions a range names and what IsVulnerable must say about them. */
function boundsOf(range: string, inVulnerable: boolean): Array<readonly [string, boolean]> {
  const bounds: Array<readonly [string, boolean]> = [];
  for (const m of range.matchAll(/(>=|<=|<|>|=)?\s*v?([0-9][0-9A-Za-z.+-]*)/g)) {
    const [, op = '', version = ''] = m;
    if (range.includes('[') || range.includes('(')) continue;
    if (!inVulnerable && (op === '' || op === '>=' || op === '=')) bounds.push([version, false]);
    if (inVulnerable && (op === '>=' || op === '<=')) bounds.push([version, true]);
  }
  const maven = /^[[(]([^,]*),([^\])]*)[\])]$/.exec(range.trim());
  if (maven !== null) {
    if (maven[1] !== undefined && range.startsWith('[') && maven[1] !== '') bounds.push([maven[1], true]);
    if (maven[2] !== undefined && range.endsWith(')') && maven[2] !== '') bounds.push([maven[2], false]);
  }
  return bounds;
}

// Every language advisory in trivy's integration DB fixtures (shared/fixtures/trivy-db-yaml, from
// aquasecurity/trivy integration/testdata/fixtures/db, Apache-2.0): each constraint string must be readable
// by the scheme Trivy would use, and the versions the ranges name must land on the right side of them.
test('every language advisory in the trivy-db fixtures reads and matches at its own bounds', (t) => {
  const dir = `${sharedFixturesDir().replace(/\/$/, '')}/trivy-db-yaml`;
  let advisories = 0;
  let checks = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    const buckets = parse(readSharedFixture(`trivy-db-yaml/${file}`)) as Pair[];
    for (const source of buckets) {
      const ecosystem = source.bucket?.split('::')[0];
      if (source.bucket === undefined || !source.bucket.includes('::') || ecosystem === undefined) continue;
      const scheme = comparatorFor(ecosystem);
      for (const pkg of source.pairs ?? []) {
        for (const entry of pkg.pairs ?? []) {
          const advisory = entry.value;
          if (advisory === undefined) continue;
          advisories++;
          const where: string = `${file} ${source.bucket} ${pkg.bucket} ${entry.key}`;
          // A version named as patched is safe even where a vulnerable range also names it (the fixtures have
          // "<= 1.6.14" with patched "1.6.14"): Trivy's secure versions win.
          const expectations = new Map([
            ...(advisory.VulnerableVersions ?? []).flatMap((r) => boundsOf(r, true)),
            ...(advisory.PatchedVersions ?? []).flatMap((r) => boundsOf(r, false)),
          ]);
          assert.ok(expectations.size > 0, `${where}: no bound found`);
          for (const [version, vulnerable] of expectations) {
            assert.equal(isVulnerable(scheme, version, advisory), vulnerable, `${where}: ${version}`);
            checks++;
          }
        }
      }
    }
  }
  t.diagnostic(`${advisories} advisories, ${checks} bound checks`);
  assert.ok(advisories >= 25, `only ${advisories} advisories found`);
  assert.ok(checks >= 50, `only ${checks} checks made`);
});
