import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildLayer } from '../../../../test/env/image-builder.js';
import { applyLayers } from '../../apply.js';
import { analyzeLayerFile, testData } from '../../testkit.js';
import { readRpmDatabase, rpmPackages, splitSourceRpm } from './analyzer.js';
import { readBdbHeaderBlobs } from './bdb.js';
import { parseHeaderBlob } from './header.js';
import { readNdbHeaderBlobs } from './ndb.js';

interface RpmRow {
  name: string;
  epoch: number;
  version: string;
  release: string;
  arch: string;
  sourceRpm: string;
  vendor: string;
  license: string;
}

/** `rpm -qa` as the build script recorded it: rpm's own reading of the database. */
async function rpmQueryAll(dir: string): Promise<RpmRow[]> {
  const text = await readFile(join(dir, 'packages.tsv'), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [
        name = '',
        epoch = '',
        version = '',
        release = '',
        arch = '',
        sourceRpm = '',
        vendor = '',
        license = '',
      ] = line.split('\t');
      return { name, epoch: Number(epoch), version, release, arch, sourceRpm, vendor, license };
    });
}

async function rpmFiles(dir: string): Promise<Map<string, string[]>> {
  const files = new Map<string, string[]>();
  for (const line of (await readFile(join(dir, 'files.tsv'), 'utf8')).trim().split('\n')) {
    const [name = '', file = ''] = line.split('\t');
    files.set(name, [...(files.get(name) ?? []), file]);
  }
  return files;
}

const BACKENDS = [
  ['sqlite', 'sqlite/rpmdb.sqlite'],
  ['ndb', 'ndb/Packages.db'],
  ['Berkeley DB hash', 'bdb/Packages'],
] as const;

describe('rpm databases written by rpm from real .rpm packages', () => {
  for (const [backend, file] of BACKENDS) {
    it(`reads the ${backend} backend as rpm -qa does`, async () => {
      const dir = await testData('build-rpmdb-testdata.sh');
      const expected = await rpmQueryAll(dir);
      const files = await rpmFiles(dir);
      const { packages, installedFiles } = rpmPackages(readRpmDatabase(await readFile(join(dir, file))));
      assert.equal(packages.length, expected.length);
      for (const row of expected) {
        const pkg = packages.find((p) => p.Name === row.name);
        assert.ok(pkg, `${row.name} is listed`);
        const source = /^(.*)-([^-]+)-([^-]+)\.src\.rpm$/.exec(row.sourceRpm);
        const official = row.vendor.startsWith('Red Hat');
        assert.deepEqual(
          {
            ID: pkg.ID,
            Version: pkg.Version,
            Release: pkg.Release,
            Epoch: pkg.Epoch ?? 0,
            Arch: pkg.Arch,
            SrcName: pkg.SrcName,
            SrcVersion: pkg.SrcVersion,
            SrcRelease: pkg.SrcRelease,
            SrcEpoch: pkg.SrcEpoch ?? 0,
            Licenses: pkg.Licenses,
            Maintainer: pkg.Maintainer,
            Class: pkg.Repository?.Class,
            InstalledFiles: pkg.InstalledFiles,
          },
          {
            ID: `${row.name}@${row.version}-${row.release}.${row.arch}`,
            Version: row.version,
            Release: row.release,
            Epoch: row.epoch,
            Arch: row.arch,
            SrcName: source?.[1],
            SrcVersion: source?.[2],
            SrcRelease: source?.[3],
            SrcEpoch: row.epoch,
            Licenses: [row.license],
            Maintainer: row.vendor,
            Class: official ? 'official' : 'third-party',
            // Only packages from an OS vendor keep their files (Trivy's sysfile filter input).
            InstalledFiles: official ? files.get(row.name) : undefined,
          },
        );
        assert.match(pkg.Digest ?? '', /^md5:[0-9a-f]{32}$/);
      }
      assert.deepEqual(installedFiles.sort(), (files.get('vigil-hello') ?? []).sort());
    });
  }

  it('splits source RPM file names at the arch dot and the last two hyphens', () => {
    assert.deepEqual(splitSourceRpm('glibc-2.34-60.el9.src.rpm'), {
      name: 'glibc',
      version: '2.34',
      release: '60.el9',
    });
    assert.deepEqual(splitSourceRpm('python3-foo-bar-1.0-1.fc39.src.rpm'), {
      name: 'python3-foo-bar',
      version: '1.0',
      release: '1.fc39',
    });
    assert.equal(splitSourceRpm('nodots'), undefined);
    assert.equal(splitSourceRpm('noversion.src.rpm'), undefined);
  });
});

describe('damaged rpm data is reported, never followed', () => {
  it('rejects header blobs whose counts or offsets leave the blob', () => {
    const blob = Buffer.alloc(8 + 16 + 8);
    blob.writeInt32BE(1, 0);
    blob.writeInt32BE(8, 4);
    blob.writeInt32BE(1000, 8); // NAME
    blob.writeUInt32BE(6, 12); // STRING
    blob.writeInt32BE(4, 16); // offset 4: the string would run off the end without a NUL
    blob.writeUInt32BE(1, 20);
    blob.write('abcd', 28, 'latin1');
    assert.throws(() => parseHeaderBlob(blob), /overruns/);
    const huge = Buffer.alloc(8);
    huge.writeInt32BE(0x7fffffff, 0);
    assert.throws(() => parseHeaderBlob(huge), /out of range/);
  });

  it('stops at an NDB slot that points past the end of the file', async () => {
    const dir = await testData('build-rpmdb-testdata.sh');
    const ndb = Buffer.from(await readFile(join(dir, 'ndb/Packages.db')));
    ndb.writeUInt32LE(0xffffff, 32 + 8); // first slot's block offset
    assert.throws(() => readNdbHeaderBlobs(ndb), /past the end/);
  });

  it('stops at a Berkeley DB overflow chain that loops', async () => {
    const dir = await testData('build-rpmdb-testdata.sh');
    const bdb = Buffer.from(await readFile(join(dir, 'bdb/Packages')));
    const pageSize = bdb.readUInt32LE(20);
    // Point the first overflow page of the first chain back at itself.
    for (let page = 1; page * pageSize < bdb.length; page++) {
      if (bdb[page * pageSize + 25] === 7 && bdb.readUInt32LE(page * pageSize + 16) !== 0) {
        bdb.writeUInt32LE(page, page * pageSize + 16);
        break;
      }
    }
    assert.throws(() => readBdbHeaderBlobs(bdb), /loops/);
  });
});

describe('an RPM-based image layer', () => {
  it('detects RHEL, lists the rpmdb packages and drops the python package the OS vendor owns', async () => {
    const dir = await testData('build-rpmdb-testdata.sh');
    const layer = await buildLayer({
      files: [
        { path: '/etc/redhat-release', content: 'Red Hat Enterprise Linux release 9.4 (Plow)\n' },
        {
          path: '/etc/os-release',
          content: 'NAME="Red Hat Enterprise Linux"\nID="rhel"\nVERSION_ID="9.4"\n',
        },
        { path: '/var/lib/rpm/rpmdb.sqlite', content: await readFile(join(dir, 'sqlite/rpmdb.sqlite')) },
        // Installed by the vigil-hello rpm (vendor Red Hat): not a python-pkg of its own.
        {
          path: '/usr/lib/python3.9/site-packages/vigil_hello-1.0.dist-info/METADATA',
          content: 'Metadata-Version: 2.1\nName: vigil-hello\nVersion: 1.0\n',
        },
        // Not owned by any rpm: reported.
        {
          path: '/usr/local/lib/python3.9/site-packages/free-2.0.dist-info/METADATA',
          content: 'Metadata-Version: 2.1\nName: free\nVersion: 2.0\nLicense-Expression: MIT OR Apache-2.0\n',
        },
      ],
    });
    try {
      const { blob } = await analyzeLayerFile(layer.file, { digest: layer.digest, diffId: layer.diffId });
      const detail = applyLayers([blob]);
      assert.deepEqual(detail.OS, { Family: 'redhat', Name: '9.4' });
      const expected = await rpmQueryAll(dir);
      assert.deepEqual(
        detail.Packages.map((p) => p.ID).sort(),
        expected.map((r) => `${r.name}@${r.version}-${r.release}.${r.arch}`).sort(),
      );
      assert.deepEqual(
        detail.Applications.map((a) => [a.Type, a.Packages.map((p) => [p.Name, p.Licenses])]),
        [['python-pkg', [['free', ['MIT', 'Apache-2.0']]]]],
      );
    } finally {
      await rm(layer.file, { force: true });
    }
  });
});
