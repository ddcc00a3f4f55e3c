/**
 * rustbinary (trivy:pkg/dependency/parser/rust/binary via go-rustaudit): executables built with
 * cargo-auditable carry their dependency tree in the `.dep-v0` ELF section as zlib-compressed JSON
 * `{"packages":[{"name","version","source","kind","dependencies":[indexes],"root"}]}`. Only runtime packages
 * (`kind` absent or "runtime") are reported; the root crate is the root; IDs are `name@version`; each
 * package depends on its runtime dependencies. The compressed and inflated sizes are bounded.
 */
import { inflateSync } from 'node:zlib';
import { type FileAnalyzer, isExecutable } from '../analyzer.js';
import { type Package, Relationship } from '../types.js';
import { parseElf } from './elf.js';

const MAX_JSON_BYTES = 8 * 1024 * 1024;

interface AuditPackage {
  name?: string;
  version?: string;
  kind?: string;
  dependencies?: number[];
  root?: boolean;
}

export function parseRustAudit(json: string): Package[] {
  const parsed = JSON.parse(json) as { packages?: AuditPackage[] };
  const list = parsed.packages ?? [];
  const runtime = (p: AuditPackage | undefined) => p !== undefined && (p.kind ?? 'runtime') === 'runtime';
  const packages: Package[] = [];
  for (const pkg of list) {
    if (!runtime(pkg)) continue;
    const id = `${pkg.name ?? ''}@${pkg.version ?? ''}`;
    const dependsOn = (pkg.dependencies ?? [])
      .map((index) => list[index])
      .filter(runtime)
      .map((dep) => `${dep?.name ?? ''}@${dep?.version ?? ''}`);
    packages.push({
      ID: id,
      Name: pkg.name ?? '',
      Version: pkg.version ?? '',
      ...(pkg.root ? { Relationship: Relationship.root } : {}),
      ...(dependsOn.length > 0 ? { DependsOn: dependsOn } : {}),
    });
  }
  return packages;
}

export function createRustBinaryAnalyzer(): FileAnalyzer {
  return {
    kind: 'file',
    type: 'rustbinary',
    version: 1,
    required: (file) => isExecutable(file),
    analyze(file, content) {
      const elf = parseElf(content);
      const section = elf?.section('.dep-v0');
      if (!section) return undefined;
      const json = inflateSync(section, { maxOutputLength: MAX_JSON_BYTES }).toString('utf8');
      const packages = parseRustAudit(json);
      if (packages.length === 0) return undefined;
      return { applications: [{ Type: 'rustbinary', FilePath: file.path, Packages: packages }] };
    },
  };
}
