/**
 * node-pkg (trivy:pkg/fanal/analyzer/language/nodejs/pkg): every `package.json`. A package needs a name and a
 * version; a name that is not URL-friendly, or a file that is not JSON of the expected shape, is skipped.
 * Licence from `license` (string, {type}, or [{type}]). FilePath is the package.json itself.
 */
import type { FileAnalyzer } from '../analyzer.js';
import type { Package } from '../types.js';

const NAME = /^(@[A-Za-z0-9-._]+\/)?[A-Za-z0-9-._]+$/;

function licenseNames(value: unknown): string[] {
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (Array.isArray(value)) {
    return value.flatMap((item) =>
      item && typeof item === 'object' && typeof (item as { type?: unknown }).type === 'string'
        ? [(item as { type: string }).type].filter((t) => t !== '')
        : [],
    );
  }
  if (value && typeof value === 'object' && typeof (value as { type?: unknown }).type === 'string') {
    const type = (value as { type: string }).type;
    return type === '' ? [] : [type];
  }
  return [];
}

export function parsePackageJson(text: string): Package | undefined {
  const json = JSON.parse(text) as Record<string, unknown>;
  if (!json || typeof json !== 'object' || Array.isArray(json))
    throw new Error('package.json is not an object');
  const name = json.name ?? '';
  const version = json.version ?? '';
  // Go's decoder rejects a non-string name or version for the whole file.
  if (typeof name !== 'string' || typeof version !== 'string')
    throw new Error('name and version must be strings');
  if (name !== '' && !NAME.test(name)) throw new Error('name can only contain URL-friendly characters');
  if (name === '' || version === '') return undefined;
  const licenses = licenseNames(json.license);
  return {
    ID: `${name}@${version}`,
    Name: name,
    Version: version,
    ...(licenses.length > 0 ? { Licenses: licenses } : {}),
  };
}

export function createNpmAnalyzer(): FileAnalyzer {
  return {
    kind: 'file',
    type: 'node-pkg',
    version: 1,
    required: (file) => file.path === 'package.json' || file.path.endsWith('/package.json'),
    analyze(file, content) {
      const pkg = parsePackageJson(content.toString('utf8'));
      if (!pkg) return undefined;
      return {
        applications: [
          { Type: 'node-pkg', FilePath: file.path, Packages: [{ ...pkg, FilePath: file.path }] },
        ],
      };
    },
  };
}
