/**
 * gemspec (trivy:pkg/dependency/parser/ruby/gemspec): installed gem specifications matching
 * `.*\/specifications/.+\.gemspec`, read line by line with Trivy's regular expressions rather than as Ruby:
 * after `Gem::Specification.new do |s|`, `s.name = …`, `s.version = …`, `s.license(s) = …`, each value trimmed
 * of spaces, a `.freeze` suffix and quotes.
 */
import type { FileAnalyzer } from '../analyzer.js';
import { scanLines } from '../text.js';
import type { Package } from '../types.js';
import { splitLicenses } from './licenses.js';

const FILE = /.*\/specifications\/.+\.gemspec/;
const NEW_VAR = /\|(.*)\|/;
const NAME = /\.name\s*=\s*(\S+)/;
const VERSION = /\.version\s*=\s*(\S+)/;
const LICENSE = /\.license\s*=\s*(\S+)/;
const LICENSES = /\.licenses\s*=\s*\[(.+)\]/;

function trimValue(value: string): string {
  let trimmed = value.trim();
  if (trimmed.endsWith('.freeze')) trimmed = trimmed.slice(0, -'.freeze'.length);
  return trimmed.replace(/^["']+/, '').replace(/["']+$/, '');
}

export function parseGemspec(text: string): Package {
  let newVar = '';
  let name = '';
  let version = '';
  let license = '';
  for (const raw of scanLines(text)) {
    const line = raw.trim();
    if (line.includes('Gem::Specification.new')) newVar = NEW_VAR.exec(line)?.[1] ?? '';
    if (newVar === '') continue;
    if (line.startsWith(`${newVar}.name`)) name = trimValue(NAME.exec(line)?.[1] ?? '');
    else if (line.startsWith(`${newVar}.version`)) version = trimValue(VERSION.exec(line)?.[1] ?? '');
    else if (line.startsWith(`${newVar}.licenses`)) {
      license = (LICENSES.exec(line)?.[1] ?? '').split(',').map(trimValue).join(', ');
    } else if (line.startsWith(`${newVar}.license`)) license = trimValue(LICENSE.exec(line)?.[1] ?? '');
  }
  if (name === '' || version === '') throw new Error('failed to parse gemspec');
  const licenses = splitLicenses(license);
  return { Name: name, Version: version, ...(licenses.length > 0 ? { Licenses: licenses } : {}) };
}

export function createGemspecAnalyzer(): FileAnalyzer {
  return {
    kind: 'file',
    type: 'gemspec',
    version: 1,
    required: (file) => FILE.test(file.path),
    analyze(file, content) {
      const pkg = parseGemspec(content.toString('utf8'));
      return {
        applications: [{ Type: 'gemspec', FilePath: file.path, Packages: [{ ...pkg, FilePath: file.path }] }],
      };
    },
  };
}
