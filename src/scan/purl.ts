/**
 * Package URLs as Trivy writes them into PkgIdentifier.PURL (trivy:pkg/purl New, packageurl-go v0.1.6
 * ToString): type by Trivy's target type, namespace and name rules per ecosystem, the version as
 * `[epoch:]version[-release]` with the epoch moved to a qualifier, qualifiers sorted by key, and
 * packageurl-go's percent-encoding (`+` and `@` encoded in path segments, `:` kept).
 */
import type { OS, Package } from '../detect/index.js';

interface Qualifier {
  key: string;
  value: string;
}

const PURL_TYPES: Readonly<Record<string, string>> = {
  jar: 'maven',
  pom: 'maven',
  gradle: 'maven',
  sbt: 'maven',
  bundler: 'gem',
  gemspec: 'gem',
  nuget: 'nuget',
  'dotnet-core': 'nuget',
  'packages-props': 'nuget',
  composer: 'composer',
  'composer-vendor': 'composer',
  'conda-pkg': 'conda',
  'conda-environment': 'conda',
  'python-pkg': 'pypi',
  pip: 'pypi',
  pipenv: 'pypi',
  poetry: 'pypi',
  uv: 'pypi',
  pylock: 'pypi',
  gobinary: 'golang',
  gomod: 'golang',
  npm: 'npm',
  'node-pkg': 'npm',
  yarn: 'npm',
  pnpm: 'npm',
  bun: 'npm',
  cocoapods: 'cocoapods',
  swift: 'swift',
  hex: 'hex',
  conan: 'conan',
  pub: 'pub',
  rustbinary: 'cargo',
  cargo: 'cargo',
  alpine: 'apk',
  chainguard: 'apk',
  wolfi: 'apk',
  minimos: 'apk',
  debian: 'deb',
  ubuntu: 'deb',
  echo: 'deb',
  redhat: 'rpm',
  centos: 'rpm',
  rocky: 'rpm',
  alma: 'rpm',
  amazon: 'rpm',
  fedora: 'rpm',
  oracle: 'rpm',
  opensuse: 'rpm',
  'opensuse-leap': 'rpm',
  'opensuse-tumbleweed': 'rpm',
  sles: 'rpm',
  slem: 'rpm',
  photon: 'rpm',
  azurelinux: 'rpm',
  'cbl-mariner': 'rpm',
  coreos: 'rpm',
  bottlerocket: 'bottlerocket',
  julia: 'julia',
};

/** OSType.PurlNamespace: SUSE families share one namespace each. */
function osNamespace(family: string): string {
  if (family === 'sles' || family === 'slem') return 'suse';
  if (family === 'opensuse-tumbleweed' || family === 'opensuse-leap') return 'opensuse';
  return family;
}

function splitLast(name: string): [string, string] {
  const i = name.lastIndexOf('/');
  return i === -1 ? ['', name] : [name.slice(0, i), name.slice(i + 1)];
}

/** Trivy's utils.FormatVersion without the epoch (it becomes a qualifier). */
function versionOf(pkg: Package): string {
  return pkg.Release ? `${pkg.Version}-${pkg.Release}` : pkg.Version;
}

/**
 * The PURL Trivy gives a package of this target type (an OS family for OS packages, a language type
 * otherwise); undefined where Trivy gives none (no name, relative Go module paths).
 */
export function packageUrl(targetType: string, pkg: Package, os?: OS): string | undefined {
  if (pkg.Name === '') return undefined;
  const type = PURL_TYPES[targetType] ?? targetType;
  const qualifiers: Qualifier[] = [];
  if (pkg.Arch) qualifiers.push({ key: 'arch', value: pkg.Arch });
  if (pkg.Epoch) qualifiers.push({ key: 'epoch', value: String(pkg.Epoch) });
  let namespace = '';
  let name = pkg.Name;
  let subpath = '';
  switch (type) {
    case 'rpm':
      if (os) {
        qualifiers.push({ key: 'distro', value: `${os.Family}-${os.Name}` });
        if (pkg.Modularitylabel) qualifiers.push({ key: 'modularitylabel', value: pkg.Modularitylabel });
        namespace = osNamespace(os.Family);
      }
      break;
    case 'deb':
      if (os) {
        qualifiers.push({ key: 'distro', value: `${os.Family}-${os.Name}` });
        namespace = os.Family;
      }
      break;
    case 'bottlerocket':
    case 'coreos':
      qualifiers.push({ key: 'distro', value: `${type}-${os?.Name ?? ''}` });
      break;
    case 'apk':
      name = name.toLowerCase();
      if (os) {
        namespace = os.Family.toLowerCase();
        qualifiers.push({ key: 'distro', value: os.Name });
      }
      break;
    case 'maven':
      [namespace, name] = splitLast(name.replaceAll(':', '/'));
      break;
    case 'pypi':
      name = name.replaceAll('_', '-').toLowerCase();
      break;
    case 'composer':
    case 'swift':
      [namespace, name] = splitLast(name);
      break;
    case 'golang':
      if (name.startsWith('./') || name.startsWith('../')) return undefined;
      [namespace, name] = splitLast(name.toLowerCase());
      break;
    case 'npm':
      [namespace, name] = splitLast(name.toLowerCase());
      break;
    case 'cocoapods': {
      const slash = name.indexOf('/');
      if (slash !== -1) [name, subpath] = [name.slice(0, slash), name.slice(slash + 1)];
      break;
    }
  }
  return formatPurl(type, namespace, name, versionOf(pkg), qualifiers, subpath);
}

// packageurl-go's ToString: it encodes but does not normalise case (Trivy lower-cases where it wants to).
function formatPurl(
  type: string,
  namespace: string,
  name: string,
  version: string,
  qualifiers: Qualifier[],
  subpath: string,
): string {
  let out = `pkg:${type}`;
  for (const segment of namespace.split('/'))
    if (segment !== '') out += `/${percentEncode(segment, PATH_SAFE)}`;
  out += `/${percentEncode(name, PATH_SAFE)}`;
  if (version !== '') out += `@${percentEncode(version, PATH_SAFE)}`;
  if (qualifiers.length > 0) {
    const sorted = [...qualifiers].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    out += `?${sorted.map((q) => `${percentEncode(q.key, QUALIFIER_SAFE)}=${percentEncode(q.value, QUALIFIER_SAFE)}`).join('&')}`;
  }
  if (subpath !== '') {
    out += `#${subpath
      .split('/')
      .map((s) => percentEncode(s, PATH_SAFE))
      .join('/')}`;
  }
  return out;
}

const UNRESERVED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~';
const PATH_SAFE = new Set(`${UNRESERVED}!$&'()*,;=:`);
const QUALIFIER_SAFE = new Set(`${UNRESERVED}:`);

/** Percent-encodes every UTF-8 byte outside `safe`, with upper-case hex. */
function percentEncode(text: string, safe: ReadonlySet<string>): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += byte < 0x80 && safe.has(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
