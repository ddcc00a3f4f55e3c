/**
 * OS detection per distribution, from release files as the distributions ship them, run through the real
 * layer walk (a tar per image) and merged as Trivy merges (first detection wins, except redhat/debian).
 */
import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { pack } from 'tar-stream';
import { applyLayers } from '../apply.js';
import { createImageAnalyzers } from '../index.js';
import { analyzeLayer } from '../layer.js';
import type { OS } from '../types.js';

async function detect(files: Record<string, string>): Promise<OS | undefined> {
  const p = pack();
  for (const [name, content] of Object.entries(files)) p.entry({ name, mode: 0o644 }, content);
  p.finalize();
  const { blob } = await analyzeLayer(p as unknown as Readable, {}, { analyzers: createImageAnalyzers() });
  return blob.OS;
}

const osRelease = (id: string, version: string, name = id) =>
  `NAME="${name}"\nID=${id}\nVERSION_ID="${version}"\n`;

const CASES: Array<[string, Record<string, string>, OS | undefined]> = [
  [
    'Debian',
    { 'etc/debian_version': '12.7\n', 'etc/os-release': osRelease('debian', '12') },
    { Family: 'debian', Name: '12.7' },
  ],
  [
    'Ubuntu (lsb-release wins over debian_version)',
    {
      'etc/debian_version': 'bookworm/sid\n',
      'etc/lsb-release': 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_CODENAME=jammy\n',
      'etc/os-release': osRelease('ubuntu', '22.04', 'Ubuntu'),
    },
    { Family: 'ubuntu', Name: '22.04' },
  ],
  [
    'Ubuntu Pro with ESM',
    {
      'etc/lsb-release': 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=16.04\n',
      'var/lib/ubuntu-advantage/status.json': JSON.stringify({
        services: [
          { name: 'esm-apps', status: 'disabled' },
          { name: 'esm-infra', status: 'enabled' },
        ],
      }),
    },
    { Family: 'ubuntu', Name: '16.04', Extended: true },
  ],
  [
    'Alpine',
    { 'etc/alpine-release': '3.19.1\n', 'etc/os-release': osRelease('alpine', '3.19.1') },
    { Family: 'alpine', Name: '3.19.1' },
  ],
  [
    'RHEL',
    {
      'etc/redhat-release': 'Red Hat Enterprise Linux release 9.4 (Plow)\n',
      'etc/os-release': osRelease('rhel', '9.4'),
    },
    { Family: 'redhat', Name: '9.4' },
  ],
  [
    'CentOS 7',
    {
      'etc/redhat-release': 'CentOS Linux release 7.9.2009 (Core)\n',
      'etc/centos-release': 'CentOS Linux release 7.9.2009 (Core)\n',
    },
    { Family: 'centos', Name: '7.9.2009' },
  ],
  [
    'CentOS Stream',
    { 'etc/os-release': 'NAME="CentOS Stream"\nID="centos"\nVERSION_ID="9"\n' },
    { Family: 'centos-stream', Name: '9' },
  ],
  [
    'Rocky',
    {
      'etc/redhat-release': 'Rocky Linux release 9.3 (Blue Onyx)\n',
      'etc/rocky-release': 'Rocky Linux release 9.3 (Blue Onyx)\n',
    },
    { Family: 'rocky', Name: '9.3' },
  ],
  [
    'AlmaLinux',
    {
      'etc/redhat-release': 'AlmaLinux release 8.9 (Midnight Oncilla)\n',
      'etc/almalinux-release': 'AlmaLinux release 8.9 (Midnight Oncilla)\n',
    },
    { Family: 'alma', Name: '8.9' },
  ],
  [
    'Oracle (redhat-release says Red Hat, oracle-release wins)',
    {
      'etc/redhat-release': 'Red Hat Enterprise Linux Server release 7.9 (Maipo)\n',
      'etc/oracle-release': 'Oracle Linux Server release 7.9\n',
    },
    { Family: 'oracle', Name: '7.9' },
  ],
  [
    'Fedora',
    {
      'etc/fedora-release': 'Fedora release 39 (Thirty Nine)\n',
      'etc/redhat-release': 'Fedora release 39 (Thirty Nine)\n',
    },
    { Family: 'fedora', Name: '39' },
  ],
  [
    'Amazon Linux 2',
    { 'etc/system-release': 'Amazon Linux release 2 (Karoo)\n' },
    { Family: 'amazon', Name: '2 (Karoo)' },
  ],
  [
    'Amazon Linux 2023',
    { 'usr/lib/system-release': 'Amazon Linux release 2023.6.20241010 (Amazon Linux)\n' },
    { Family: 'amazon', Name: '2023.6.20241010 (Amazon Linux)' },
  ],
  [
    'Amazon Linux 1',
    { 'etc/system-release': 'Amazon Linux AMI release 2018.03\n' },
    { Family: 'amazon', Name: 'AMI release 2018.03' },
  ],
  ['SLES', { 'etc/os-release': osRelease('sles', '15.5', 'SLES') }, { Family: 'sles', Name: '15.5' }],
  [
    'SLE Micro',
    { 'usr/lib/os-release': osRelease('sle-micro', '5.5', 'SLE Micro') },
    { Family: 'slem', Name: '5.5' },
  ],
  [
    'openSUSE Leap',
    { 'etc/os-release': osRelease('opensuse-leap', '15.5', 'openSUSE Leap') },
    { Family: 'opensuse-leap', Name: '15.5' },
  ],
  [
    'openSUSE Tumbleweed',
    { 'etc/os-release': osRelease('opensuse-tumbleweed', '20240101', 'openSUSE Tumbleweed') },
    { Family: 'opensuse-tumbleweed', Name: '20240101' },
  ],
  [
    'Photon',
    { 'etc/os-release': osRelease('photon', '5.0', 'VMware Photon OS') },
    { Family: 'photon', Name: '5.0' },
  ],
  [
    'Wolfi',
    { 'etc/os-release': osRelease('wolfi', '20230201', 'Wolfi') },
    { Family: 'wolfi', Name: '20230201' },
  ],
  [
    'Chainguard',
    { 'etc/os-release': osRelease('chainguard', '20230214', 'Chainguard') },
    { Family: 'chainguard', Name: '20230214' },
  ],
  [
    'Azure Linux',
    { 'etc/os-release': osRelease('azurelinux', '3.0', 'Microsoft Azure Linux') },
    { Family: 'azurelinux', Name: '3.0' },
  ],
  [
    'CBL-Mariner',
    { 'etc/os-release': osRelease('mariner', '2.0', 'Common Base Linux Mariner') },
    { Family: 'cbl-mariner', Name: '2.0' },
  ],
  [
    'Debian by debian_version only (os-release ID=debian is not mapped, as in Trivy)',
    { 'usr/lib/os-release': osRelease('debian', '12', 'Debian GNU/Linux'), 'etc/debian_version': '12.5\n' },
    { Family: 'debian', Name: '12.5' },
  ],
  ['an os-release without VERSION_ID', { 'etc/os-release': 'ID=alpine\n' }, undefined],
  ['an unknown ID', { 'etc/os-release': osRelease('plan9', '4') }, undefined],
];

describe('OS detection from release files', () => {
  for (const [name, files, expected] of CASES) {
    it(name, async () => {
      assert.deepEqual(await detect(files), expected);
    });
  }

  it('merges across layers: a later Ubuntu replaces an earlier debian, an earlier alpine is kept', () => {
    const detail = applyLayers([
      { SchemaVersion: 2, OS: { Family: 'debian', Name: 'bookworm/sid' } },
      { SchemaVersion: 2, OS: { Family: 'ubuntu', Name: '24.04' } },
    ]);
    assert.deepEqual(detail.OS, { Family: 'ubuntu', Name: '24.04' });
    const kept = applyLayers([
      { SchemaVersion: 2, OS: { Family: 'alpine', Name: '3.18.0' } },
      { SchemaVersion: 2, OS: { Family: 'wolfi', Name: '20230201' } },
    ]);
    assert.deepEqual(kept.OS, { Family: 'alpine', Name: '3.18.0' });
  });

  it('reads the Alpine release from etc/apk/repositories (highest wins, edge beats all)', async () => {
    const layerWith = async (repositories: string) => {
      const p = pack();
      p.entry({ name: 'etc/apk/repositories', mode: 0o644 }, repositories);
      p.finalize();
      return (await analyzeLayer(p as unknown as Readable, {}, { analyzers: createImageAnalyzers() })).blob;
    };
    const blob = await layerWith(
      'https://dl-cdn.alpinelinux.org/alpine/v3.9/main\nhttps://dl-cdn.alpinelinux.org/alpine/v3.10/community\n',
    );
    assert.deepEqual(blob.Repository, { Family: 'alpine', Release: '3.10' });
    assert.equal(blob.OS, undefined);
    const edge = await layerWith(
      'http://mirror.example/alpine/v3.19/main\nhttp://mirror.example/alpine/edge/testing\n',
    );
    assert.deepEqual(edge.Repository, { Family: 'alpine', Release: 'edge' });
    const mixed = await layerWith('http://a.example/alpine/v3.19/main\nhttp://a.example/other/v1/main\n');
    assert.equal(mixed.Repository, undefined);
    assert.deepEqual(applyLayers([blob]).Repository, { Family: 'alpine', Release: '3.10' });
  });

  it('detects a distroless Debian image: packages from status.d stanza files', async () => {
    const p = pack();
    p.entry({ name: 'etc/debian_version', mode: 0o644 }, '12.5\n');
    p.entry({ name: 'usr/lib/os-release', mode: 0o644 }, osRelease('debian', '12', 'Debian GNU/Linux'));
    p.entry(
      { name: 'var/lib/dpkg/status.d/libc6', mode: 0o644 },
      'Package: libc6\nVersion: 2.36-9+deb12u4\nArchitecture: amd64\nSource: glibc\n',
    );
    p.entry(
      { name: 'var/lib/dpkg/status.d/libc6.md5sums', mode: 0o644 },
      'aa  lib/x86_64-linux-gnu/libc.so.6\n',
    );
    p.finalize();
    const { blob } = await analyzeLayer(p as unknown as Readable, {}, { analyzers: createImageAnalyzers() });
    const detail = applyLayers([blob]);
    assert.deepEqual(detail.OS, { Family: 'debian', Name: '12.5' });
    assert.deepEqual(
      detail.Packages.map((pkg) => [pkg.ID, pkg.SrcName, pkg.InstalledFiles]),
      [['libc6@2.36-9+deb12u4', 'glibc', ['/lib/x86_64-linux-gnu/libc.so.6']]],
    );
  });
});
