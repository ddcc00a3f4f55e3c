/**
 * Trivy's ignore files (trivy:pkg/result/ignore.go; `--ignorefile`, default `.trivyignore`): a plain list of IDs
 * with optional `exp:YYYY-MM-DD`, or, for a `.yaml`/`.yml` name, `.trivyignore.yaml` with per-ID paths, PURLs,
 * `expired_at` and a statement. Only the vulnerabilities section is applied: Vigil reports vulnerabilities only.
 * Expired entries are dropped when the file is read, as Trivy prunes them.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { PackageURL } from 'packageurl-js';
import picomatch from 'picomatch';
import { parse as parseYaml } from 'yaml';

/** One entry of an ignore file. */
export interface IgnoreEntry {
  id: string;
  /** doublestar globs over the result target and the package path; empty = every path. */
  paths: readonly string[];
  /** Package URLs; empty = every package. */
  purls: readonly PackageURL[];
  /** Epoch ms; undefined = never expires. */
  expiresAt: number | undefined;
  statement: string | undefined;
}

export interface IgnoreRules {
  /** The file the rules came from, for messages. */
  file: string;
  vulnerabilities: readonly IgnoreEntry[];
}

/** A vulnerability as the ignore rules see it. */
export interface IgnoreCandidate {
  id: string;
  /** The result's Target (e.g. "app/package-lock.json" or "image (debian 12.1)"). */
  target: string;
  pkgPath?: string | undefined;
  purl?: string | undefined;
}

export class IgnoreFileError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`ignore file ${file}: ${detail}`);
    this.name = 'IgnoreFileError';
  }
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Reads an ignore file. A missing file is no rules (Trivy looks for `.trivyignore` whether or not one was
 * given); an unreadable or malformed one is an IgnoreFileError naming the file and the problem.
 */
export async function loadIgnoreFile(file: string, nowMs: number): Promise<IgnoreRules> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { file, vulnerabilities: [] };
    throw new IgnoreFileError(file, `cannot be read (${code ?? (error as Error).message})`);
  }
  return parseIgnoreFile(text, file, nowMs);
}

/** Parses ignore-file text; the format follows the file name's extension, as in Trivy. */
export function parseIgnoreFile(text: string, file: string, nowMs: number): IgnoreRules {
  const ext = extname(file).toLowerCase();
  const entries = ext === '.yaml' || ext === '.yml' ? parseYamlEntries(text, file) : parsePlain(text);
  return { file, vulnerabilities: entries.filter((e) => e.expiresAt === undefined || e.expiresAt >= nowMs) };
}

function parsePlain(text: string): IgnoreEntry[] {
  const entries: IgnoreEntry[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let expiresAt: number | undefined;
    const exp = fields.slice(1).find((f) => f.startsWith('exp:'));
    if (exp !== undefined) {
      expiresAt = parseDate(exp.slice(4));
      // Trivy warns and skips a line whose date does not parse; it never ignores on a bad date.
      if (expiresAt === undefined) continue;
    }
    entries.push({ id: fields[0] as string, paths: [], purls: [], expiresAt, statement: undefined });
  }
  return entries;
}

function parseYamlEntries(text: string, file: string): IgnoreEntry[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new IgnoreFileError(file, `is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return [];
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new IgnoreFileError(file, 'must be a mapping with a "vulnerabilities" list');
  const list = (doc as Record<string, unknown>).vulnerabilities;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new IgnoreFileError(file, '"vulnerabilities" must be a list');
  return list.map((item, index) => yamlEntry(item, `vulnerabilities[${index}]`, file));
}

function yamlEntry(item: unknown, where: string, file: string): IgnoreEntry {
  if (typeof item !== 'object' || item === null || Array.isArray(item))
    throw new IgnoreFileError(file, `${where} must be a mapping with an "id"`);
  const o = item as Record<string, unknown>;
  if (typeof o.id !== 'string' || o.id === '')
    throw new IgnoreFileError(file, `${where}.id must be a vulnerability ID such as CVE-2023-45853`);
  const paths = stringList(o.paths, `${where}.paths`, file);
  for (const pattern of paths) {
    if (!validGlob(pattern))
      throw new IgnoreFileError(file, `${where}.paths has the invalid pattern ${JSON.stringify(pattern)}`);
  }
  const purls = stringList(o.purls, `${where}.purls`, file).map((text) => {
    try {
      return PackageURL.fromString(text);
    } catch (error) {
      throw new IgnoreFileError(
        file,
        `${where}.purls has ${JSON.stringify(text)}, not a package URL: ${(error as Error).message}`,
      );
    }
  });
  let expiresAt: number | undefined;
  if (o.expired_at !== undefined && o.expired_at !== null) {
    const text = o.expired_at instanceof Date ? o.expired_at.toISOString() : String(o.expired_at);
    expiresAt = Date.parse(DATE.test(text) ? `${text}T00:00:00Z` : text);
    if (Number.isNaN(expiresAt))
      throw new IgnoreFileError(
        file,
        `${where}.expired_at ${JSON.stringify(text)} is not a date (use YYYY-MM-DD)`,
      );
  }
  const statement = typeof o.statement === 'string' ? o.statement : undefined;
  return { id: o.id, paths, purls, expiresAt, statement };
}

function stringList(value: unknown, where: string, file: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    throw new IgnoreFileError(file, `${where} must be a list of strings`);
  return value as string[];
}

/** YYYY-MM-DD as Go's time.Parse("2006-01-02") reads it: midnight UTC, calendar-checked. */
function parseDate(text: string): number | undefined {
  const m = DATE.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  return back.getUTCFullYear() === y && back.getUTCMonth() === mo - 1 && back.getUTCDate() === d
    ? ms
    : undefined;
}

function validGlob(pattern: string): boolean {
  // doublestar rejects unbalanced brackets and braces; picomatch would read them literally.
  let square = 0;
  let curly = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (c === '[') square++;
    else if (c === ']' && square > 0) square--;
    else if (c === '{') curly++;
    else if (c === '}' && curly > 0) curly--;
  }
  return square === 0 && curly === 0 && !pattern.endsWith('\\');
}

/** Compiled matchers for one set of rules. */
export function createIgnoreMatcher(
  rules: IgnoreRules,
): (candidate: IgnoreCandidate) => IgnoreEntry | undefined {
  const byId = new Map<string, Array<{ entry: IgnoreEntry; path: (p: string) => boolean }>>();
  for (const entry of rules.vulnerabilities) {
    const globs = entry.paths.map((p) => picomatch(p, { dot: true }));
    const path = globs.length === 0 ? () => true : (p: string) => globs.some((g) => g(p));
    const list = byId.get(entry.id) ?? [];
    list.push({ entry, path });
    byId.set(entry.id, list);
  }
  return (candidate) => {
    const list = byId.get(candidate.id);
    if (!list) return undefined;
    const target = parseCandidatePurl(candidate.purl);
    // As Trivy: the result's target first, then the package's path; each checked against every entry.
    for (const path of [candidate.target, candidate.pkgPath ?? '']) {
      for (const { entry, path: matches } of list) {
        if (!matches(path)) continue;
        if (entry.purls.length > 0 && target && !entry.purls.some((p) => purlMatches(p, target))) continue;
        return entry;
      }
    }
    return undefined;
  };
}

function parseCandidatePurl(text: string | undefined): PackageURL | undefined {
  if (!text) return undefined;
  try {
    return PackageURL.fromString(text);
  } catch {
    return undefined;
  }
}

/**
 * Trivy's purl Match: type, namespace and name equal; the version and subpath only when the rule gives them;
 * every qualifier the rule gives present with the same value in the package's.
 */
function purlMatches(rule: PackageURL, target: PackageURL): boolean {
  if (rule.type !== target.type || (rule.namespace ?? '') !== (target.namespace ?? '')) return false;
  if (rule.name !== target.name) return false;
  if (rule.version && rule.version !== target.version) return false;
  if (rule.subpath && rule.subpath !== target.subpath) return false;
  for (const [key, value] of Object.entries(rule.qualifiers ?? {})) {
    if (target.qualifiers?.[key] !== value) return false;
  }
  return true;
}
