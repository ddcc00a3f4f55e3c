/**
 * apk (trivy:pkg/fanal/analyzer/pkg/apk, v3): lib/apk/db/installed or usr/lib/apk/db/installed, records
 * separated by blank lines. P: name, V: version (whole, no epoch/release split; an invalid one is ignored),
 * o: origin → source name (source version = the V: seen so far), A: arch, L: licenses, F:/R: installed files,
 * D:/p: dependencies and provides, C: checksum (`Q1`+base64 = SHA-1, else MD5), m: maintainer.
 * Later records with an already-seen name are dropped.
 */
import { parseApk } from '../../version/apk.js';
import type { FileAnalyzer } from '../analyzer.js';
import { scanLines } from '../text.js';
import type { Package } from '../types.js';

const FILES = new Set(['lib/apk/db/installed', 'usr/lib/apk/db/installed']);

function validVersion(version: string): boolean {
  try {
    parseApk(version);
    return true;
  } catch {
    return false;
  }
}

function trimRequirement(name: string): string {
  const at = name.search(/[<>=]/);
  return at >= 0 ? name.slice(0, at) : name;
}

function decodeChecksum(value: string): string | undefined {
  let algorithm = 'md5';
  let data = value;
  if (data.startsWith('Q1')) {
    algorithm = 'sha1';
    data = data.slice(2);
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 !== 0) return undefined;
  return `${algorithm}:${Buffer.from(data, 'base64').toString('hex')}`;
}

/** Licenses split as Trivy's LaxSplitLicenses: on spaces and commas, with AND/OR/WITH kept apart. */
function splitLicenses(value: string): string[] {
  return value.split(/[\s,]+/).filter((token) => token !== '' && !['AND', 'OR', 'and', 'or'].includes(token));
}

export function parseApkInstalled(text: string): { packages: Package[]; installedFiles: string[] } {
  const packages: Package[] = [];
  const installedFiles: string[] = [];
  const provides = new Map<string, string>();
  let pkg: Package = { Name: '', Version: '' };
  let version = '';
  let dir = '';
  const flush = () => {
    if (pkg.Name !== '' && pkg.Version !== '') packages.push(pkg);
    pkg = { Name: '', Version: '' };
  };
  for (const line of scanLines(text)) {
    if (line.length < 2) {
      flush();
      continue;
    }
    const value = line.slice(2);
    switch (line.slice(0, 2)) {
      case 'P:':
        pkg.Name = value;
        break;
      case 'V:':
        version = value;
        if (!validVersion(version)) continue;
        pkg.Version = version;
        break;
      case 'o:':
        pkg.SrcName = value;
        pkg.SrcVersion = version;
        break;
      case 'L:':
        pkg.Licenses = splitLicenses(value);
        break;
      case 'F:':
        dir = value;
        break;
      case 'R:': {
        const file = dir === '' ? value : `${dir}/${value}`;
        const files = pkg.InstalledFiles ?? [];
        files.push(file);
        pkg.InstalledFiles = files;
        installedFiles.push(file);
        break;
      }
      case 'p:':
        for (const provided of value.split(/\s+/).filter((p) => p !== '')) {
          provides.set(trimRequirement(provided), pkg.ID ?? '');
        }
        break;
      case 'D:':
        pkg.DependsOn = value
          .split(/\s+/)
          .filter((d) => d !== '' && !d.startsWith('!'))
          .map(trimRequirement);
        break;
      case 'A:':
        pkg.Arch = value;
        break;
      case 'C:': {
        const digest = decodeChecksum(value);
        if (digest) pkg.Digest = digest;
        break;
      }
      case 'm:':
        pkg.Maintainer = value;
        break;
    }
    if (pkg.Name !== '' && pkg.Version !== '') {
      pkg.ID = `${pkg.Name}@${pkg.Version}`;
      provides.set(pkg.Name, pkg.ID);
    }
  }
  flush();

  const seen = new Set<string>();
  const unique = packages.filter((p) => {
    if (seen.has(p.Name)) return false;
    seen.add(p.Name);
    return true;
  });
  for (const p of unique) {
    const deps = [
      ...new Set((p.DependsOn ?? []).flatMap((d) => (provides.get(d) ? [provides.get(d) as string] : []))),
    ];
    deps.sort();
    if (deps.length > 0) p.DependsOn = deps;
    else delete p.DependsOn;
  }
  return { packages: unique, installedFiles };
}

export function createApkAnalyzer(): FileAnalyzer {
  return {
    kind: 'file',
    type: 'apk',
    version: 3,
    required: (file) => FILES.has(file.path),
    analyze(file, content) {
      const { packages, installedFiles } = parseApkInstalled(content.toString('utf8'));
      return {
        packageInfos: [{ FilePath: file.path, Packages: packages }],
        systemInstalledFiles: installedFiles,
      };
    },
  };
}
