/**
 * dotnet-core (trivy:pkg/dependency/parser/dotnet/core_deps): `*.deps.json`. Libraries of type package,
 * project or runtimepack (the `runtimepack.` name prefix dropped); when the runtime target's section exists,
 * only libraries with runtime, runtimeTargets or native assets there (or missing from it) count. IDs are
 * `name/version`. A single unreferenced project is the root, other projects are workspace members; with a
 * root, packages it lists are direct and the others indirect.
 */
import type { FileAnalyzer } from '../analyzer.js';
import { comparePackages } from '../order.js';
import { type Package, Relationship } from '../types.js';
import { parseJsonWithLines } from './json-lines.js';

const RUNTIME_PACK = 'runtimepack.';

interface TargetLib {
  dependencies?: Record<string, string>;
  runtime?: unknown;
  runtimeTargets?: unknown;
  native?: unknown;
}

function id(name: string, version: string): string {
  const bare = name.startsWith(RUNTIME_PACK) ? name.slice(RUNTIME_PACK.length) : name;
  return version === '' ? bare : `${bare}/${version}`;
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null;
}

export function parseDepsJson(text: string): Package[] {
  const { value, spanOf } = parseJsonWithLines(text);
  const deps = (value ?? {}) as {
    libraries?: Record<string, { type?: string }>;
    runtimeTarget?: { name?: string };
    targets?: Record<string, Record<string, TargetLib>>;
  };
  const targetName = deps.runtimeTarget?.name ?? '';
  const rawTarget = deps.targets?.[targetName];
  const target = new Map<string, TargetLib>();
  for (const [key, lib] of Object.entries(rawTarget ?? {})) {
    const slash = key.indexOf('/');
    target.set(slash < 0 ? id(key, '') : id(key.slice(0, slash), key.slice(slash + 1)), lib ?? {});
  }
  const packages = new Map<string, Package>();
  const projects: string[] = [];
  for (const [nameVersion, lib] of Object.entries(deps.libraries ?? {})) {
    const slash = nameVersion.indexOf('/');
    if (slash < 0) continue;
    const type = (lib?.type ?? '').toLowerCase();
    if (type !== 'package' && type !== 'project' && type !== 'runtimepack') continue;
    let name = nameVersion.slice(0, slash);
    if (name.startsWith(RUNTIME_PACK)) name = name.slice(RUNTIME_PACK.length);
    const version = nameVersion.slice(slash + 1);
    const pkgId = id(name, version);
    if (rawTarget) {
      const entry = target.get(pkgId);
      if (entry && !present(entry.runtime) && !present(entry.runtimeTargets) && !present(entry.native))
        continue;
    }
    const span = lib ? spanOf(lib) : undefined;
    packages.set(pkgId, { ID: pkgId, Name: name, Version: version, ...(span ? { Locations: [span] } : {}) });
    if (type === 'project') projects.push(pkgId);
  }
  if (packages.size === 0) return [];
  if (!rawTarget) return [...packages.values()].sort(comparePackages);

  const referenced = new Set<string>();
  for (const lib of target.values()) {
    for (const [name, version] of Object.entries(lib.dependencies ?? {})) referenced.add(id(name, version));
  }
  const roots = projects.filter((p) => !referenced.has(p));
  const root = roots.length === 1 ? roots[0] : undefined;
  if (root) {
    for (const project of projects) {
      const pkg = packages.get(project);
      if (pkg) pkg.Relationship = project === root ? Relationship.root : Relationship.workspace;
    }
  }
  const direct = Object.entries(target.get(root ?? '')?.dependencies ?? {}).map(([n, v]) => id(n, v));
  for (const [pkgId, pkg] of packages) {
    if (direct.length > 0 && (pkg.Relationship ?? 0) === Relationship.unknown) {
      pkg.Relationship = direct.includes(pkgId) ? Relationship.direct : Relationship.indirect;
      // Trivy still fills the deprecated Indirect flag from the relationship.
      if (pkg.Relationship === Relationship.indirect) pkg.Indirect = true;
    }
    const dependsOn = Object.entries(target.get(pkgId)?.dependencies ?? {})
      .map(([n, v]) => id(n, v))
      .filter((dep) => packages.has(dep))
      .sort();
    if (dependsOn.length > 0) pkg.DependsOn = dependsOn;
  }
  return [...packages.values()].sort(comparePackages);
}

export function createDotnetDepsAnalyzer(): FileAnalyzer {
  return {
    kind: 'file',
    type: 'dotnet-core',
    version: 1,
    required: (file) => file.path.endsWith('.deps.json'),
    analyze(file, content) {
      const packages = parseDepsJson(content.toString('utf8'));
      if (packages.length === 0) return undefined;
      return { applications: [{ Type: 'dotnet-core', FilePath: file.path, Packages: packages }] };
    },
  };
}
