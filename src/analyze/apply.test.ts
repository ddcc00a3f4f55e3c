import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyLayers, checkArtifactDetail, formatVersion } from './apply.js';
import { filterSystemFiles } from './sysfile.js';
import type { BlobInfo, Package } from './types.js';

const deb = (name: string, version: string, release = '1'): Package => ({
  ID: `${name}@${version}-${release}`,
  Name: name,
  Version: version,
  Release: release,
});

const layer = (n: number, blob: Omit<BlobInfo, 'SchemaVersion' | 'Digest' | 'DiffID'>): BlobInfo => ({
  SchemaVersion: 2,
  Digest: `sha256:c${n}`,
  DiffID: `sha256:d${n}`,
  ...blob,
});

describe('applyLayers (Trivy ApplyLayers semantics)', () => {
  it('lets a later status file replace the earlier one and attributes packages to their first layer', () => {
    const detail = applyLayers([
      layer(0, {
        OS: { Family: 'debian', Name: '12.5' },
        PackageInfos: [{ FilePath: 'var/lib/dpkg/status', Packages: [deb('a', '1.0'), deb('b', '1.0')] }],
      }),
      layer(1, {
        PackageInfos: [
          { FilePath: 'var/lib/dpkg/status', Packages: [deb('a', '1.0'), deb('b', '2.0'), deb('c', '1.0')] },
        ],
      }),
    ]);
    assert.deepEqual(
      detail.Packages.map((p) => [p.ID, p.Layer?.DiffID]),
      [
        ['a@1.0-1', 'sha256:d0'],
        ['b@2.0-1', 'sha256:d1'],
        ['c@1.0-1', 'sha256:d1'],
      ],
    );
    assert.equal(checkArtifactDetail(detail), undefined);
  });

  it('deletes what whiteouts and opaque directories hide from lower layers, but not the layer itself', () => {
    const detail = applyLayers([
      layer(0, {
        OS: { Family: 'alpine', Name: '3.19.0' },
        PackageInfos: [{ FilePath: 'lib/apk/db/installed', Packages: [deb('musl', '1.2.4')] }],
        Applications: [
          {
            Type: 'node-pkg',
            FilePath: 'app/node_modules/x/package.json',
            Packages: [{ Name: 'x', Version: '1.0.0' }],
          },
          {
            Type: 'node-pkg',
            FilePath: 'app/node_modules/y/package.json',
            Packages: [{ Name: 'y', Version: '1.0.0' }],
          },
          { Type: 'jar', FilePath: 'opt/lib/a.jar', Packages: [{ Name: 'g:a', Version: '1' }] },
        ],
      }),
      layer(1, {
        WhiteoutFiles: ['app/node_modules/x'],
        OpaqueDirs: ['opt/'],
        Applications: [{ Type: 'jar', FilePath: 'opt/lib/b.jar', Packages: [{ Name: 'g:b', Version: '2' }] }],
      }),
      layer(2, { WhiteoutFiles: ['lib/apk/db/installed'] }),
    ]);
    assert.deepEqual(
      detail.Applications.map((a) => [a.Type, a.FilePath, a.Packages.map((p) => [p.Name, p.Layer?.DiffID])]),
      [
        ['jar', undefined, [['g:b', 'sha256:d1']]],
        ['node-pkg', undefined, [['y', 'sha256:d0']]],
      ],
    );
    assert.deepEqual(detail.Packages, []);
    assert.equal(checkArtifactDetail(detail)?.code, 'ANALYZE_NO_PACKAGES');
  });

  it('keeps non-aggregated applications apart and de-duplicates OS packages by ID and path', () => {
    const detail = applyLayers([
      layer(0, {
        OS: { Family: 'debian', Name: '12' },
        PackageInfos: [
          { FilePath: 'var/lib/dpkg/status', Packages: [deb('libc6', '2.36')] },
          { FilePath: 'var/lib/dpkg/status.d/libc6', Packages: [deb('libc6', '2.36')] },
        ],
        Applications: [
          {
            Type: 'gobinary',
            FilePath: 'usr/bin/a',
            Packages: [{ ID: 'stdlib@v1.22.0', Name: 'stdlib', Version: 'v1.22.0' }],
          },
          {
            Type: 'gobinary',
            FilePath: 'usr/bin/b',
            Packages: [{ ID: 'stdlib@v1.21.0', Name: 'stdlib', Version: 'v1.21.0' }],
          },
        ],
      }),
    ]);
    assert.deepEqual(
      detail.Packages.map((p) => p.ID),
      ['libc6@2.36-1'],
    );
    assert.deepEqual(
      detail.Applications.map((a) => a.FilePath),
      ['usr/bin/a', 'usr/bin/b'],
    );
  });

  it('says unknown OS when no layer had one, and still returns the language packages', () => {
    const detail = applyLayers([
      layer(0, {
        Applications: [
          { Type: 'python-pkg', FilePath: 'x/METADATA', Packages: [{ Name: 'six', Version: '1.16.0' }] },
        ],
      }),
    ]);
    assert.equal(checkArtifactDetail(detail)?.code, 'ANALYZE_UNKNOWN_OS');
    assert.equal(detail.Applications[0]?.Packages[0]?.Name, 'six');
  });

  it('formats versions as Trivy does for de-duplication keys', () => {
    assert.equal(formatVersion({ Name: 'x', Version: '1.0', Release: '2', Epoch: 3 }), '3:1.0-2');
    assert.equal(formatVersion({ Name: 'x', Version: '1.0' }), '1.0');
  });
});

describe('system-file filter', () => {
  it('drops language packages whose files the OS package manager owns in the same layer', () => {
    const blob: BlobInfo = {
      SchemaVersion: 2,
      Applications: [
        {
          Type: 'python-pkg',
          FilePath: 'usr/lib/python3/dist-packages/a.egg-info',
          Packages: [{ Name: 'a', Version: '1', FilePath: 'usr/lib/python3/dist-packages/a.egg-info' }],
        },
        {
          Type: 'python-pkg',
          FilePath: 'usr/lib/python2.7/argparse.egg-info',
          Packages: [{ Name: 'argparse', Version: '1' }],
        },
        {
          Type: 'jar',
          FilePath: 'opt/app.jar',
          Packages: [
            { Name: 'g:owned', Version: '1', FilePath: 'opt/app.jar/lib/x.jar' },
            { Name: 'g:free', Version: '1', FilePath: 'opt/app.jar' },
          ],
        },
      ],
    };
    filterSystemFiles(blob, ['/usr/lib/python3/dist-packages/a.egg-info', 'opt/app.jar/lib/x.jar']);
    assert.deepEqual(
      blob.Applications?.map((a) => [a.FilePath, a.Packages.map((p) => p.Name)]),
      [['opt/app.jar', ['g:free']]],
    );
  });
});
