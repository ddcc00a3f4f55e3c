/**
 * rpm (trivy:pkg/fanal/analyzer/pkg/rpm, v3): the package database under var/lib/rpm/, usr/lib/sysimage/rpm/
 * or usr/share/rpm/, in whichever backend the file turns out to be (sqlite, then NDB, then Berkeley DB hash).
 *
 * Package fields as Trivy sets them: ID `name@version-release.arch` (the raw arch, so gpg-pubkey's ends in a
 * dot), Arch `None` when absent, source name/version/release split from SOURCERPM (last `.` before the arch,
 * then the last two `-`), SrcEpoch copied from the binary's epoch, licence and vendor (as Maintainer) when
 * set, SIGMD5 as the digest. Packages from a vendor outside Trivy's OS-vendor list are `third-party` and keep
 * no installed files; an empty vendor counts as official only for Amazon (`amzn` in the release).
 * gpg-pubkey is reported, as Trivy's analyser does; detection skips it.
 */
import type { FileAnalyzer } from '../../analyzer.js';
import type { Package } from '../../types.js';
import { isBdbHashDatabase, readBdbHeaderBlobs } from './bdb.js';
import { isNdbDatabase, readNdbHeaderBlobs } from './ndb.js';
import { type RpmPackageInfo, rpmPackageFromHeader } from './package.js';
import { isSqliteDatabase, readSqliteHeaderBlobs } from './sqlite.js';

const FILES = new Set([
  'usr/lib/sysimage/rpm/Packages',
  'var/lib/rpm/Packages',
  'usr/lib/sysimage/rpm/Packages.db',
  'var/lib/rpm/Packages.db',
  'usr/lib/sysimage/rpm/rpmdb.sqlite',
  'var/lib/rpm/rpmdb.sqlite',
  'usr/share/rpm/rpmdb.sqlite',
]);

const OS_VENDORS = [
  'Amazon Linux',
  'Amazon.com',
  'CentOS',
  'Fedora Project',
  'Oracle America',
  'Red Hat',
  'AlmaLinux',
  'CloudLinux',
  'VMware',
  'SUSE',
  'openSUSE',
  'Microsoft Corporation',
  'Rocky',
];

/** The header blobs of an rpm database file, whatever its backend. */
export function readRpmDatabase(content: Buffer): Buffer[] {
  if (isSqliteDatabase(content)) return readSqliteHeaderBlobs(content);
  if (isNdbDatabase(content)) return readNdbHeaderBlobs(content);
  if (isBdbHashDatabase(content)) return readBdbHeaderBlobs(content);
  throw new Error('not an rpm database (neither sqlite, ndb nor Berkeley DB hash)');
}

/** `name-version-release.arch.rpm` → name, version, release; undefined when the shape is wrong. */
export function splitSourceRpm(
  fileName: string,
): { name: string; version: string; release: string } | undefined {
  const base = fileName.endsWith('.rpm') ? fileName.slice(0, -4) : fileName;
  const archAt = base.lastIndexOf('.');
  if (archAt < 0) return undefined;
  const relAt = base.lastIndexOf('-', archAt - 1);
  if (relAt < 0) return undefined;
  const verAt = base.lastIndexOf('-', relAt - 1);
  if (verAt < 0) return undefined;
  return {
    name: base.slice(0, verAt),
    version: base.slice(verAt + 1, relAt),
    release: base.slice(relAt + 1, archAt),
  };
}

function providedByOSVendor(info: RpmPackageInfo): boolean {
  if (info.vendor === '') return info.release.includes('amzn');
  return OS_VENDORS.some((vendor) => info.vendor.startsWith(vendor));
}

export function rpmPackages(blobs: Buffer[]): { packages: Package[]; installedFiles: string[] } {
  const packages: Package[] = [];
  const requires: string[][] = [];
  const installedFiles: string[] = [];
  const provides = new Map<string, string>();
  for (const blob of blobs) {
    const info = rpmPackageFromHeader(blob);
    const source = info.sourceRpm === '' ? undefined : splitSourceRpm(info.sourceRpm);
    const official = providedByOSVendor(info);
    const epoch = info.epoch ?? 0;
    const pkg: Package = {
      ID: `${info.name}@${info.version}-${info.release}.${info.arch}`,
      Name: info.name,
      Version: info.version,
      Release: info.release,
      ...(epoch ? { Epoch: epoch } : {}),
      Arch: info.arch === '' ? 'None' : info.arch,
      ...(source ? { SrcName: source.name, SrcVersion: source.version, SrcRelease: source.release } : {}),
      ...(epoch ? { SrcEpoch: epoch } : {}),
      ...(info.license ? { Licenses: [info.license] } : {}),
      ...(info.modularityLabel ? { Modularitylabel: info.modularityLabel } : {}),
      ...(info.vendor ? { Maintainer: info.vendor } : {}),
      Repository: { Class: official ? 'official' : 'third-party' },
      ...(info.sigMd5 ? { Digest: `md5:${info.sigMd5}` } : {}),
      ...(official && info.installedFiles.length > 0 ? { InstalledFiles: info.installedFiles } : {}),
    };
    if (official) installedFiles.push(...info.installedFiles);
    packages.push(pkg);
    requires.push(info.requires);
    for (const provide of info.provides) provides.set(provide, pkg.ID as string);
  }
  packages.forEach((pkg, i) => {
    const deps = [
      ...new Set(
        (requires[i] ?? []).flatMap((name) => {
          const id = provides.get(name);
          return id && id !== pkg.ID ? [id] : [];
        }),
      ),
    ].sort();
    if (deps.length > 0) pkg.DependsOn = deps;
  });
  return { packages, installedFiles };
}

export function createRpmAnalyzer(): FileAnalyzer {
  return {
    kind: 'file',
    type: 'rpm',
    version: 3,
    required: (file) => FILES.has(file.path),
    analyze(file, content) {
      const { packages, installedFiles } = rpmPackages(readRpmDatabase(content));
      return {
        packageInfos: [{ FilePath: file.path, Packages: packages }],
        systemInstalledFiles: installedFiles,
      };
    },
  };
}
