// Reproduces Trivy's own golden reports (integration/testdata/*.json.golden, Apache-2.0, see
// testdata/trivy-golden/README.md) byte for byte: detection against a DB built from the same fixtures,
// FillInfo, filtering, fingerprints and the JSON writer. Image inputs (OS, package lists with source
// packages) are written down here by hand; identifiers and layers, which the image analysers compute, are
// taken from the golden. Lock-file inputs are the Packages the golden lists.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createDetector } from '../detect/detector.js';
import { apk, deb, type FixtureDb, openFixtureDb, rpm, TRIVY_TEST_NOW } from '../detect/testkit.js';
import type { Application, OS, Package, RelationshipValue, Repository } from '../detect/types.js';
import { repoRoot } from '../vulndb/testkit.js';
import { buildReport } from './build.js';
import { writeJsonReport } from './encode.js';
import { type FilterOptions, filterReport } from './filter.js';

const GOLDEN_DIR = join(repoRoot(), 'src', 'report', 'testdata', 'trivy-golden');
const CREATED_AT = '2021-08-25T12:20:30.000000005Z';
const REPORT_ID = '017b7d41-e09f-7000-80ea-000000000001';

// biome-ignore lint/suspicious/noExplicitAny: golden files are read as untyped JSON
type Json = any;

function readGolden(name: string): { text: string; json: Json } {
  const text = readFileSync(join(GOLDEN_DIR, `${name}.json.golden`), 'utf8');
  return { text, json: JSON.parse(text) };
}

/** Identifier and Layer per package, as the image analysers produced them, from the golden's findings. */
function analysedFields(golden: Json): Map<string, Pick<Package, 'Identifier' | 'Layer'>> {
  const out = new Map<string, Pick<Package, 'Identifier' | 'Layer'>>();
  for (const result of golden.Results ?? []) {
    for (const v of result.Vulnerabilities ?? []) {
      const key = v.PkgID ?? `${v.PkgName}@${v.InstalledVersion}`;
      out.set(key, { Identifier: v.PkgIdentifier, Layer: v.Layer });
    }
  }
  return out;
}

function withAnalysed(pkg: Package, fields: Map<string, Pick<Package, 'Identifier' | 'Layer'>>): Package {
  const installed = `${pkg.Epoch ? `${pkg.Epoch}:` : ''}${pkg.Version}${pkg.Release ? `-${pkg.Release}` : ''}`;
  const found = fields.get(pkg.ID ?? '') ?? fields.get(`${pkg.Name}@${installed}`);
  return found ? { ...pkg, ...found } : pkg;
}

/** "ghcr.io/aquasecurity/trivy-test-images:debian-buster" → "ghcr.io/aquasecurity/trivy-test-images". */
function repositoryContext(reference: string): string {
  const at = reference.indexOf('@');
  if (at >= 0) return reference.slice(0, at);
  const colon = reference.lastIndexOf(':');
  return colon > reference.lastIndexOf('/') ? reference.slice(0, colon) : reference;
}

interface ImageCase {
  golden: string;
  os: OS;
  repository?: Repository;
  packages: Package[];
  applications?: Application[];
  filter?: FilterOptions;
}

const IMAGES: ImageCase[] = [
  {
    golden: 'alpine-39',
    os: { Family: 'alpine', Name: '3.9.4' },
    packages: [
      apk('libcrypto1.1', '1.1.1b-r1', 'openssl'),
      apk('libssl1.1', '1.1.1b-r1', 'openssl'),
      apk('musl', '1.1.20-r4'),
      apk('musl-utils', '1.1.20-r4', 'musl'),
      apk('busybox', '1.29.3-r10'),
    ],
  },
  {
    golden: 'alpine-39-high-critical',
    os: { Family: 'alpine', Name: '3.9.4' },
    packages: [
      apk('libcrypto1.1', '1.1.1b-r1', 'openssl'),
      apk('libssl1.1', '1.1.1b-r1', 'openssl'),
      apk('musl', '1.1.20-r4'),
      apk('musl-utils', '1.1.20-r4', 'musl'),
    ],
    filter: { ignoreUnfixed: true, severities: ['HIGH', 'CRITICAL'] },
  },
  {
    golden: 'alpine-310',
    os: { Family: 'alpine', Name: '3.10.2' },
    repository: { Family: 'alpine', Release: '3.10.2' },
    packages: [
      apk('libcrypto1.1', '1.1.1c-r0', 'openssl'),
      apk('libssl1.1', '1.1.1c-r0', 'openssl'),
      // musl 1.1.22 is past the fix for CVE-2019-14697 (1.1.20-r5).
      apk('musl', '1.1.22-r3'),
    ],
  },
  {
    // The image's /etc/apk/repositories points at edge: the "alpine edge" bucket is used.
    golden: 'alpine-distroless',
    os: { Family: 'alpine', Name: '3.16' },
    repository: { Family: 'alpine', Release: 'edge' },
    packages: [apk('git', '2.35.1-r2')],
  },
  {
    golden: 'amazon-1',
    os: { Family: 'amazon', Name: 'AMI release 2018.03' },
    packages: [rpm('curl', '7.61.1-11.91.amzn1')],
  },
  {
    golden: 'amazon-2',
    os: { Family: 'amazon', Name: '2 (Karoo)' },
    packages: [rpm('curl', '7.61.1-9.amzn2.0.1')],
  },
  {
    golden: 'almalinux-8',
    os: { Family: 'alma', Name: '8.5' },
    packages: [rpm('openssl-libs', '1:1.1.1k-4.el8', 'x86_64', { name: 'openssl' })],
  },
  {
    golden: 'rockylinux-8',
    os: { Family: 'rocky', Name: '8.5' },
    packages: [rpm('openssl-libs', '1:1.1.1k-4.el8', 'x86_64', { name: 'openssl' })],
  },
  {
    golden: 'oraclelinux-8',
    os: { Family: 'oracle', Name: '8.0' },
    packages: [rpm('curl', '7.61.1-8.el8')],
  },
  {
    golden: 'centos-6',
    os: { Family: 'centos', Name: '6.10' },
    packages: [rpm('glibc', '2.12-1.212.el6'), rpm('openssl', '1.0.1e-57.el6')],
  },
  ...(['centos-7', 'centos-7-ignore-unfixed', 'centos-7-medium'] as const).map((golden) => ({
    golden,
    os: { Family: 'centos', Name: '7.6.1810' },
    packages: [
      rpm('bash', '4.2.46-31.el7'),
      rpm('openssl-libs', '1:1.0.2k-16.el7', 'x86_64', { name: 'openssl' }),
      // CVE-2020-29573 affects other CPEs than rhel-7-server-rpms: not reported.
      rpm('glibc', '2.17-260.el7'),
    ],
    filter:
      golden === 'centos-7-ignore-unfixed'
        ? { ignoreUnfixed: true }
        : golden === 'centos-7-medium'
          ? { ignoreUnfixed: true, severities: ['MEDIUM'] }
          : undefined,
  })),
  {
    // UBI images carry build info: the CPE comes from the image's NVR.
    golden: 'ubi-7',
    os: { Family: 'redhat', Name: '7.7' },
    packages: [
      { ...rpm('bash', '4.2.46-33.el7'), BuildInfo: { Nvr: 'ubi7-container-7.7-140', Arch: 'x86_64' } },
    ],
  },
  ...(['debian-buster', 'debian-buster-ignore-unfixed'] as const).map((golden) => ({
    golden,
    os: { Family: 'debian', Name: '10.1' },
    packages: [
      deb('bash', '5.0-4'),
      deb('libidn2-0', '2.0.5-1', { name: 'libidn2' }),
      deb('dash', '0.5.10.2-5'),
    ],
    filter: golden.endsWith('ignore-unfixed') ? { ignoreUnfixed: true } : undefined,
  })),
  {
    golden: 'debian-stretch',
    os: { Family: 'debian', Name: '9.9' },
    packages: [
      deb('bash', '4.4-5'),
      deb('e2fslibs', '1.43.4-2', { name: 'e2fsprogs' }),
      deb('e2fsprogs', '1.43.4-2'),
      deb('libcomerr2', '1.43.4-2', { name: 'e2fsprogs' }),
      deb('libss2', '1.43.4-2', { name: 'e2fsprogs' }),
    ],
  },
  {
    golden: 'distroless-base',
    os: { Family: 'debian', Name: '9.9' },
    packages: [
      deb('libssl1.1', '1.1.0k-1~deb9u1', { name: 'openssl' }),
      deb('openssl', '1.1.0k-1~deb9u1'),
      deb('netbase', '5.4'),
    ],
  },
  ...(['ubuntu-1804', 'ubuntu-1804-ignore-unfixed'] as const).map((golden) => ({
    golden,
    os: { Family: 'ubuntu', Name: '18.04' },
    packages: [
      deb('bash', '4.4.18-2ubuntu1.2'),
      deb('e2fsprogs', '1.44.1-1ubuntu1.1'),
      deb('libcom-err2', '1.44.1-1ubuntu1.1', { name: 'e2fsprogs' }),
      deb('libext2fs2', '1.44.1-1ubuntu1.1', { name: 'e2fsprogs' }),
      deb('libss2', '1.44.1-1ubuntu1.1', { name: 'e2fsprogs' }),
    ],
    filter: golden.endsWith('ignore-unfixed') ? { ignoreUnfixed: true } : undefined,
  })),
  {
    golden: 'mariner-1.0',
    os: { Family: 'cbl-mariner', Name: '1.0' },
    packages: [rpm('vim', '8.2.4081-1.cm1')],
  },
  {
    golden: 'photon-30',
    os: { Family: 'photon', Name: '3.0' },
    packages: [
      rpm('bash', '4.4.18-1.ph3'),
      rpm('curl', '7.61.1-4.ph3'),
      rpm('curl-libs', '7.61.1-4.ph3', 'x86_64', { name: 'curl' }),
    ],
  },
  {
    golden: 'opensuse-leap-151',
    os: { Family: 'opensuse-leap', Name: '15.1' },
    packages: [
      rpm('libopenssl1_1', '1.1.0i-lp151.8.3.1', 'x86_64', { name: 'openssl-1_1' }),
      rpm('openssl-1_1', '1.1.0i-lp151.8.3.1'),
    ],
  },
  {
    golden: 'opensuse-tumbleweed',
    os: { Family: 'opensuse-tumbleweed', Name: '20240607' },
    packages: [rpm('libopenssl3', '3.1.4-9.1', 'x86_64', { name: 'openssl-3' })],
  },
  {
    // Only a "SUSE Linux Enterprise Micro 5.3" bucket exists: nothing for 5.4.
    golden: 'sl-micro-rancher5.4',
    os: { Family: 'slem', Name: '5.4' },
    packages: [rpm('libopenssl1_1', '1.1.1l-150400.7.28.1', 'x86_64', { name: 'openssl-1_1' })],
  },
  {
    golden: 'fluentd-gems',
    os: { Family: 'debian', Name: '10.2' },
    packages: [deb('bash', '5.0-4'), deb('libidn2-0', '2.0.5-1', { name: 'libidn2' })],
    applications: [
      {
        Type: 'gemspec',
        Packages: [
          {
            Name: 'activesupport',
            Version: '6.0.2.1',
            FilePath: 'var/lib/gems/2.5.0/specifications/activesupport-6.0.2.1.gemspec',
          },
        ],
      },
    ],
    filter: { ignoreUnfixed: true },
  },
];

function relationship(value: unknown): RelationshipValue | undefined {
  const names = ['unknown', 'root', 'workspace', 'direct', 'indirect'];
  const i = typeof value === 'string' ? names.indexOf(value) : -1;
  return i > 0 ? (i as RelationshipValue) : undefined;
}

/** A golden's listed package back into the analysers' form. */
function packageFromGolden(p: Json): Package {
  return { ...p, Relationship: relationship(p.Relationship) };
}

interface LockFileCase {
  golden: string;
  /** Another golden listing the same repository's packages (when this one was written without them). */
  packagesFrom?: string;
  severitySources?: string[];
  listAllPkgs: boolean;
}

const LOCK_FILES: LockFileCase[] = [
  { golden: 'pip', listAllPkgs: true },
  { golden: 'composer.vendor', listAllPkgs: true },
  { golden: 'npm', listAllPkgs: true },
  {
    golden: 'npm-ubuntu-severity',
    packagesFrom: 'npm',
    severitySources: ['alpine', 'ubuntu'],
    listAllPkgs: false,
  },
  { golden: 'nuget', listAllPkgs: true },
  { golden: 'cocoapods', listAllPkgs: true },
  { golden: 'swift', listAllPkgs: true },
  { golden: 'conan', listAllPkgs: true },
  { golden: 'pubspec.lock', listAllPkgs: true },
  { golden: 'mix.lock', listAllPkgs: true },
  { golden: 'cargo.lock', listAllPkgs: true },
];

describe("Trivy's golden reports", () => {
  let fixture: FixtureDb;
  before(async () => {
    fixture = await openFixtureDb();
  });
  after(async () => {
    await fixture.close();
  });

  for (const c of IMAGES) {
    test(`image ${c.golden}`, async () => {
      const golden = readGolden(c.golden);
      const fields = analysedFields(golden.json);
      const detector = createDetector({ db: fixture.db, now: () => TRIVY_TEST_NOW });
      const meta = golden.json.Metadata;
      const { results, os } = await detector.scanTarget({
        Name: golden.json.ArtifactName,
        OS: c.os,
        Repository: c.repository,
        Packages: c.packages.map((p) => withAnalysed(p, fields)),
        Applications: (c.applications ?? []).map((app) => ({
          ...app,
          Packages: app.Packages.map((p) => withAnalysed(p, fields)),
        })),
      });
      const report = buildReport({
        artifactName: golden.json.ArtifactName,
        artifactType: 'container_image',
        version: 'dev',
        reportId: REPORT_ID,
        createdAt: CREATED_AT,
        os,
        results,
        image: {
          ImageID: meta.ImageID,
          DiffIDs: meta.DiffIDs,
          RepoTags: meta.RepoTags,
          RepoDigests: meta.RepoDigests,
          Reference: meta.Reference,
          RepositoryContext: meta.Reference && repositoryContext(meta.Reference),
          ImageConfig: meta.ImageConfig,
        },
        layers: meta.Layers,
      });
      const text = writeJsonReport(filterReport(report, c.filter), { listAllPkgs: false });
      assert.equal(text, golden.text);
    });
  }

  for (const c of LOCK_FILES) {
    test(`lock file ${c.golden}`, async () => {
      const golden = readGolden(c.golden);
      const source = c.packagesFrom ? readGolden(c.packagesFrom).json : golden.json;
      const applications: Application[] = source.Results.map((r: Json) => ({
        Type: r.Type,
        FilePath: r.Target,
        Packages: r.Packages.map(packageFromGolden),
      }));
      const detector = createDetector({ db: fixture.db, now: () => TRIVY_TEST_NOW });
      const { results, os } = await detector.scanTarget(
        {
          Name: golden.json.ArtifactName,
          OS: { Family: '', Name: '' },
          Packages: [],
          Applications: applications,
        },
        { severitySources: c.severitySources },
      );
      const report = buildReport({
        artifactName: golden.json.ArtifactName,
        artifactType: golden.json.ArtifactType,
        version: 'dev',
        reportId: REPORT_ID,
        createdAt: CREATED_AT,
        os,
        results,
      });
      const text = writeJsonReport(filterReport(report), { listAllPkgs: c.listAllPkgs });
      assert.equal(text, golden.text);
    });
  }
});
