import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { debianBase } from '../../../test/env/image-builder.js';
import { analyzeLayerFile } from '../testkit.js';
import { createDpkgAnalyzer, parseDpkgStatus } from './dpkg.js';

/** dpkg's own `epoch:upstream-revision` from Trivy's split fields. */
function rawVersion(epoch: number | undefined, version: string, release: string | undefined): string {
  return `${epoch ? `${epoch}:` : ''}${version}${release ? `-${release}` : ''}`;
}

describe('dpkg on the debootstrapped Debian bookworm layer', () => {
  // The layer is analysed once for the tests below.
  let analysed: ReturnType<typeof analyseBase> | undefined;
  const analyseBase = async () => {
    const base = await debianBase();
    const { blob } = await analyzeLayerFile(base.layer.file, {}, [createDpkgAnalyzer()]);
    return { base, blob };
  };
  const analyse = () => {
    if (!analysed) analysed = analyseBase();
    return analysed;
  };

  it('lists exactly the packages dpkg-query lists, with the same versions and source packages', async () => {
    const { base, blob } = await analyse();
    const infos = blob.PackageInfos ?? [];
    assert.deepEqual(
      infos.map((i) => i.FilePath),
      ['var/lib/dpkg/status'],
    );
    const packages = infos[0]?.Packages ?? [];
    const got = packages
      .map((p) =>
        [
          p.Name,
          rawVersion(p.Epoch, p.Version, p.Release),
          p.SrcName,
          rawVersion(p.SrcEpoch, p.SrcVersion ?? '', p.SrcRelease),
        ].join('\t'),
      )
      .sort();
    const expected = base.packages
      .map((p) => [p.name, p.version, p.sourceName, p.sourceVersion].join('\t'))
      .sort();
    assert.equal(expected.length > 50, true, 'dpkg-query listed the base system');
    assert.deepEqual(got, expected);
    for (const pkg of packages)
      assert.equal(pkg.ID, `${pkg.Name}@${rawVersion(pkg.Epoch, pkg.Version, pkg.Release)}`);
  });

  it('splits epochs, binNMU revisions and Source: lines as Trivy does', async () => {
    const { blob } = await analyse();
    const byName = new Map((blob.PackageInfos?.[0]?.Packages ?? []).map((p) => [p.Name, p]));
    // bsdutils 1:2.38.1-5+deb12u3 is built from util-linux 2.38.1-5+deb12u3 (Source: util-linux (2.38.1-5+deb12u3)).
    const bsdutils = byName.get('bsdutils');
    assert.equal(bsdutils?.Epoch, 1);
    assert.equal(bsdutils?.Version, '2.38.1');
    assert.equal(bsdutils?.Release, '5+deb12u3');
    assert.equal(bsdutils?.SrcName, 'util-linux');
    assert.equal(bsdutils?.SrcEpoch, undefined);
    // A binNMU: binary revision 2+b2, source revision 2.
    const e2fsprogs = byName.get('e2fsprogs');
    assert.equal(e2fsprogs?.Release, '2+b2');
    assert.equal(e2fsprogs?.SrcRelease, '2');
    // Installed files come from info/<name>.md5sums, with a leading slash; the OS package class is official.
    const libc = byName.get('libc6');
    assert.equal(libc?.SrcName, 'glibc');
    assert.ok(libc?.InstalledFiles?.includes('/usr/share/doc/libc6/copyright'));
    assert.equal(libc?.Repository?.Class, 'official');
    assert.ok(libc?.Digest?.startsWith('sha256:'), 'digest from var/lib/dpkg/available');
  });
});

describe('dpkg status parsing', () => {
  const status = [
    'Package: kept',
    'Status: install ok installed',
    'Version: 2:1.0-3',
    'Source: kept-src (1:0.9-1)',
    'Architecture: amd64',
    'Maintainer: Someone <someone@example.org>',
    'Depends: libfoo (>= 1), other | alternative',
    'Description: a package',
    ' with a continuation line',
    '',
    'Package: removed',
    'Status: deinstall ok config-files',
    'Version: 1.0-1',
    '',
    'Package: purged',
    'Status: purge ok not-installed',
    'Version: 1.0-1',
    '',
    'Package: libfoo',
    'Status: install ok installed',
    'Version: 5',
    'Maintainer: Docker <support@docker.com>',
    '',
    'Package: badversion',
    'Status: install ok installed',
    'Version: abc',
    '',
  ].join('\n');

  it('skips deinstalled, purged and unparsable packages and resolves dependencies to IDs', () => {
    const info = parseDpkgStatus('var/lib/dpkg/status', status);
    const byName = new Map(info.Packages.map((p) => [p.Name, p]));
    assert.deepEqual([...byName.keys()].sort(), ['kept', 'libfoo']);
    const kept = byName.get('kept');
    assert.deepEqual(
      { ...kept },
      {
        ID: 'kept@2:1.0-3',
        Name: 'kept',
        Version: '1.0',
        Release: '3',
        Epoch: 2,
        Arch: 'amd64',
        SrcName: 'kept-src',
        SrcVersion: '0.9',
        SrcRelease: '1',
        SrcEpoch: 1,
        Maintainer: 'Someone <someone@example.org>',
        DependsOn: ['libfoo@5'],
      },
    );
  });

  it('classes third-party maintainers and gives them no installed files', async () => {
    const analyzer = createDpkgAnalyzer();
    const result = await analyzer.analyze(
      new Map([
        ['var/lib/dpkg/status', Buffer.from(status)],
        ['var/lib/dpkg/info/libfoo.md5sums', Buffer.from('0123  usr/lib/libfoo.so\n')],
        ['var/lib/dpkg/info/kept:amd64.md5sums', Buffer.from('abcd  usr/bin/kept\n')],
      ]),
    );
    const byName = new Map((result?.packageInfos?.[0]?.Packages ?? []).map((p) => [p.Name, p]));
    assert.equal(byName.get('libfoo')?.Repository?.Class, 'third-party');
    assert.equal(byName.get('libfoo')?.InstalledFiles, undefined);
    assert.deepEqual(byName.get('kept')?.InstalledFiles, ['/usr/bin/kept']);
    assert.deepEqual(result?.systemInstalledFiles, ['/usr/bin/kept']);
  });

  it('reads distroless status.d stanza files, one PackageInfo per file', async () => {
    const analyzer = createDpkgAnalyzer();
    assert.equal(analyzer.required({ path: 'var/lib/dpkg/status.d/base-files', size: 1, mode: 0o644 }), true);
    assert.equal(
      analyzer.required({ path: 'var/lib/dpkg/status.d/base-files.md5sums', size: 1, mode: 0o644 }),
      true,
    );
    assert.equal(
      analyzer.required({ path: 'var/lib/dpkg/info/base-files.list', size: 1, mode: 0o644 }),
      false,
    );
    const result = await analyzer.analyze(
      new Map([
        [
          'var/lib/dpkg/status.d/base-files',
          Buffer.from('Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n'),
        ],
        ['var/lib/dpkg/status.d/base-files.md5sums', Buffer.from('aa  etc/debian_version\n')],
        ['var/lib/dpkg/status.d/netbase', Buffer.from('Package: netbase\nVersion: 6.4\nArchitecture: all\n')],
      ]),
    );
    assert.deepEqual(
      result?.packageInfos?.map((i) => [i.FilePath, i.Packages.map((p) => p.ID)]),
      [
        ['var/lib/dpkg/status.d/base-files', ['base-files@12.4+deb12u5']],
        ['var/lib/dpkg/status.d/netbase', ['netbase@6.4']],
      ],
    );
    assert.deepEqual(result?.systemInstalledFiles, ['/etc/debian_version']);
  });
});
