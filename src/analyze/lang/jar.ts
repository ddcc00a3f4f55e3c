/**
 * jar (trivy:pkg/dependency/parser/java/jar): `.jar`, `.war`, `.ear` and `.par` files (any case). Walking the
 * archive in order: `META-INF/maven/**\/pom.properties` give packages `groupId:artifactId` (the archive's own
 * one when it matches the file name's artifact and version); `MANIFEST.MF`'s main section is remembered;
 * nested `.jar/.war/.ear` archives are parsed the same way with their path under the outer one. When no
 * pom.properties matched the file name, the manifest gives the package (Implementation/Specification/Bundle
 * headers), as Trivy does offline. Trivy's further fallbacks need its Java DB (a SHA-1 lookup, then a group
 * lookup by artifact name): TODO once Vigil reads the Java DB. Duplicates by name, file and Maven-equal
 * version are dropped. Nesting depth and total inflated bytes are bounded.
 */
import { posix } from 'node:path';
import { compareMaven } from '../../version/maven.js';
import type { FileAnalyzer } from '../analyzer.js';
import type { Package } from '../types.js';
import { readZipEntries, readZipEntry } from './zip.js';

const TOP_LEVEL = ['.jar', '.war', '.ear', '.par'];
const NESTED = ['.jar', '.ear', '.war'];
const FILE_NAME = /^([a-zA-Z0-9._-]*[^-*])-(\d\S*(?:-SNAPSHOT)?).jar$/;
const MAX_MANIFEST_BYTES = 10 * 1024 * 1024;
const MAX_DEPTH = 8;

export interface JarLimits {
  /** Bytes that may be inflated for one top-level archive, nested archives included. */
  maxInflatedBytes: number;
}

interface Properties {
  groupId: string;
  artifactId: string;
  version: string;
}

function valid(p: Properties): boolean {
  return p.groupId !== '' && p.artifactId !== '' && p.version !== '';
}

function toPackage(p: Properties, filePath: string): Package {
  return { Name: `${p.groupId}:${p.artifactId}`, Version: p.version, FilePath: filePath };
}

function fileNameProps(filePath: string): { artifactId: string; version: string } {
  const match = FILE_NAME.exec(posix.basename(filePath));
  return match ? { artifactId: match[1] ?? '', version: match[2] ?? '' } : { artifactId: '', version: '' };
}

export function parsePomProperties(text: string): Properties {
  const props: Properties = { groupId: '', artifactId: '', version: '' };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('groupId=')) props.groupId = line.slice('groupId='.length);
    else if (line.startsWith('artifactId=')) props.artifactId = line.slice('artifactId='.length);
    else if (line.startsWith('version=')) props.version = line.slice('version='.length);
  }
  return props;
}

/** The main section of a manifest: attributes up to the first blank line, continuation lines joined. */
export function parseManifest(text: string): Properties {
  const attrs = new Map<string, string>();
  const add = (line: string) => {
    const fields = line.split(/\s+/).filter((f) => f !== '');
    if (fields.length <= 1 || (fields[1] ?? '').startsWith('%')) return;
    const colon = line.indexOf(':');
    if (colon < 0) return;
    const key = line.slice(0, colon);
    attrs.set(key, line.slice(colon + 1));
  };
  let current = '';
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') break;
    if (line.startsWith(' ')) {
      current += line.slice(1);
      continue;
    }
    add(current);
    current = line;
  }
  add(current);
  const get = (key: string) => attrs.get(key) ?? '';
  const symbolic = get('Bundle-SymbolicName');
  const lastDot = symbolic.lastIndexOf('.');
  const groupId =
    get('Implementation-Vendor-Id') ||
    (symbolic !== '' ? (lastDot > 0 ? symbolic.slice(0, lastDot) : symbolic) : '') ||
    get('Implementation-Vendor') ||
    get('Specification-Vendor');
  const artifactId = get('Implementation-Title') || get('Specification-Title') || get('Bundle-Name');
  const version = get('Implementation-Version') || get('Specification-Version') || get('Bundle-Version');
  return { groupId: groupId.trim(), artifactId: artifactId.trim(), version: version.trim() };
}

function sameMavenVersion(a: string, b: string): boolean {
  try {
    return compareMaven(a, b) === 0;
  } catch {
    return a === b;
  }
}

export function parseJar(filePath: string, data: Buffer, limits: JarLimits): Package[] {
  const budget = { left: limits.maxInflatedBytes };
  const packages = parseArchive(filePath, data, budget, 0);
  const kept: Package[] = [];
  for (const pkg of packages) {
    const duplicate = kept.some(
      (k) => k.Name === pkg.Name && k.FilePath === pkg.FilePath && sameMavenVersion(k.Version, pkg.Version),
    );
    if (!duplicate) kept.push(pkg);
  }
  return kept;
}

function parseArchive(filePath: string, data: Buffer, budget: { left: number }, depth: number): Package[] {
  const own = fileNameProps(filePath);
  const packages: Package[] = [];
  let manifest: Properties | undefined;
  let foundOwnPom = false;
  const read = (entry: Parameters<typeof readZipEntry>[1], max: number) => {
    const content = readZipEntry(data, entry, Math.min(max, budget.left));
    budget.left -= content.length;
    return content;
  };
  for (const entry of readZipEntries(data)) {
    const base = posix.basename(entry.name);
    if (base === 'pom.properties') {
      const props = parsePomProperties(read(entry, MAX_MANIFEST_BYTES).toString('utf8'));
      if (valid(props)) {
        packages.push(toPackage(props, filePath));
        if (own.artifactId === props.artifactId && own.version === props.version) foundOwnPom = true;
      }
    } else if (base === 'MANIFEST.MF') {
      manifest = parseManifest(read(entry, MAX_MANIFEST_BYTES).toString('utf8'));
    } else if (NESTED.includes(posix.extname(entry.name)) && depth < MAX_DEPTH) {
      const nestedPath = posix.join(filePath, entry.name);
      if (!nestedPath.startsWith(posix.normalize(filePath))) continue; // zip slip
      try {
        packages.push(...parseArchive(nestedPath, read(entry, budget.left), budget, depth + 1));
      } catch {
        // Trivy skips a nested archive it cannot read.
      }
    }
  }
  if (!foundOwnPom && manifest && valid(manifest)) packages.push(toPackage(manifest, filePath));
  return packages;
}

export function createJarAnalyzer(
  limits: JarLimits = { maxInflatedBytes: 1024 * 1024 * 1024 },
): FileAnalyzer {
  return {
    kind: 'file',
    type: 'jar',
    version: 1,
    required: (file) => TOP_LEVEL.includes(posix.extname(file.path).toLowerCase()),
    analyze(file, content) {
      const packages = parseJar(file.path, content, limits);
      if (packages.length === 0) return undefined;
      return { applications: [{ Type: 'jar', FilePath: file.path, Packages: packages }] };
    },
  };
}
