/**
 * gobinary (trivy:pkg/dependency/parser/golang/binary): every executable that is an ELF Go binary. Packages:
 * `stdlib` at `v<go version>` (direct), every dependency after its replacement, and the main module (root,
 * depending on all the others). `(devel)` versions become empty; the main module's version falls back, when
 * empty or a pseudo-version, to a `-X <pkg>.version=` linker flag, then to a `*.version.str` ELF symbol, by
 * Trivy's precedence (`<module>/cmd/…` keys, then main/common/version/cmd packages, then any; ambiguity gives
 * no version). IDs are `path@version` (a `v` added), or the bare path without a version.
 */
import { type AnalyzerFile, type FileAnalyzer, isExecutable } from '../analyzer.js';
import { type Package, Relationship } from '../types.js';
import { type ElfFile, parseElf } from './elf.js';
import { type GoBuildInfo, readGoBuildInfo } from './go-buildinfo.js';

const DEFAULT_VERSION_PREFIXES = new Set(['main', 'common', 'version', 'cmd']);
const PSEUDO_VERSION =
  /^v[0-9]+\.(0\.0-|\d+\.\d+-([^+]*\.)?0\.)\d{14}-[A-Za-z0-9]+(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
const SEMVER =
  /^v(0|[1-9]\d*)(\.(0|[1-9]\d*)(\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?)?)?$/;

function isSemver(version: string): boolean {
  if (!SEMVER.test(version)) return false;
  // Prerelease numeric identifiers may not have leading zeros (golang.org/x/mod/semver).
  const pre = /-([^+]*)/.exec(version.replace(/^v[\d.]+/, ''))?.[1];
  return !pre || pre.split('.').every((id) => !/^0\d+$/.test(id));
}

function isValidSemverLoose(version: string): boolean {
  return isSemver(version) || isSemver(`v${version}`);
}

function isPseudoVersion(version: string): boolean {
  return (version.match(/-/g) ?? []).length >= 2 && isSemver(version) && PSEUDO_VERSION.test(version);
}

export function goPackageId(name: string, version: string): string {
  if (version === '') return name;
  return `${name}@${version.startsWith('v') ? version : `v${version}`}`;
}

export function stdlibVersion(goVersion: string): string {
  let version = goVersion.startsWith('go') ? goVersion.slice(2) : goVersion;
  version = version.split(' ')[0] ?? '';
  version = version.split('-X:')[0] ?? '';
  return `v${version}`;
}

function isVersionKey(key: string): boolean {
  const lower = key.toLowerCase();
  return lower.endsWith('.version') || lower.endsWith('.ver');
}

function versionPrefix(key: string): string {
  const slash = key.lastIndexOf('/');
  const last = slash > 0 ? key.slice(slash + 1) : key;
  return (last.split('.')[0] ?? '').toLowerCase();
}

function chooseVersion(moduleName: string, candidates: Array<{ key: string; value: string }>): string {
  const tiers: string[][] = [[], [], []];
  for (const { key, value } of candidates) {
    if (!isVersionKey(key) || !isValidSemverLoose(value)) continue;
    if (key.startsWith(`${moduleName}/cmd/`)) tiers[0]?.push(value);
    else if (DEFAULT_VERSION_PREFIXES.has(versionPrefix(key))) tiers[1]?.push(value);
    else tiers[2]?.push(value);
  }
  for (const tier of tiers) {
    if (tier.length === 0) continue;
    return tier.length > 1 ? '' : (tier[0] ?? '');
  }
  return '';
}

/** Splits a command line as a POSIX shell would (quotes and backslashes), enough for -ldflags values. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let current = '';
  let quote: string | undefined;
  let started = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) current += line[++i];
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      started = true;
    } else if (ch === '\\' && i + 1 < line.length) {
      current += line[++i];
      started = true;
    } else if (/\s/.test(ch)) {
      if (started) words.push(current);
      current = '';
      started = false;
    } else {
      current += ch;
      started = true;
    }
  }
  if (started) words.push(current);
  return words;
}

export function ldflagsVersion(moduleName: string, ldflags: string): string {
  const words = shellWords(ldflags);
  const pairs = new Map<string, string>();
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    let assignment: string | undefined;
    if (word === '-X' || word === '--X') assignment = words[++i];
    else if (word.startsWith('-X=')) assignment = word.slice(3);
    else if (word.startsWith('-X') && word.length > 2 && !word.startsWith('-X-')) assignment = word.slice(2);
    if (!assignment) continue;
    for (const pair of assignment.split(',')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      pairs.set(pair.slice(0, eq).replace(/^'+/, ''), pair.slice(eq + 1).replace(/'+$/, ''));
    }
  }
  return chooseVersion(
    moduleName,
    [...pairs].map(([key, value]) => ({ key, value })),
  );
}

function symbolVersion(elf: ElfFile, moduleName: string): string {
  const candidates: Array<{ key: string; value: string }> = [];
  for (const symbol of elf.symbols()) {
    if (!symbol.name.endsWith('.str') || symbol.size === 0 || symbol.size > 256) continue;
    const key = symbol.name.slice(0, -'.str'.length);
    if (!isVersionKey(key)) continue;
    const section = elf.sections[symbol.section];
    if (!section) continue;
    const bytes = elf.readAt(symbol.value, symbol.size);
    const value = bytes?.toString('utf8').replace(/\0+$/, '') ?? '';
    if (value !== '') candidates.push({ key, value });
  }
  return chooseVersion(moduleName, candidates);
}

function devel(version: string): string {
  return version === '(devel)' ? '' : version;
}

export function goBinaryPackages(info: GoBuildInfo, elf?: ElfFile): Package[] {
  const stdlib = stdlibVersion(info.goVersion);
  const packages: Package[] = [
    { ID: goPackageId('stdlib', stdlib), Name: 'stdlib', Version: stdlib, Relationship: Relationship.direct },
  ];
  for (const dep of info.deps) {
    if (dep.path === '') continue;
    const mod = dep.replace ?? dep;
    const version = devel(mod.version);
    packages.push({ ID: goPackageId(mod.path, version), Name: mod.path, Version: version });
  }
  if (info.main && info.main.path !== '') {
    let version = devel(info.main.version);
    if (version === '' || isPseudoVersion(version)) {
      const ldflags = info.settings.find((s) => s.key === '-ldflags')?.value ?? '';
      const fromFlags = ldflagsVersion(info.main.path, ldflags);
      const fromSymbols = fromFlags === '' && elf ? symbolVersion(elf, info.main.path) : '';
      version = fromFlags || fromSymbols || version;
    }
    const id = goPackageId(info.main.path, version);
    const dependsOn = packages.map((p) => p.ID as string).sort();
    packages.push({
      ID: id,
      Name: info.main.path,
      Version: version,
      Relationship: Relationship.root,
      DependsOn: dependsOn,
    });
  }
  return packages;
}

export function createGoBinaryAnalyzer(): FileAnalyzer {
  return {
    kind: 'file',
    type: 'gobinary',
    version: 1,
    required: (file: AnalyzerFile) => isExecutable(file),
    analyze(file, content) {
      const elf = parseElf(content);
      if (!elf) return undefined;
      const info = readGoBuildInfo(elf);
      if (!info) return undefined;
      // Trivy's language.Analyze: the binary is the application's path; its packages carry none.
      const packages = goBinaryPackages(info, elf);
      return { applications: [{ Type: 'gobinary', FilePath: file.path, Packages: packages }] };
    },
  };
}
