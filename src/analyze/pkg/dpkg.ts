/**
 * dpkg (trivy:pkg/fanal/analyzer/pkg/dpkg, post-analyser v6): var/lib/dpkg/status and every stanza file in
 * var/lib/dpkg/status.d/ (distroless images), with installed files from the `*.md5sums` lists in
 * var/lib/dpkg/info/ and status.d/, and SHA256 digests from var/lib/dpkg/available.
 *
 * A stanza is skipped when its Status words include `deinstall` or `purge`, or when its version does not
 * parse. `Source: name (version)` gives the source package; both default to the binary's. Versions are split
 * into epoch, upstream version and revision; ID keeps the raw Version field (`name@1:2.3-4`). Packages whose
 * maintainer matches Trivy's third-party list are classed `third-party` and keep no installed files.
 */
import { parseDpkg } from '../../version/dpkg.js';
import type { PostAnalyzer } from '../analyzer.js';
import { headerValue, parseMimeHeader } from '../text.js';
import type { Package, PackageInfo } from '../types.js';

const STATUS_FILE = 'var/lib/dpkg/status';
const STATUS_DIR = 'var/lib/dpkg/status.d/';
const INFO_DIR = 'var/lib/dpkg/info/';
const AVAILABLE_FILE = 'var/lib/dpkg/available';
const MD5SUMS = '.md5sums';

const THIRD_PARTY_PATTERNS = [
  'support@docker.com',
  '@nvidia.com',
  'Google Cloud CLI Authors',
  'sapmachine@sap.com',
  '@hashicorp.com',
  '@microsoft.com',
  '@mongodb.com',
  'developers@lists.mariadb.org',
  'dev@couchdb.apache.org',
  'info@elastic.co',
  'nginx-packaging@f5.com',
  '@konghq.com',
  '@cloudflare.com',
  'support@influxdb.com',
  'support@gitlab.com',
  'contact@grafana.com',
  '@datadoghq.com',
  '@nodesource.com',
  'info@tailscale.com',
  '@openrobotics.org',
  '@osrfoundation.org',
];
const THIRD_PARTY_EXACT = ['GitHub', 'HashiCorp'];

const SOURCE = /^(\S*)( \((.*)\))?/;

function splitDir(path: string): { dir: string; base: string } {
  const slash = path.lastIndexOf('/');
  return { dir: path.slice(0, slash + 1), base: path.slice(slash + 1) };
}

function isMd5sums(path: string): boolean {
  const { dir, base } = splitDir(path);
  return (dir === INFO_DIR || dir === STATUS_DIR) && base.endsWith(MD5SUMS);
}

export function isThirdPartyMaintainer(maintainer: string): boolean {
  return THIRD_PARTY_EXACT.includes(maintainer) || THIRD_PARTY_PATTERNS.some((p) => maintainer.includes(p));
}

/** Stanzas split on blank lines as Trivy's scanner does (`\n\n`), each read as an RFC 822 header. */
export function* dpkgStanzas(text: string): Generator<Map<string, string[]>> {
  for (const block of text.split('\n\n')) {
    if (block.trim() === '') continue;
    yield parseMimeHeader(block);
  }
}

function installed(status: string): boolean {
  return !status.split(/\s+/).some((word) => word === 'deinstall' || word === 'purge');
}

function splitVersion(version: string): { epoch: number; version: string; release: string } | undefined {
  try {
    const parsed = parseDpkg(version);
    return { epoch: parsed.epoch, version: parsed.upstream, release: parsed.revision };
  } catch {
    return undefined;
  }
}

function parseDepends(depends: string): string[] {
  const names: string[] = [];
  for (const group of depends.split(',')) {
    for (const alternative of group.split('|')) {
      const name = (alternative.split('(')[0] ?? '').trim();
      if (!names.includes(name)) names.push(name);
    }
  }
  return names;
}

export function parseDpkgPackage(
  headers: Map<string, string[]>,
  digests: Map<string, string>,
): Package | undefined {
  if (!installed(headerValue(headers, 'Status'))) return undefined;
  const name = headerValue(headers, 'Package');
  const rawVersion = headerValue(headers, 'Version');
  if (name === '' || rawVersion === '') return undefined;
  let srcName = '';
  let srcVersion = '';
  const source = headerValue(headers, 'Source');
  if (source !== '') {
    const match = SOURCE.exec(source);
    srcName = (match?.[1] ?? '').trim();
    srcVersion = (match?.[3] ?? '').trim();
  }
  if (srcName === '') srcName = name;
  if (srcVersion === '') srcVersion = rawVersion;
  const version = splitVersion(rawVersion);
  const src = splitVersion(srcVersion);
  if (!version || !src) return undefined;
  const id = `${name}@${rawVersion}`;
  const pkg: Package = {
    ID: id,
    Name: name,
    Version: version.version,
    ...(version.release ? { Release: version.release } : {}),
    ...(version.epoch ? { Epoch: version.epoch } : {}),
    ...(headerValue(headers, 'Architecture') ? { Arch: headerValue(headers, 'Architecture') } : {}),
    SrcName: srcName,
    SrcVersion: src.version,
    ...(src.release ? { SrcRelease: src.release } : {}),
    ...(src.epoch ? { SrcEpoch: src.epoch } : {}),
    ...(headerValue(headers, 'Maintainer') ? { Maintainer: headerValue(headers, 'Maintainer') } : {}),
    DependsOn: parseDepends(headerValue(headers, 'Depends')),
  };
  const digest = digests.get(id);
  if (digest) pkg.Digest = digest;
  return pkg;
}

/** Parses one status file into its PackageInfo (later stanzas with the same ID win, as Trivy's map does). */
export function parseDpkgStatus(
  path: string,
  text: string,
  digests: Map<string, string> = new Map(),
): PackageInfo {
  const byId = new Map<string, Package>();
  const idByName = new Map<string, string>();
  for (const headers of dpkgStanzas(text)) {
    const pkg = parseDpkgPackage(headers, digests);
    if (!pkg?.ID) continue;
    byId.set(pkg.ID, pkg);
    idByName.set(pkg.Name, pkg.ID);
  }
  const packages = [...byId.values()];
  for (const pkg of packages) {
    const deps = (pkg.DependsOn ?? []).flatMap((name) => {
      const id = idByName.get(name);
      return id ? [id] : [];
    });
    deps.sort();
    if (deps.length > 0) pkg.DependsOn = deps;
    else delete pkg.DependsOn;
  }
  return { FilePath: path, Packages: packages };
}

function parseAvailable(text: string): Map<string, string> {
  const digests = new Map<string, string>();
  for (const headers of dpkgStanzas(text)) {
    const name = headerValue(headers, 'Package');
    const version = headerValue(headers, 'Version');
    const sha256 = headerValue(headers, 'SHA256');
    if (name !== '' && version !== '' && sha256 !== '') digests.set(`${name}@${version}`, `sha256:${sha256}`);
  }
  return digests;
}

function parseMd5sums(text: string): string[] {
  const files: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const sep = line.indexOf('  ');
    if (sep < 0) throw new Error(`invalid md5sums line: ${line}`);
    files.push(`/${line.slice(sep + 2)}`);
  }
  return files.sort();
}

export function createDpkgAnalyzer(): PostAnalyzer {
  return {
    kind: 'post',
    type: 'dpkg',
    version: 6,
    required(file) {
      const { dir } = splitDir(file.path);
      return (
        isMd5sums(file.path) ||
        file.path === STATUS_FILE ||
        file.path === AVAILABLE_FILE ||
        dir === STATUS_DIR
      );
    },
    analyze(files) {
      const available = files.get(AVAILABLE_FILE);
      const digests = available ? parseAvailable(available.toString('utf8')) : new Map<string, string>();
      const installedFiles = new Map<string, string[]>();
      const packageInfos: PackageInfo[] = [];
      for (const [path, content] of files) {
        if (path === AVAILABLE_FILE) continue;
        if (isMd5sums(path)) {
          try {
            installedFiles.set(
              splitDir(path).base.slice(0, -MD5SUMS.length),
              parseMd5sums(content.toString('utf8')),
            );
          } catch {
            // Trivy fails the whole dpkg walk on a malformed md5sums line; keep the status, lose the list.
          }
          continue;
        }
        packageInfos.push(parseDpkgStatus(path, content.toString('utf8'), digests));
      }
      const systemInstalledFiles: string[] = [];
      for (const info of packageInfos) {
        for (const pkg of info.Packages) {
          if (isThirdPartyMaintainer(pkg.Maintainer ?? '')) {
            pkg.Repository = { Class: 'third-party' };
            continue;
          }
          pkg.Repository = { Class: 'official' };
          const owned = installedFiles.get(pkg.Name) ?? installedFiles.get(`${pkg.Name}:${pkg.Arch ?? ''}`);
          if (owned) {
            pkg.InstalledFiles = owned;
            systemInstalledFiles.push(...owned);
          }
        }
      }
      return { packageInfos, systemInstalledFiles };
    },
  };
}
