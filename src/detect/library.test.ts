// Language drivers on hand-made applications, against Trivy's integration fixtures plus
// testdata/extra-db.yaml. Expectations come from the YAML ranges read by hand.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createDetector } from './detector.js';
import { applicationTarget, fixedVersionOf, normalizePackageName } from './library.js';
import { extraFixture, type FixtureDb, lib, openFixtureDb, TRIVY_TEST_NOW } from './testkit.js';
import type { Application, DetectionResult, Package } from './types.js';

let fixture: FixtureDb;
before(async () => {
  fixture = await openFixtureDb([extraFixture()]);
});
after(async () => {
  await fixture.close();
});

async function scanApps(applications: Application[]): Promise<DetectionResult[]> {
  const detector = createDetector({ db: fixture.db, now: () => TRIVY_TEST_NOW });
  const out = await detector.scanTarget({
    Name: 'img',
    OS: { Family: '', Name: '' },
    Packages: [],
    Applications: applications,
  });
  return out.results;
}

async function scanApp(type: string, packages: Package[], filePath?: string): Promise<DetectionResult> {
  const [result] = await scanApps([{ Type: type, FilePath: filePath, Packages: packages }]);
  assert.ok(result, 'a result');
  return result;
}

/** "pkg id installed fixed source" sorted. */
function lines(result: DetectionResult): string[] {
  return result.Vulnerabilities.map((v) =>
    [v.PkgName, v.VulnerabilityID, v.InstalledVersion, v.FixedVersion || '-', v.DataSource?.ID ?? '-'].join(
      ' ',
    ),
  ).sort();
}

describe('package names as trivy-db stores them', () => {
  test('NormalizePkgName', () => {
    assert.equal(normalizePackageName('pip', 'Zope_Interface'), 'zope-interface');
    // Only "_" is folded for Python, not ".": trivy-db stores names the same way.
    assert.equal(normalizePackageName('pip', 'zope.interface'), 'zope.interface');
    assert.equal(normalizePackageName('nuget', 'Newtonsoft.Json'), 'newtonsoft.json');
    assert.equal(normalizePackageName('maven', 'Org.Example:Lib'), 'org.example:lib');
    assert.equal(normalizePackageName('go', 'github.com/BurntSushi/toml'), 'github.com/BurntSushi/toml');
    assert.equal(normalizePackageName('cocoapods', '_NIODataStructures'), '_NIODataStructures');
    assert.equal(normalizePackageName('julia', 'HTTP'), 'HTTP');
    assert.equal(
      normalizePackageName('swift', 'https://github.com/apple/swift-nio.git'),
      'github.com/apple/swift-nio',
    );
  });

  test('python: case and underscores folded', async () => {
    const result = await scanApp('python-pkg', [
      lib('Werkzeug', '0.11', { FilePath: 'usr/lib/python3/site-packages/Werkzeug-0.11.dist-info/METADATA' }),
      lib('Zope_Interface', '4.1'),
      lib('zope.interface', '4.1'),
      lib('SetupTools', '65.5.1'),
    ]);
    assert.equal(result.Target, 'Python');
    assert.deepEqual(lines(result), [
      'Werkzeug CVE-2019-14806 0.11 0.15.3 ghsa',
      'Werkzeug CVE-2020-28724 0.11 0.11.6 ghsa',
      // No patched versions: the fix is the "<" bound of the vulnerable range.
      'Zope_Interface GHSA-test-zope 4.1 5.0 ghsa',
    ]);
    const werkzeug = result.Vulnerabilities.find((v) => v.VulnerabilityID === 'CVE-2019-14806');
    assert.equal(werkzeug?.PkgPath, 'usr/lib/python3/site-packages/Werkzeug-0.11.dist-info/METADATA');
    assert.equal(werkzeug?.PkgID, 'Werkzeug@0.11');
  });

  test('maven: groupId:artifactId, every maven:: source merged, Maven ranges', async () => {
    const name = 'com.fasterxml.jackson.core:jackson-databind';
    const old = await scanApp('jar', [
      lib(name, '2.9.10.3', { FilePath: 'app/app.war/WEB-INF/lib/jackson-databind-2.9.10.3.jar' }),
    ]);
    assert.equal(old.Target, 'Java');
    assert.deepEqual(lines(old), [
      `${name} CVE-2020-9548 2.9.10.3 2.9.10.4 ghsa`,
      `${name} CVE-2021-20190 2.9.10.3 2.9.10.7 glad`,
    ]);
    const mid = await scanApp('pom', [lib('com.fasterxml.jackson.core:Jackson-Databind', '2.9.10.5')]);
    assert.deepEqual(lines(mid), [
      'com.fasterxml.jackson.core:Jackson-Databind CVE-2021-20190 2.9.10.5 2.9.10.7 glad',
    ]);
    const fixed = await scanApp('gradle', [lib(name, '2.9.10.7')]);
    assert.deepEqual(lines(fixed), []);
  });
});

describe('ecosystems', () => {
  test('npm: both npm:: sources, <= bounds give no fixed version, an empty range matches all', async () => {
    const result = await scanApp('node-pkg', [lib('lodash', '4.17.4'), lib('jquery', '3.4.0')]);
    assert.equal(result.Target, 'Node.js');
    assert.deepEqual(lines(result), [
      'lodash CVE-2019-10744 4.17.4 4.17.12 ghsa',
      'lodash CVE-2099-0120 4.17.4 5.0.2 nodejs-security-wg',
      'lodash CVE-2099-0121 4.17.4 - nodejs-security-wg',
    ]);
  });

  test('go: case-sensitive names, v-prefixed versions, vendor IDs', async () => {
    const result = await scanApp(
      'gobinary',
      [
        lib('golang.org/x/text', 'v0.3.6'),
        lib('github.com/docker/distribution', 'v2.7.1+incompatible'),
        lib('github.com/Docker/distribution', 'v2.7.1+incompatible'),
        lib('stdlib', 'v1.20.5'),
        lib('github.com/open-policy-agent/opa', 'v0.37.0'),
      ],
      'usr/local/bin/app',
    );
    assert.equal(result.Target, 'usr/local/bin/app');
    assert.deepEqual(lines(result), [
      'github.com/docker/distribution GMS-2022-20 v2.7.1+incompatible v2.8.0 ghsa',
      'golang.org/x/text CVE-2021-38561 v0.3.6 0.3.7 ghsa',
      'stdlib CVE-2099-0140 v1.20.5 1.20.8 govulndb',
    ]);
    const stdlib = result.Vulnerabilities.find((v) => v.PkgName === 'stdlib');
    assert.deepEqual(stdlib?.VendorIDs, ['GO-2099-0001']);
  });

  test('cargo: patched versions only', async () => {
    const result = await scanApp('rustbinary', [lib('ammonia', '2.1.2')], 'usr/bin/tool');
    assert.deepEqual(lines(result), ['ammonia CVE-2021-38193 2.1.2 >= 3.1.0, >= 2.1.3, < 3.0.0 -']);
    assert.deepEqual(result.Vulnerabilities[0]?.DataSource, {
      Name: 'RustSec Advisory Database',
      URL: 'https://github.com/RustSec/advisory-db',
    });
  });

  test('rubygems: several ranges, unaffected versions, unbounded ranges', async () => {
    const old = await scanApp('gemspec', [lib('activesupport', '4.2.1'), lib('http_parser', '0.6.0')]);
    assert.equal(old.Target, 'Ruby');
    assert.deepEqual(lines(old), [
      'activesupport CVE-2015-3226 4.2.1 3.2.22.5, 4.2.2, 4.1.11 ghsa',
      'activesupport CVE-2015-3227 4.2.1 4.2.2, 4.1.11 ghsa',
      'http_parser CVE-2020-9999 0.6.0 - ghsa',
    ]);
    const six = await scanApp('bundler', [lib('activesupport', '6.0.2.1')], 'Gemfile.lock');
    assert.deepEqual(lines(six), [
      'activesupport CVE-2020-8165 6.0.2.1 6.0.3.1, 5.2.4.3 ghsa',
      'activesupport CVE-2099-0130 6.0.2.1 >= 6.0.3.1 -',
    ]);
  });

  test('php, .NET, C/C++, Erlang, Dart, Swift, CocoaPods, Kubernetes', async () => {
    const results = await scanApps([
      {
        Type: 'composer-vendor',
        FilePath: 'vendor/composer/installed.json',
        Packages: [lib('guzzlehttp/psr7', '1.8.3')],
      },
      { Type: 'dotnet-core', FilePath: 'app.deps.json', Packages: [lib('Newtonsoft.Json', '12.0.3')] },
      { Type: 'conan', FilePath: 'conan.lock', Packages: [lib('pcre', '8.43')] },
      { Type: 'hex', FilePath: 'mix.lock', Packages: [lib('phoenix', '1.6.13')] },
      { Type: 'pub', FilePath: 'pubspec.lock', Packages: [lib('http', '0.13.2')] },
      {
        Type: 'swift',
        FilePath: 'Package.resolved',
        Packages: [lib('https://github.com/apple/swift-nio.git', '2.41.0')],
      },
      {
        Type: 'cocoapods',
        FilePath: 'Podfile.lock',
        Packages: [lib('_NIODataStructures', '2.41.0'), lib('_niodatastructures', '2.41.0')],
      },
      { Type: 'kubernetes', Packages: [lib('k8s.io/kubelet', '1.25.5')] },
    ]);
    assert.deepEqual(
      results.map((r) => `${r.Target}: ${lines(r).join(' | ')}`),
      [
        'Kubernetes: k8s.io/kubelet CVE-2023-2431 1.25.5 1.24.14, 1.25.9, 1.26.4, 1.27.1 k8s',
        'Package.resolved: https://github.com/apple/swift-nio.git CVE-2022-3215 2.41.0 2.29.1, 2.39.1, 2.42.0 -',
        'Podfile.lock: _NIODataStructures CVE-2022-3215 2.41.0 2.29.1, 2.39.1, 2.42.0 -',
        'app.deps.json: Newtonsoft.Json GHSA-5crp-9r3c-p9vr 12.0.3 13.0.1 ghsa',
        'conan.lock: pcre CVE-2020-14155 8.43 8.45 -',
        'mix.lock: phoenix CVE-2022-42975 1.6.13 1.6.14 ghsa',
        'pubspec.lock: http CVE-2020-35669 0.13.2 0.13.3 ghsa',
        'vendor/composer/installed.json: guzzlehttp/psr7 CVE-2022-24775 1.8.3 1.8.4 ghsa',
      ],
    );
  });

  test('unsupported types and packages without a version are listed, not matched', async () => {
    const [conda] = await scanApps([{ Type: 'conda-pkg', Packages: [lib('openssl', '1.1.1')] }]);
    assert.equal(conda?.Target, 'Conda');
    assert.deepEqual(conda?.Vulnerabilities, []);
    const noVersion = await scanApp('node-pkg', [lib('lodash', '')]);
    assert.deepEqual(noVersion.Vulnerabilities, []);
    assert.deepEqual(await scanApps([{ Type: 'node-pkg', Packages: [] }]), [], 'no packages, no result');
  });
});

describe('fixed versions and targets', () => {
  test("Trivy's FixedVersion rule", () => {
    assert.equal(fixedVersionOf({ PatchedVersions: ['1.2.3', '1.2.3', '2.0.0'] }), '1.2.3, 2.0.0');
    assert.equal(
      fixedVersionOf({ VulnerableVersions: ['< 1.5', '>= 2.0, < 2.3', '<= 3.0', '< 1.5'] }),
      '1.5, 2.3',
    );
    assert.equal(fixedVersionOf({ VulnerableVersions: ['>= 0'] }), '');
  });

  test('aggregated types are named, others keep their path; results sorted by target', async () => {
    assert.equal(applicationTarget({ Type: 'jar' }), 'Java');
    assert.equal(applicationTarget({ Type: 'jar', FilePath: 'app.jar' }), 'app.jar');
    assert.equal(applicationTarget({ Type: 'gobinary', FilePath: 'usr/bin/x' }), 'usr/bin/x');
    const results = await scanApps([
      { Type: 'node-pkg', Packages: [lib('b', '1.0.0')] },
      { Type: 'gobinary', FilePath: 'usr/bin/app', Packages: [lib('stdlib', 'v1.22.0')] },
      { Type: 'python-pkg', Packages: [lib('a', '1.0')] },
    ]);
    assert.deepEqual(
      results.map((r) => r.Target),
      ['Node.js', 'Python', 'usr/bin/app'],
    );
  });
});
