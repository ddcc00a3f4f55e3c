/**
 * `vigil scan image` end to end, as a real process against Debian's docker-registry on loopback, with the
 * trivy-db artifact downloaded from it (built from the shared Trivy fixtures and testdata/scan-db.yaml).
 * Images are made of real data: the debootstrapped Debian bookworm layer, an AlmaLinux-like rpm root file
 * system written by Debian's rpm, and layers with real npm, PyPI, Maven, Go and cargo-auditable packages.
 * What each scan must find is written down below from the advisories in scan-db.yaml and the package lists
 * (packages.tsv from dpkg-query and rpm -qa, `go version -m`), with `dpkg --compare-versions` deciding
 * whether an installed Debian version is below a fixed one.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  buildLayer,
  type DebianBase,
  debianBase,
  type Layer,
  OCI_MANIFEST,
  type PushedImage,
  pushImage,
  pushIndex,
} from '../../test/env/image-builder.js';
import type { LocalRegistry } from '../../test/env/registry.js';
import { testData } from '../analyze/testkit.js';
import { htpasswdFile, scratchDir, startTestRegistry } from '../image/testkit.js';
import {
  type CountingProxy,
  pushScanDb,
  runVigil,
  startCountingProxy,
  type VigilRun,
  writeDockerArchive,
  writeOciLayout,
} from './testkit.js';

// biome-ignore lint/suspicious/noExplicitAny: reports are checked as parsed JSON
type Json = any;

interface Finding {
  id: string;
  pkg: string;
  installed: string;
  fixed: string;
  status: string;
  severity: string;
  path?: string;
}

/** scan-db.yaml's Debian 12 advisories, by source package: [id, fixed version, status, severity]. */
const DEBIAN_ADVISORIES: Record<string, Array<[string, string, string, string]>> = {
  apt: [['CVE-2011-3374', '', 'affected', 'LOW']],
  bash: [['TEMP-0841856-B18BAF', '', 'affected', 'LOW']],
  coreutils: [
    ['CVE-2016-2781', '', 'will_not_fix', 'LOW'],
    ['CVE-2017-18018', '', 'affected', 'LOW'],
  ],
  glibc: [
    ['CVE-2010-4756', '', 'affected', 'LOW'],
    ['CVE-2023-4911', '2.36-9+deb12u3', 'fixed', 'HIGH'],
  ],
  gnupg2: [['CVE-2022-3219', '', 'affected', 'LOW']],
  tar: [['CVE-2005-2541', '', 'affected', 'LOW']],
  'util-linux': [['CVE-2022-0563', '', 'affected', 'LOW']],
  // No Debian urgency: NVD's CRITICAL applies.
  zlib: [['CVE-2023-45853', '', 'will_not_fix', 'CRITICAL']],
};

function dpkgLessThan(a: string, b: string): boolean {
  try {
    execFileSync('dpkg', ['--compare-versions', a, 'lt', b]);
    return true;
  } catch {
    return false;
  }
}

/** The Debian findings expected for a package list (binary name → its source and versions). */
function expectedDebian(base: DebianBase, without: string[] = []): Finding[] {
  const out: Finding[] = [];
  for (const p of base.packages) {
    if (without.includes(p.name)) continue;
    for (const [id, fixed, status, severity] of DEBIAN_ADVISORIES[p.sourceName] ?? []) {
      if (fixed !== '' && !dpkgLessThan(p.sourceVersion, fixed)) continue;
      out.push({ id, pkg: p.name, installed: p.version, fixed, status, severity });
    }
  }
  return sortFindings(out);
}

const ALMA_CVES = ['CVE-2022-1292', 'CVE-2022-1343', 'CVE-2022-1473', 'CVE-2022-2068', 'CVE-2022-2097'];
/** rpm -qa of the AlmaLinux root: openssl and openssl-libs 1:3.0.1-23.el9_0 (vendor AlmaLinux), fixed in -41. */
const EXPECTED_ALMA: Finding[] = sortFindings(
  ['openssl', 'openssl-libs'].flatMap((pkg) =>
    ALMA_CVES.map((id) => ({
      id,
      pkg,
      installed: '1:3.0.1-23.el9_0',
      fixed: '1:3.0.1-41.el9_0',
      status: 'fixed',
      // AlmaLinux rates ALSA-2022:6224 Moderate, and its own rating wins over NVD's.
      severity: 'MEDIUM',
    })),
  ),
);

function sortFindings(findings: Finding[]): Finding[] {
  const key = (f: Finding) => `${f.pkg}\u0000${f.id}\u0000${f.path ?? ''}`;
  return [...findings].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function findings(result: Json): Finding[] {
  return sortFindings(
    (result?.Vulnerabilities ?? []).map((v: Json) => ({
      id: v.VulnerabilityID,
      pkg: v.PkgName,
      installed: v.InstalledVersion,
      fixed: v.FixedVersion ?? '',
      status: v.Status,
      severity: v.Severity,
      ...(v.PkgPath ? { path: v.PkgPath } : {}),
    })),
  );
}

function parse(run: VigilRun): Json {
  assert.equal(run.code, 0, `vigil failed (${run.code}): ${run.stderr}`);
  return JSON.parse(run.stdout);
}

function resultFor(report: Json, target: string): Json {
  const result = report.Results?.find((r: Json) => r.Target === target);
  assert.ok(result, `no result for ${target}; targets: ${report.Results?.map((r: Json) => r.Target)}`);
  return result;
}

const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

describe('vigil scan image', () => {
  const scratch = scratchDir('scan');
  let registry: LocalRegistry;
  let proxy: CountingProxy;
  let dbRepository: string;
  let base: DebianBase;
  let debian: PushedImage;
  let app: PushedImage;
  let alma: PushedImage;
  let almaArm: PushedImage;
  let multiDigest: string;
  let layers: { lang: Layer; remove: Layer; zstd: Layer; alma: Layer };
  let goText: string;
  const cache = join(scratch.dir, 'cache');
  const timings: string[] = [];

  /** Scans with the shared cache dir and the test DB repository. */
  const scan = async (args: string[], env: Record<string, string> = {}) => {
    const run = await runVigil(
      ['scan', 'image', '--cache-dir', cache, '--db-repository', dbRepository, '--quiet', ...args],
      { DOCKER_CONFIG: join(scratch.dir, 'docker'), ...env },
    );
    timings.push(`${Math.round(run.ms)} ms  ${args.join(' ')}`);
    return run;
  };
  const json = async (args: string[]) => parse(await scan(['--format', 'json', ...args]));

  before(async () => {
    const work = join(scratch.dir, 'work');
    mkdirSync(work, { recursive: true });
    mkdirSync(join(scratch.dir, 'docker'));
    const [debianLayer, lang, goDir, rustDir, almaDir] = await Promise.all([
      debianBase(),
      testData('fetch-lang-testdata.sh'),
      testData('build-go-testbin.sh'),
      testData('build-rust-auditable.sh'),
      testData('build-alma-rootfs.sh'),
    ]);
    base = debianLayer;
    goText =
      /\tdep\tgolang\.org\/x\/text\t(\S+)/.exec(await readFile(join(goDir, 'buildinfo.txt'), 'utf8'))?.[1] ??
      '';
    assert.ok(goText, 'the Go test binary depends on golang.org/x/text');
    registry = await startTestRegistry();
    proxy = await startCountingProxy(registry);
    dbRepository = await pushScanDb(registry, work);

    const status = execFileSync('tar', ['-xzOf', base.layer.file, './var/lib/dpkg/status'], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    // What `apt-get remove gpgv` leaves: its stanza deinstalled, its files gone.
    const removed = status.replace(
      /(Package: gpgv\nStatus: )install ok installed/,
      '$1deinstall ok config-files',
    );
    assert.notEqual(removed, status);
    layers = {
      lang: await buildLayer(
        {
          trees: [
            { from: join(lang, 'npm'), to: '/app' },
            { from: join(lang, 'python/site'), to: '/usr/local/lib/python3.11/site-packages' },
            { from: join(lang, 'java'), to: '/opt/java' },
          ],
          files: [
            {
              path: '/usr/local/bin/vigil-gobin',
              content: readFileSync(join(goDir, 'bin/vigil-gobin')),
              mode: 0o755,
            },
            {
              path: '/usr/local/bin/vigil-auditable',
              content: readFileSync(join(rustDir, 'bin/vigil-auditable')),
              mode: 0o755,
            },
          ],
        },
        work,
      ),
      remove: await buildLayer(
        {
          files: [{ path: '/var/lib/dpkg/status', content: removed }],
          delete: ['/usr/bin/gpgv', '/var/lib/dpkg/info/gpgv.md5sums', '/app/node_modules/minimist'],
        },
        work,
      ),
      zstd: await buildLayer(
        { trees: [{ from: join(lang, 'npm/node_modules/minimist'), to: '/srv/node_modules/minimist' }] },
        work,
        'zstd',
      ),
      alma: await buildLayer({ trees: [{ from: join(almaDir, 'root'), to: '/' }] }, work),
    };
    debian = await pushImage(registry, 'vigil/debian', 'bookworm', [base.layer]);
    app = await pushImage(registry, 'vigil/app', '1.0', [
      base.layer,
      layers.lang,
      layers.remove,
      layers.zstd,
    ]);
    alma = await pushImage(registry, 'vigil/alma', '9.0', [layers.alma], { format: 'docker' });
    almaArm = await pushImage(registry, 'vigil/alma', '9.0-arm64', [layers.alma], { architecture: 'arm64' });
    multiDigest = await pushIndex(registry, 'vigil/alma', 'multi', [
      {
        mediaType: alma.manifest.mediaType,
        digest: alma.manifestDigest,
        size: Buffer.byteLength(JSON.stringify(alma.manifest)),
        platform: { os: 'linux', architecture: 'amd64' },
      },
      {
        mediaType: OCI_MANIFEST,
        digest: almaArm.manifestDigest,
        size: Buffer.byteLength(JSON.stringify(almaArm.manifest)),
        platform: { os: 'linux', architecture: 'arm64' },
      },
    ]);
  });

  after(async () => {
    await proxy?.close();
    await registry?.stop();
    scratch.cleanup();
    if (timings.length > 0) console.log(`vigil runs:\n  ${timings.join('\n  ')}`);
  });

  test('the Debian image: the DB is downloaded from the registry, findings as the tracker says, Trivy metadata', async () => {
    const ref = `${proxy.host}/vigil/debian:bookworm`;
    const report = await json([ref]);
    const metaFile = JSON.parse(readFileSync(join(cache, 'db', 'metadata.json'), 'utf8'));
    assert.notEqual(metaFile.DownloadedAt, '0001-01-01T00:00:00Z', 'the DB was downloaded and stamped');

    const debianVersion = execFileSync('tar', ['-xzOf', base.layer.file, './etc/debian_version'], {
      encoding: 'utf8',
    }).trim();
    const os = resultFor(report, `${ref} (debian ${debianVersion})`);
    assert.equal(os.Class, 'os-pkgs');
    assert.equal(os.Type, 'debian');
    const expected = expectedDebian(base);
    assert.ok(expected.some((f) => f.pkg === 'gpgv'));
    assert.ok(!expected.some((f) => f.id === 'CVE-2023-4911'), 'glibc is past the DSA-5514-1 fix');
    assert.deepEqual(findings(os), expected);
    assert.equal(os.Packages.length, base.packages.length, '--list-all-pkgs is on by default');

    const zlib = os.Vulnerabilities.find((v: Json) => v.VulnerabilityID === 'CVE-2023-45853');
    const zlibPkg = base.packages.find((p) => p.name === 'zlib1g');
    const [epoch, version] = zlibPkg?.version.split(':') ?? [];
    assert.equal(
      zlib.PkgIdentifier.PURL,
      `pkg:deb/debian/zlib1g@${version}?arch=amd64&distro=debian-${debianVersion}&epoch=${epoch}`,
    );
    assert.match(zlib.PkgIdentifier.UID, /^[0-9a-f]{1,16}$/);
    assert.equal(zlib.SeveritySource, 'nvd');
    assert.equal(zlib.PrimaryURL, 'https://avd.aquasec.com/nvd/cve-2023-45853');
    assert.deepEqual(zlib.DataSource, {
      ID: 'debian',
      Name: 'Debian Security Tracker',
      URL: 'https://salsa.debian.org/security-tracker-team/security-tracker',
    });
    assert.deepEqual(zlib.Layer, { Digest: base.layer.digest, DiffID: base.layer.diffId });
    const apt = os.Vulnerabilities.find((v: Json) => v.PkgName === 'apt');
    assert.equal(apt.SeveritySource, 'debian');
    assert.equal(apt.VendorSeverity.debian, 1);

    assert.equal(report.SchemaVersion, 2);
    assert.equal(report.ArtifactName, ref);
    assert.equal(report.ArtifactType, 'container_image');
    assert.equal(report.ArtifactID, sha256(`${debian.configDigest}:${proxy.host}/vigil/debian`));
    assert.deepEqual(report.Metadata.OS, { Family: 'debian', Name: debianVersion });
    assert.equal(report.Metadata.ImageID, debian.configDigest);
    assert.deepEqual(report.Metadata.DiffIDs, [base.layer.diffId]);
    assert.deepEqual(report.Metadata.RepoTags, [ref]);
    assert.deepEqual(report.Metadata.RepoDigests, [`${proxy.host}/vigil/debian@${debian.manifestDigest}`]);
    assert.equal(report.Metadata.Reference, ref);
    assert.equal(report.Metadata.ImageConfig.architecture, 'amd64');
    assert.equal(report.Metadata.Layers.length, 1);
    assert.equal(report.Metadata.Layers[0].Digest, base.layer.digest);
    assert.equal(report.Metadata.Layers[0].DiffID, base.layer.diffId);
    const tarSize = Number(
      execFileSync('bash', ['-c', `gzip -dc "$0" | wc -c`, base.layer.file], { encoding: 'utf8' }),
    );
    assert.equal(report.Metadata.Layers[0].Size, tarSize, 'Size is the uncompressed tar size');
    assert.equal(report.Metadata.Size, tarSize);
  });

  test('a second scan, and a scan of another image on the same base, take shared layers from the layer cache', async () => {
    proxy.reset();
    const again = await scan([
      '--format',
      'json',
      '--debug',
      '--cache-max-size',
      '512MiB',
      `${proxy.host}/vigil/debian:bookworm`,
    ]);
    assert.equal(again.code, 0, again.stderr);
    const blobs = proxy.blobGets();
    assert.equal(blobs.get(base.layer.digest), undefined, 'the Debian layer is not fetched again');
    assert.equal(blobs.get(debian.configDigest), 1, 'only the config is read');
    assert.match(again.stderr, /layer cache {2}layers=1 cached=1 missing=0/);

    proxy.reset();
    const report = parse(await scan(['--format', 'json', `${proxy.host}/vigil/app:1.0`]));
    const fetched = proxy.blobGets();
    assert.equal(fetched.get(base.layer.digest), undefined, 'the shared base layer comes from the cache');
    for (const layer of [layers.lang, layers.remove, layers.zstd]) assert.equal(fetched.get(layer.digest), 1);
    assert.ok(resultFor(report, 'Node.js'));
  });

  test('the application image: language packages, a package removed by whiteout, a zstd layer', async () => {
    const ref = `${registry.host}/vigil/app:1.0`;
    const report = await json([ref]);
    assert.equal(report.Metadata.ImageID, app.configDigest);
    const os = report.Results[0];
    assert.equal(os.Class, 'os-pkgs');
    // gpgv was removed (status deinstalled, files whited out): not reported.
    assert.deepEqual(findings(os), expectedDebian(base, ['gpgv']));
    assert.ok(!os.Packages.some((p: Json) => p.Name === 'gpgv'));

    // The minimist under /app is whited out; the copy in the zstd layer under /srv is what remains.
    const node = resultFor(report, 'Node.js');
    assert.equal(node.Class, 'lang-pkgs');
    assert.equal(node.Type, 'node-pkg');
    assert.deepEqual(findings(node), [
      {
        id: 'CVE-2021-44906',
        pkg: 'minimist',
        installed: '1.2.5',
        fixed: '1.2.6, 0.2.4',
        status: 'fixed',
        severity: 'CRITICAL',
        path: 'srv/node_modules/minimist/package.json',
      },
    ]);
    const minimist = node.Vulnerabilities[0];
    assert.deepEqual(minimist.Layer, { Digest: layers.zstd.digest, DiffID: layers.zstd.diffId });
    assert.equal(minimist.PkgIdentifier.PURL, 'pkg:npm/minimist@1.2.5');
    assert.equal(minimist.PrimaryURL, 'https://avd.aquasec.com/nvd/cve-2021-44906');
    assert.deepEqual(minimist.VendorIDs, ['GHSA-xvch-5gv4-984h']);
    assert.ok(node.Packages.some((p: Json) => p.Identifier.PURL === 'pkg:npm/%40sindresorhus/is@4.0.0'));

    assert.deepEqual(findings(resultFor(report, 'Python')), [
      {
        id: 'CVE-2023-32681',
        pkg: 'requests',
        installed: '2.25.0',
        fixed: '2.31.0',
        status: 'fixed',
        severity: 'MEDIUM',
        path: 'usr/local/lib/python3.11/site-packages/requests-2.25.0.dist-info/METADATA',
      },
      {
        id: 'CVE-2024-35195',
        pkg: 'requests',
        installed: '2.25.0',
        fixed: '2.32.0',
        status: 'fixed',
        severity: 'MEDIUM',
        path: 'usr/local/lib/python3.11/site-packages/requests-2.25.0.dist-info/METADATA',
      },
    ]);
    const jarPath = 'opt/java/commons-collections-3.2.1.jar';
    const warPath = 'opt/java/app.war/WEB-INF/lib/commons-collections-3.2.1.jar';
    const cc = 'commons-collections:commons-collections';
    const java = resultFor(report, 'Java');
    assert.deepEqual(
      findings(java),
      sortFindings(
        [jarPath, warPath].flatMap((path) => [
          {
            id: 'CVE-2015-6420',
            pkg: cc,
            installed: '3.2.1',
            fixed: '3.2.2',
            status: 'fixed',
            severity: 'HIGH',
            path,
          },
          {
            id: 'CVE-2015-7501',
            pkg: cc,
            installed: '3.2.1',
            fixed: '3.2.2',
            status: 'fixed',
            severity: 'CRITICAL',
            path,
          },
        ]),
      ),
    );
    assert.equal(
      java.Vulnerabilities[0].PkgIdentifier.PURL,
      'pkg:maven/commons-collections/commons-collections@3.2.1',
    );
    // Trivy's golang.org/x/text fixture has no severity: UNKNOWN.
    assert.deepEqual(findings(resultFor(report, 'usr/local/bin/vigil-gobin')), [
      {
        id: 'CVE-2021-38561',
        pkg: 'golang.org/x/text',
        installed: goText,
        fixed: '0.3.7',
        status: 'fixed',
        severity: 'UNKNOWN',
      },
      {
        id: 'CVE-2022-32149',
        pkg: 'golang.org/x/text',
        installed: goText,
        fixed: '0.3.8',
        status: 'fixed',
        severity: 'HIGH',
      },
    ]);
    const rust = resultFor(report, 'usr/local/bin/vigil-auditable');
    assert.equal(rust.Type, 'rustbinary');
    assert.deepEqual(findings(rust), [
      {
        id: 'CVE-2021-25900',
        pkg: 'smallvec',
        installed: '1.6.0',
        fixed: '>= 0.6.14, < 1.0.0, >= 1.6.1',
        status: 'fixed',
        severity: 'CRITICAL',
      },
    ]);
    assert.equal(rust.Vulnerabilities[0].PkgIdentifier.PURL, 'pkg:cargo/smallvec@1.6.0');
    assert.deepEqual(
      report.Metadata.Layers.map((l: Json) => l.Digest),
      [base.layer.digest, layers.lang.digest, layers.remove.digest, layers.zstd.digest],
    );
  });

  test('--severity, --ignore-unfixed, --exit-code and --format table', async () => {
    const ref = `${registry.host}/vigil/app:1.0`;
    const high = await json(['--severity', 'HIGH,CRITICAL', ref]);
    const severities = new Set(
      high.Results.flatMap((r: Json) => (r.Vulnerabilities ?? []).map((v: Json) => v.Severity)),
    );
    assert.deepEqual([...severities].sort(), ['CRITICAL', 'HIGH']);
    assert.deepEqual(
      findings(high.Results[0]).map((f) => f.id),
      ['CVE-2023-45853'],
      'of the OS findings only zlib is critical',
    );

    const fixedOnly = await json(['--ignore-unfixed', ref]);
    assert.equal(fixedOnly.Results[0].Vulnerabilities, undefined, 'no Debian finding has a fix');
    assert.equal(findings(resultFor(fixedOnly, 'Java')).length, 4);

    const failing = await scan(['--exit-code', '7', '--severity', 'CRITICAL', ref]);
    assert.equal(failing.code, 7, failing.stderr);
    const clean = await scan([
      '--exit-code',
      '7',
      '--ignore-unfixed',
      '--pkg-types',
      'os',
      `${registry.host}/vigil/debian:bookworm`,
    ]);
    assert.equal(clean.code, 0, `no fixable OS finding: exit 0 (${clean.stderr})`);

    const table = await scan(['--format', 'table', '--severity', 'CRITICAL', ref]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /Report Summary/);
    assert.match(table.stdout, /Total: 1 \(CRITICAL: 1\)/);
    assert.match(table.stdout, /CVE-2021-25900/);
    assert.match(table.stdout, /commons-collections:commons-collections/);
    assert.doesNotMatch(table.stdout, /CVE-2015-6420/, 'HIGH is filtered out');

    const env = await scan(['--format', 'json', ref], {
      TRIVY_SEVERITY: 'LOW',
      TRIVY_IGNORE_UNFIXED: 'true',
    });
    const viaEnv = parse(env);
    assert.ok(
      viaEnv.Results.every((r: Json) => r.Vulnerabilities === undefined),
      'TRIVY_* env applies',
    );

    const output = join(scratch.dir, 'report.json');
    const written = await scan(['--format', 'json', '--output', output, '--list-all-pkgs=false', ref]);
    assert.equal(written.code, 0, written.stderr);
    assert.equal(written.stdout, '');
    const fromFile = JSON.parse(readFileSync(output, 'utf8'));
    assert.ok(fromFile.Results.every((r: Json) => r.Packages === undefined));
  });

  test('--ignorefile: a .trivyignore and a .trivyignore.yaml leave findings out; a bad file fails at once', async () => {
    const ref = `${registry.host}/vigil/app:1.0`;
    const all = await json([ref]);
    const java = (report: Json) => findings(resultFor(report, 'Java')).map((f) => f.id);
    assert.ok(java(all).includes('CVE-2015-6420'));
    assert.ok(findings(all.Results[0]).some((f) => f.id === 'CVE-2023-45853'));

    const plain = join(scratch.dir, 'ignore-plain');
    writeFileSync(plain, '# accepted\nCVE-2023-45853\nCVE-2015-6420 exp:2001-01-01\n');
    const fromPlain = await json(['--ignorefile', plain, ref]);
    assert.deepEqual(
      findings(fromPlain.Results[0]).map((f) => f.id),
      findings(all.Results[0])
        .map((f) => f.id)
        .filter((id) => id !== 'CVE-2023-45853'),
    );
    assert.deepEqual(java(fromPlain), java(all), 'an expired line ignores nothing');

    const yaml = join(scratch.dir, 'ignore.yaml');
    const commons = resultFor(all, 'Java').Vulnerabilities.find(
      (v: Json) => v.VulnerabilityID === 'CVE-2015-6420',
    );
    writeFileSync(
      yaml,
      [
        'vulnerabilities:',
        '  - id: CVE-2015-6420',
        `    purls: [${JSON.stringify(commons.PkgIdentifier.PURL.replace(/@.*/, ''))}]`,
        '  - id: CVE-2023-45853',
        '    paths: ["nowhere/**"]',
      ].join('\n'),
    );
    const viaEnv = parse(await scan(['--format', 'json', ref], { TRIVY_IGNOREFILE: yaml }));
    assert.deepEqual(
      java(viaEnv),
      java(all).filter((id) => id !== 'CVE-2015-6420'),
    );
    assert.deepEqual(findings(viaEnv.Results[0]), findings(all.Results[0]), 'a path that does not match');

    writeFileSync(yaml, 'vulnerabilities:\n  - statement: no id\n');
    const bad = await scan(['--ignorefile', yaml, ref]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--ignorefile: ignore file .*ignore\.yaml: vulnerabilities\[0\]\.id must be/);
    assert.equal(bad.stdout, '');
  });

  test('an rpm image (Docker v2 manifest): AlmaLinux errata by binary package, third-party vendor skipped', async () => {
    const ref = `${registry.host}/vigil/alma:9.0`;
    const report = await json([ref]);
    const os = resultFor(report, `${ref} (alma 9.0)`);
    assert.equal(os.Type, 'alma');
    assert.deepEqual(findings(os), EXPECTED_ALMA);
    const libs = os.Vulnerabilities.find((v: Json) => v.PkgName === 'openssl-libs');
    assert.equal(
      libs.PkgIdentifier.PURL,
      'pkg:rpm/alma/openssl-libs@3.0.1-23.el9_0?arch=x86_64&distro=alma-9.0&epoch=1',
    );
    assert.equal(libs.VendorIDs, undefined, "Trivy's AlmaLinux driver does not carry the errata IDs over");
    assert.deepEqual(
      os.Packages.map((p: Json) => p.Name).sort(),
      ['acme-agent', 'openssl', 'openssl-libs'],
      'the third-party package is listed but never matched',
    );
  });

  test('a multi-platform index: --platform picks the manifest; a missing platform lists those there are', async () => {
    const ref = `${registry.host}/vigil/alma:multi`;
    const arm = await json(['--platform', 'linux/arm64', ref]);
    assert.equal(arm.Metadata.ImageConfig.architecture, 'arm64');
    assert.equal(arm.Metadata.ImageID, almaArm.configDigest);
    assert.deepEqual(arm.Metadata.RepoDigests, [`${registry.host}/vigil/alma@${multiDigest}`]);
    assert.deepEqual(findings(arm.Results[0]), EXPECTED_ALMA);
    const amd = await json([ref]);
    assert.equal(amd.Metadata.ImageID, alma.configDigest, 'linux/amd64 by default');

    const missing = await scan(['--platform', 'linux/s390x', ref]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, new RegExp(`vigil: cannot scan ${ref.replace(/[.]/g, '\\.')}`));
    assert.match(missing.stderr, /linux\/amd64/);
    assert.match(missing.stderr, /linux\/arm64/);
  });

  test('--input: a docker save tar and an OCI layout directory', async () => {
    const tar = await writeDockerArchive(
      alma,
      ['vigil/alma:9.0'],
      join(scratch.dir, 'save'),
      join(scratch.dir, 'alma.tar'),
    );
    const saved = await json(['--input', tar]);
    assert.equal(saved.ArtifactName, tar);
    assert.deepEqual(findings(resultFor(saved, `${tar} (alma 9.0)`)), EXPECTED_ALMA);
    assert.equal(saved.Metadata.ImageID, alma.configDigest);
    assert.deepEqual(saved.Metadata.RepoTags, ['vigil/alma:9.0']);
    assert.equal(saved.Metadata.Reference, 'vigil/alma:9.0');
    assert.equal(saved.ArtifactID, sha256(`${alma.configDigest}:index.docker.io/vigil/alma`));
    // An uncompressed layer in a docker save archive has no compressed digest.
    assert.deepEqual(Object.keys(saved.Metadata.Layers[0]).sort(), ['DiffID', 'Size']);

    const layout = writeOciLayout(debian, 'bookworm', join(scratch.dir, 'oci'));
    const fromLayout = await json(['--input', layout]);
    assert.equal(fromLayout.ArtifactName, layout);
    assert.equal(fromLayout.Metadata.ImageID, debian.configDigest);
    assert.deepEqual(findings(fromLayout.Results[0]), expectedDebian(base));
    assert.equal(fromLayout.Metadata.Layers[0].Digest, base.layer.digest);
  });

  test('a corrupt layer cache entry is ignored and written again', async () => {
    const ref = `${proxy.host}/vigil/alma:9.0`;
    parse(await scan(['--format', 'json', ref]));
    const blobDir = join(cache, 'fanal', 'vigil', 'blob');
    const before = new Map(readdirSync(blobDir).map((f) => [f, readFileSync(join(blobDir, f), 'utf8')]));
    const almaEntry = [...before].find(([, text]) => text.includes('openssl-libs'));
    assert.ok(almaEntry, 'the alma layer is cached');
    writeFileSync(join(blobDir, almaEntry[0]), almaEntry[1].replace('openssl-libs', 'openssl-libz'));
    proxy.reset();
    const report = parse(await scan(['--format', 'json', ref]));
    assert.equal(proxy.blobGets().get(layers.alma.digest), 1, 'the layer is fetched and analysed again');
    assert.deepEqual(findings(report.Results[0]), EXPECTED_ALMA);
    assert.equal(readFileSync(join(blobDir, almaEntry[0]), 'utf8'), almaEntry[1], 'the entry is rewritten');
  });

  test('a registry with basic auth: --username/--password or TRIVY_USERNAME/TRIVY_PASSWORD, else a clear refusal', async () => {
    const authDir = join(scratch.dir, 'auth');
    mkdirSync(authDir);
    const locked = await startTestRegistry({ htpasswdFile: htpasswdFile(authDir, 'scanner', 's3cret') });
    try {
      locked.useBasicAuth('scanner', 's3cret');
      const image = await pushImage(locked, 'private/alma', '9.0', [layers.alma]);
      // The DB in the shared cache is fresh, so only the image needs the credentials.
      const withFlags = await json(['--username', 'scanner', '--password', 's3cret', image.reference]);
      assert.deepEqual(findings(withFlags.Results[0]), EXPECTED_ALMA);
      const withEnv = parse(
        await scan(['--format', 'json', image.reference], {
          TRIVY_USERNAME: 'scanner',
          TRIVY_PASSWORD: 's3cret',
        }),
      );
      assert.deepEqual(findings(withEnv.Results[0]), EXPECTED_ALMA);
      const refused = await scan([image.reference]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, new RegExp(`vigil: cannot scan ${image.reference}: `));
      assert.match(refused.stderr, /--username/);
    } finally {
      await locked.stop();
    }
  });

  test('errors exit 1 naming the image: unreachable registry, unknown image, corrupt DB, damaged layer, timeout; bad flags exit 2', async () => {
    const unreachable = await scan([`127.0.0.1:9/vigil/none:1`]);
    assert.equal(unreachable.code, 1);
    assert.match(
      unreachable.stderr,
      /^vigil: cannot scan 127\.0\.0\.1:9\/vigil\/none:1: .*cannot reach 127\.0\.0\.1:9/m,
    );

    const unknown = await scan([`${registry.host}/vigil/nope:1`]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, new RegExp(`vigil: cannot scan ${registry.host}/vigil/nope:1: `));
    assert.match(unknown.stderr, /not found|unknown/i);
    assert.doesNotMatch(unknown.stderr, /\n\s+at /, 'no stack trace');

    const broken = join(scratch.dir, 'broken-cache');
    mkdirSync(join(broken, 'db'), { recursive: true });
    writeFileSync(join(broken, 'db', 'trivy.db'), Buffer.alloc(64 * 1024, 7));
    const now = Date.now();
    writeFileSync(
      join(broken, 'db', 'metadata.json'),
      JSON.stringify({
        Version: 2,
        NextUpdate: new Date(now + 3_600_000).toISOString(),
        UpdatedAt: new Date(now).toISOString(),
        DownloadedAt: new Date(now).toISOString(),
      }),
    );
    const corrupt = await runVigil([
      'scan',
      'image',
      '--cache-dir',
      broken,
      '--skip-db-update',
      '--quiet',
      `${registry.host}/vigil/alma:9.0`,
    ]);
    assert.equal(corrupt.code, 1);
    assert.match(corrupt.stderr, /vulnerability DB .*trivy\.db cannot be read/);
    assert.match(corrupt.stderr, /vigil db download --force/);

    const noArtifact = await runVigil([
      'scan',
      'image',
      '--cache-dir',
      join(scratch.dir, 'no-artifact'),
      '--db-repository',
      `${registry.host}/vigil/no-db:2`,
      `${registry.host}/vigil/alma:9.0`,
    ]);
    assert.equal(noArtifact.code, 1);
    assert.match(
      noArtifact.stderr,
      /vigil: cannot download the vulnerability DB \(127\.0\.0\.1:\d+\/vigil\/no-db:2\)/,
    );
    assert.match(noArtifact.stderr, /name a reachable repository with --db-repository/);

    const noDb = await runVigil([
      'scan',
      'image',
      '--cache-dir',
      join(scratch.dir, 'empty'),
      '--skip-db-update',
      `${registry.host}/vigil/alma:9.0`,
    ]);
    assert.equal(noDb.code, 1);
    assert.match(noDb.stderr, /--skip-db-update cannot be specified on the first run/);

    const slow = await scan(['--timeout', '1ms', `${registry.host}/vigil/alma:9.0`]);
    assert.equal(slow.code, 1);
    assert.match(slow.stderr, /took longer than --timeout 1ms; allow more with --timeout/);

    // The config names a diff id the layer does not unpack to: the content is refused, not cached under it.
    const wrongDiffId = `sha256:${'e'.repeat(64)}`;
    const damaged = await pushImage(registry, 'vigil/damaged', '1', [
      { ...layers.alma, diffId: wrongDiffId },
    ]);
    const refused = await scan([damaged.reference]);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      new RegExp(
        `vigil: ${damaged.reference}: layer ${layers.alma.digest} unpacks to ${layers.alma.diffId}, not to the diff id ${wrongDiffId}`,
      ),
    );

    const badSeverity = await scan(['--severity', 'SEVERE', `${registry.host}/vigil/alma:9.0`]);
    assert.equal(badSeverity.code, 2);
    assert.match(badSeverity.stderr, /--severity: unknown severity SEVERE/);
    const badSize = await scan(['--cache-max-size', 'lots', `${registry.host}/vigil/alma:9.0`]);
    assert.equal(badSize.code, 2);
    assert.match(badSize.stderr, /--cache-max-size: "lots" is not a size/);
    const noImage = await scan([]);
    assert.equal(noImage.code, 2);
  });
});
