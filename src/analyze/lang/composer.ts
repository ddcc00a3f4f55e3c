/**
 * composer-vendor (trivy:pkg/fanal/analyzer/language/php/composer/vendor.go): `installed.json` files, read
 * with Trivy's composer lock parser, i.e. as an object with `packages` (and `packages-dev`). That is Composer
 * 2's vendor/composer/installed.json; Composer 1 wrote a bare array there, which Trivy's decoder rejects, so
 * such files yield nothing here either. Packages carry their JSON line span; the file path stays on the
 * application only.
 */
import type { FileAnalyzer } from '../analyzer.js';
import { comparePackages } from '../order.js';
import type { Package } from '../types.js';
import { parseJsonWithLines } from './json-lines.js';
import { splitLicenses } from './licenses.js';

interface ComposerPackage {
  name?: unknown;
  version?: unknown;
  require?: unknown;
  license?: unknown;
}

function licenses(value: unknown): string[] {
  if (typeof value === 'string') return value === '' ? [] : splitLicenses(value);
  if (Array.isArray(value)) return value.filter((l): l is string => typeof l === 'string');
  return [];
}

export function parseComposerInstalled(text: string): Package[] {
  const { value, spanOf } = parseJsonWithLines(text);
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error('installed.json is not an object with "packages" (Composer 1 format?)');
  }
  const file = value as { packages?: unknown; 'packages-dev'?: unknown };
  const byName = new Map<string, Package>();
  const requires = new Map<string, string[]>();
  const add = (list: unknown, dev: boolean) => {
    if (list === undefined || list === null) return;
    if (!Array.isArray(list)) throw new Error('"packages" is not an array');
    for (const entry of list as ComposerPackage[]) {
      const name = typeof entry.name === 'string' ? entry.name : '';
      const version = typeof entry.version === 'string' ? entry.version : '';
      if (byName.has(name)) continue;
      const span = spanOf(entry);
      const pkgLicenses = licenses(entry.license);
      const pkg: Package = {
        ID: version === '' ? name : `${name}@${version}`,
        Name: name,
        Version: version,
        ...(pkgLicenses.length > 0 ? { Licenses: pkgLicenses } : {}),
        ...(span ? { Locations: [span] } : {}),
        ...(dev ? { Dev: true } : {}),
      };
      byName.set(name, pkg);
      const deps =
        entry.require && typeof entry.require === 'object'
          ? Object.keys(entry.require).filter((dep) => dep !== 'php' && !dep.startsWith('ext'))
          : [];
      if (deps.length > 0) requires.set(pkg.ID as string, deps);
    }
  };
  add(file.packages, false);
  add(file['packages-dev'], true);
  const packages = [...byName.values()];
  for (const pkg of packages) {
    const deps = (requires.get(pkg.ID as string) ?? []).flatMap((dep) => {
      const id = byName.get(dep)?.ID;
      return id ? [id] : [];
    });
    if (deps.length > 0) pkg.DependsOn = deps.sort();
  }
  return packages.sort(comparePackages);
}

export function createComposerVendorAnalyzer(): FileAnalyzer {
  return {
    kind: 'file',
    type: 'composer-vendor',
    version: 1,
    required: (file) => file.path === 'installed.json' || file.path.endsWith('/installed.json'),
    analyze(file, content) {
      const packages = parseComposerInstalled(content.toString('utf8'));
      if (packages.length === 0) return undefined;
      return { applications: [{ Type: 'composer-vendor', FilePath: file.path, Packages: packages }] };
    },
  };
}
