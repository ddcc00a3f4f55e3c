// Helpers for the detection and report tests: a trivy.db built from Trivy's integration fixtures
// (../shared/fixtures/trivy-db-yaml, plus Vigil's own extra fixtures), and package builders.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildDbFromFixtures, openTrivyDb, type TrivyDb } from '../vulndb/index.js';
import { repoRoot, tempDir, trivyDbFixturesDir } from '../vulndb/testkit.js';
import type { Package } from './types.js';

/** Trivy's integration clock (integration/integration_test.go): 2021-08-25T12:20:30.000000005Z. */
export const TRIVY_TEST_NOW = Date.UTC(2021, 7, 25, 12, 20, 30);

/** Vigil's hand-written fixtures for what Trivy's integration fixtures do not cover. */
export function extraFixture(): string {
  return join(repoRoot(), 'src', 'detect', 'testdata', 'extra-db.yaml');
}

export interface FixtureDb {
  db: TrivyDb;
  close(): Promise<void>;
}

/** A database from every YAML file of Trivy's integration fixtures, then `extra` files in order. */
export async function openFixtureDb(extra: readonly string[] = []): Promise<FixtureDb> {
  const dir = trivyDbFixturesDir();
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(dir, f));
  const tmp = tempDir('detect-db');
  const path = join(tmp.dir, 'trivy.db');
  await buildDbFromFixtures([...files, ...extra], path);
  const db = await openTrivyDb(path);
  return {
    db,
    async close() {
      await db.close();
      tmp.cleanup();
    },
  };
}

/** A Debian package; the source package defaults to the binary one. */
export function deb(name: string, version: string, src?: { name?: string; version?: string }): Package {
  const [v, r, e] = splitDeb(version);
  const [sv, sr, se] = splitDeb(src?.version ?? version);
  return {
    ID: `${name}@${version}`,
    Name: name,
    Version: v,
    Release: r,
    Epoch: e,
    SrcName: src?.name ?? name,
    SrcVersion: sv,
    SrcRelease: sr,
    SrcEpoch: se,
  };
}

/** dpkg's split: epoch before the first ":", revision after the last "-". */
function splitDeb(version: string): [string, string | undefined, number | undefined] {
  let rest = version;
  let epoch: number | undefined;
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    epoch = Number(rest.slice(0, colon)) || undefined;
    rest = rest.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  return dash < 0 ? [rest, undefined, epoch] : [rest.slice(0, dash), rest.slice(dash + 1), epoch];
}

/** An RPM package "[epoch:]version-release" of arch; the source RPM defaults to the binary one. */
export function rpm(
  name: string,
  version: string,
  arch = 'x86_64',
  src?: { name?: string; version?: string },
): Package {
  const [v, r, e] = splitRpm(version);
  const [sv, sr] = splitRpm(src?.version ?? version);
  return {
    ID: `${name}@${v}-${r}.${arch}`,
    Name: name,
    Version: v,
    Release: r,
    Epoch: e,
    Arch: arch,
    SrcName: src?.name ?? name,
    SrcVersion: sv,
    SrcRelease: sr,
    // Trivy's rpm analyser copies the binary epoch to the source package.
    SrcEpoch: e,
  };
}

function splitRpm(version: string): [string, string, number | undefined] {
  let rest = version;
  let epoch: number | undefined;
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    epoch = Number(rest.slice(0, colon)) || undefined;
    rest = rest.slice(colon + 1);
  }
  const dash = rest.indexOf('-');
  return dash < 0 ? [rest, '', epoch] : [rest.slice(0, dash), rest.slice(dash + 1), epoch];
}

/** An Alpine package: the whole version (with -rN) is the version; origin is the source name. */
export function apk(name: string, version: string, origin = name): Package {
  return { ID: `${name}@${version}`, Name: name, Version: version, SrcName: origin, SrcVersion: version };
}

/** A language package. */
export function lib(name: string, version: string, extra: Partial<Package> = {}): Package {
  return { ID: `${name}@${version}`, Name: name, Version: version, ...extra };
}
