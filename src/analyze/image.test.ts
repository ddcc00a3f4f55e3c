/**
 * End to end over real data: the debootstrapped Debian layer, then layers with real npm, PyPI, Go, Rust,
 * Maven and Debian-gem packages, a layer that removes a package (status rewritten, files whited out, a
 * directory whited out, another made opaque), and a zstd layer. Expected values come from the tools that
 * made the data (dpkg-query, `go version -m`, the packages' own metadata), written down here.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildLayer, debianBase, type Layer } from '../../test/env/image-builder.js';
import { applyLayers, checkArtifactDetail } from './apply.js';
import { analyzeLayerFile, exec, nameVersions, testData } from './testkit.js';
import type { ArtifactDetail, BlobInfo, Package } from './types.js';

const COMPOSER_INSTALLED = `{
    "packages": [
        {
            "name": "monolog/monolog",
            "version": "2.9.1",
            "require": { "php": ">=7.2", "psr/log": "^1.0.1 || ^2.0 || ^3.0" },
            "license": ["MIT"]
        },
        {
            "name": "psr/log",
            "version": "1.1.4",
            "require": { "php": ">=5.3.0" },
            "license": "MIT"
        }
    ],
    "dev": true,
    "dev-package-names": []
}
`;

const DEPS_JSON = `{
  "runtimeTarget": { "name": ".NETCoreApp,Version=v8.0", "signature": "" },
  "targets": {
    ".NETCoreApp,Version=v8.0": {
      "WebApp/1.0.0": {
        "dependencies": { "Newtonsoft.Json": "13.0.1" },
        "runtime": { "WebApp.dll": {} }
      },
      "Newtonsoft.Json/13.0.1": {
        "runtime": { "lib/net6.0/Newtonsoft.Json.dll": { "assemblyVersion": "13.0.0.0" } }
      },
      "Analyzers.Only/1.0.0": {}
    }
  },
  "libraries": {
    "WebApp/1.0.0": { "type": "project", "serviceable": false, "sha512": "" },
    "Newtonsoft.Json/13.0.1": { "type": "package", "serviceable": true, "sha512": "sha512-x" },
    "Analyzers.Only/1.0.0": { "type": "package", "serviceable": true, "sha512": "sha512-y" }
  }
}
`;

interface Fixture {
  layers: Layer[];
  blobs: BlobInfo[];
  detail: ArtifactDetail;
  debianVersion: string;
  expectedDebian: string[];
  goBuildInfo: string;
}

async function zstdLayer(layer: Layer): Promise<Layer> {
  const file = `${layer.file.replace(/\.tar\.gz$/, '')}.tar.zst`;
  await exec('bash', ['-c', `gzip -dc "$0" | zstd -q -3 -o "$1" -f`, layer.file, file]);
  const content = await readFile(file);
  return {
    file,
    digest: `sha256:${createHash('sha256').update(content).digest('hex')}`,
    diffId: layer.diffId,
    size: content.length,
  };
}

describe('image analysis over real layers', () => {
  let fixture: Fixture;
  const work = join(tmpdir(), `vigil-analyze-${process.pid}`);

  before(async () => {
    const [base, lang, goDir, rustDir] = await Promise.all([
      debianBase(),
      testData('fetch-lang-testdata.sh'),
      testData('build-go-testbin.sh'),
      testData('build-rust-auditable.sh'),
    ]);
    const { stdout: debianVersion } = await exec('tar', ['-xzOf', base.layer.file, './etc/debian_version']);
    const { stdout: status } = await exec('tar', ['-xzOf', base.layer.file, './var/lib/dpkg/status']);
    // `apt-get remove gpgv` leaves its stanza as deinstalled; a dpkg-installed Python egg joins the status.
    const removed = status.replace(
      /(Package: gpgv\nStatus: )install ok installed/,
      '$1deinstall ok config-files',
    );
    assert.notEqual(removed, status, 'the base status lists gpgv as installed');
    const owned = [
      'Package: python3-vigil-owned',
      'Status: install ok installed',
      'Architecture: all',
      'Maintainer: Vigil <vigil@example.org>',
      'Version: 1.0-1',
      'Description: an egg owned by dpkg',
      '',
    ].join('\n');
    await rm(work, { recursive: true, force: true });
    await mkdir(work, { recursive: true });

    const langLayer = await buildLayer(
      {
        trees: [
          { from: join(lang, 'npm'), to: '/app' },
          { from: join(lang, 'python/site'), to: '/usr/local/lib/python3.11/site-packages' },
          { from: join(lang, 'java'), to: '/opt/java' },
          {
            from: join(lang, 'ruby/specifications'),
            to: '/usr/share/rubygems-integration/all/specifications',
          },
        ],
        files: [
          {
            path: '/usr/local/bin/vigil-gobin',
            content: await readFile(join(goDir, 'bin/vigil-gobin')),
            mode: 0o755,
          },
          {
            path: '/usr/local/bin/vigil-auditable',
            content: await readFile(join(rustDir, 'bin/vigil-auditable')),
            mode: 0o755,
          },
          // A Go binary without the execute bit is not looked at, as in Trivy.
          { path: '/usr/share/doc/not-executable', content: await readFile(join(goDir, 'bin/vigil-gobin')) },
          { path: '/var/www/vendor/composer/installed.json', content: COMPOSER_INSTALLED },
          {
            path: '/var/old/vendor/composer/installed.json',
            content: '[{"name":"v1/format","version":"1.0.0"}]',
          },
          { path: '/srv/webapp/WebApp.deps.json', content: DEPS_JSON },
        ],
      },
      work,
    );
    const removeLayer = await buildLayer(
      {
        files: [
          { path: '/var/lib/dpkg/status', content: `${removed.trimEnd()}\n\n${owned}` },
          {
            path: '/var/lib/dpkg/info/python3-vigil-owned.md5sums',
            content:
              '0123456789abcdef0123456789abcdef  usr/lib/python3/dist-packages/vigil_owned-1.0.egg-info\n',
          },
          {
            path: '/usr/lib/python3/dist-packages/vigil_owned-1.0.egg-info',
            content: 'Metadata-Version: 1.1\nName: vigil-owned\nVersion: 1.0\n',
          },
          {
            path: '/opt/java/commons-collections-3.2.1.jar',
            content: await readFile(join(lang, 'java/commons-collections-3.2.1.jar')),
          },
        ],
        delete: ['/usr/bin/gpgv', '/var/lib/dpkg/info/gpgv.md5sums', '/app/node_modules/ms'],
        opaque: ['/opt/java'],
      },
      work,
    );
    const zstd = await zstdLayer(
      await buildLayer(
        { trees: [{ from: join(lang, 'npm/node_modules/ms'), to: '/srv/node_modules/ms' }] },
        work,
      ),
    );
    const layers = [base.layer, langLayer, removeLayer, zstd];
    const blobs: BlobInfo[] = [];
    for (const layer of layers) {
      const analysis = await analyzeLayerFile(layer.file, { digest: layer.digest, diffId: layer.diffId });
      assert.equal(analysis.computedDiffId, layer.diffId, 'the streamed tar hashes to the diff id');
      blobs.push(analysis.blob);
    }
    fixture = {
      layers,
      blobs,
      detail: applyLayers(blobs),
      debianVersion: debianVersion.trim(),
      expectedDebian: base.packages.map((p) => `${p.name}@${p.version}`),
      goBuildInfo: await readFile(join(goDir, 'buildinfo.txt'), 'utf8'),
    };
  });

  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  const app = (type: string) => fixture.detail.Applications.filter((a) => a.Type === type);
  const full = (p: Package) =>
    `${p.Name}@${p.Epoch ? `${p.Epoch}:` : ''}${p.Version}${p.Release ? `-${p.Release}` : ''}`;

  it('detects Debian and reports every installed package except the removed one, each from its first layer', () => {
    const { detail, layers } = fixture;
    assert.deepEqual(detail.OS, { Family: 'debian', Name: fixture.debianVersion });
    const expected = fixture.expectedDebian.filter((p) => !p.startsWith('gpgv@'));
    assert.deepEqual(detail.Packages.map(full).sort(), [...expected, 'python3-vigil-owned@1.0-1'].sort());
    for (const pkg of detail.Packages) {
      const origin = pkg.Name === 'python3-vigil-owned' ? layers[2] : layers[0];
      assert.deepEqual(pkg.Layer, { Digest: origin?.digest, DiffID: origin?.diffId }, pkg.Name);
    }
    assert.equal(checkArtifactDetail(detail), undefined);
  });

  it('records whiteouts and opaque directories as Trivy does', () => {
    const blob = fixture.blobs[2];
    assert.deepEqual(blob?.WhiteoutFiles?.sort(), [
      'app/node_modules/ms',
      'usr/bin/gpgv',
      'var/lib/dpkg/info/gpgv.md5sums',
    ]);
    assert.deepEqual(blob?.OpaqueDirs, ['opt/java/']);
  });

  it('finds npm packages by package.json, minus the whited-out one, plus the one from the zstd layer', () => {
    const [node] = app('node-pkg');
    assert.equal(node?.FilePath, undefined, 'node-pkg is aggregated');
    assert.deepEqual(
      node?.Packages.map((p) => [p.ID, p.FilePath, p.Licenses, p.Layer?.Digest]),
      [
        [
          '@sindresorhus/is@4.0.0',
          'app/node_modules/@sindresorhus/is/package.json',
          ['MIT'],
          fixture.layers[1]?.digest,
        ],
        ['minimist@1.2.5', 'app/node_modules/minimist/package.json', ['MIT'], fixture.layers[1]?.digest],
        ['ms@2.0.0', 'srv/node_modules/ms/package.json', ['MIT'], fixture.layers[3]?.digest],
      ],
    );
  });

  it('finds Python dist-info and egg-info packages and drops the one dpkg owns', () => {
    const [python] = app('python-pkg');
    assert.deepEqual(
      python?.Packages.map((p) => [p.Name, p.Version, p.Licenses, p.FilePath]),
      [
        [
          'requests',
          '2.25.0',
          ['Apache Software License'],
          'usr/local/lib/python3.11/site-packages/requests-2.25.0.dist-info/METADATA',
        ],
        [
          'six',
          '1.16.0',
          ['MIT License'],
          'usr/local/lib/python3.11/site-packages/six-1.16.0-py3.11.egg-info/PKG-INFO',
        ],
      ],
    );
    const owned = fixture.blobs[2]?.Applications?.find((a) => a.Type === 'python-pkg');
    assert.equal(owned, undefined, 'the dpkg-owned egg-info is filtered in its own layer');
  });

  it('reads the Go build info as `go version -m` prints it, with the ldflags version for the main module', () => {
    const gobin = app('gobinary');
    assert.deepEqual(
      gobin.map((a) => a.FilePath),
      ['usr/local/bin/vigil-gobin'],
    );
    const goVersion = /: go(\S+)/.exec(fixture.goBuildInfo)?.[1];
    const xtext = /\tdep\tgolang\.org\/x\/text\t(\S+)/.exec(fixture.goBuildInfo)?.[1];
    assert.ok(goVersion && xtext);
    assert.deepEqual(
      gobin[0]?.Packages.map((p) => [p.ID, p.Relationship ?? 0]),
      [
        ['example.com/vigil-gobin@v1.4.2', 1],
        [`stdlib@v${goVersion}`, 3],
        ['../localdep', 0],
        [`golang.org/x/text@${xtext}`, 0],
      ],
    );
    assert.deepEqual(gobin[0]?.Packages[0]?.DependsOn, [
      '../localdep',
      `golang.org/x/text@${xtext}`,
      `stdlib@v${goVersion}`,
    ]);
  });

  it('reads the cargo-auditable dependency list', () => {
    const rust = app('rustbinary');
    assert.deepEqual(
      rust.map((a) => [a.FilePath, a.Packages.map((p) => [p.ID, p.Relationship ?? 0, p.DependsOn])]),
      [
        [
          'usr/local/bin/vigil-auditable',
          [
            ['vigil-auditable@0.1.0', 1, ['smallvec@1.6.0']],
            ['smallvec@1.6.0', 0, undefined],
          ],
        ],
      ],
    );
  });

  it('reads jars (pom.properties, nested war, manifest-only) and lets an opaque directory hide them', () => {
    const layerOne = fixture.blobs[1]?.Applications?.filter((a) => a.Type === 'jar') ?? [];
    assert.deepEqual(
      layerOne.map((a) => [a.FilePath, a.Packages.map((p) => [p.Name, p.Version, p.FilePath])]),
      [
        [
          'opt/java/app.war',
          [
            [
              'commons-collections:commons-collections',
              '3.2.1',
              'opt/java/app.war/WEB-INF/lib/commons-collections-3.2.1.jar',
            ],
          ],
        ],
        [
          'opt/java/commons-collections-3.2.1.jar',
          [['commons-collections:commons-collections', '3.2.1', 'opt/java/commons-collections-3.2.1.jar']],
        ],
        // Without pom.properties the manifest names it (Implementation-Vendor-Id : Implementation-Title).
        [
          'opt/java/manifest-only.jar',
          [['org.apache:Commons Collections', '3.2.1', 'opt/java/manifest-only.jar']],
        ],
      ],
    );
    // Only the jar re-added under the opaque directory survives. Trivy attributes a language package to the
    // first layer whose application at the same path holds it, so it is layer 1's, not the re-adding layer's.
    const [jar] = app('jar');
    assert.deepEqual(
      jar?.Packages.map((p) => [p.Name, p.FilePath, p.Layer?.Digest]),
      [
        [
          'commons-collections:commons-collections',
          'opt/java/commons-collections-3.2.1.jar',
          fixture.layers[1]?.digest,
        ],
      ],
    );
  });

  it('reads the gemspec Debian ships, composer 2 installed.json (not composer 1) and .NET deps.json', () => {
    const [gem] = app('gemspec');
    assert.deepEqual(
      gem?.Packages.map((p) => [p.Name, p.Version, p.Licenses]),
      [['rack', '2.2.22', ['MIT']]],
    );
    assert.deepEqual(
      app('composer-vendor').map((a) => [
        a.FilePath,
        a.Packages.map((p) => [p.ID, p.Licenses, p.Locations, p.DependsOn]),
      ]),
      [
        [
          'var/www/vendor/composer/installed.json',
          [
            ['monolog/monolog@2.9.1', ['MIT'], [{ StartLine: 3, EndLine: 8 }], ['psr/log@1.1.4']],
            ['psr/log@1.1.4', ['MIT'], [{ StartLine: 9, EndLine: 14 }], undefined],
          ],
        ],
      ],
    );
    assert.deepEqual(
      app('dotnet-core').map((a) => [a.FilePath, a.Packages.map((p) => [p.ID, p.Relationship, p.Locations])]),
      [
        [
          'srv/webapp/WebApp.deps.json',
          [
            ['WebApp/1.0.0', 1, [{ StartLine: 16, EndLine: 16 }]],
            ['Newtonsoft.Json/13.0.1', 3, [{ StartLine: 17, EndLine: 17 }]],
          ],
        ],
      ],
    );
  });

  it('reports each blob with Trivy blob fields (schema 2, sizes, compressed digests)', () => {
    for (const [i, blob] of fixture.blobs.entries()) {
      assert.equal(blob.SchemaVersion, 2);
      assert.equal(blob.Digest, fixture.layers[i]?.digest);
      assert.equal(blob.DiffID, fixture.layers[i]?.diffId);
      assert.ok((blob.Size ?? 0) > 0);
    }
    assert.deepEqual(nameVersions(fixture.blobs[3]?.Applications?.[0]?.Packages ?? []), ['ms@2.0.0']);
  });
});
