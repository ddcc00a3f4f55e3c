/**
 * Red Hat family release files (trivy:pkg/fanal/analyzer/os/redhatbase): `<name> release <version>`.
 * etc/redhat-release maps the name to CentOS, Rocky, Alma, Oracle or Fedora and falls back to Red Hat; the
 * distribution's own file (centos-release, rocky-release, …) only accepts its own names.
 */
import type { FileAnalyzer } from '../analyzer.js';
import { scanLines } from '../text.js';
import type { OSFamily } from '../types.js';

const RELEASE = /(.*) release (\d[\d.]*)/;

const NAMES: Array<[OSFamily, string[]]> = [
  ['centos', ['centos', 'centos linux']],
  ['rocky', ['rocky', 'rocky linux']],
  ['alma', ['alma', 'almalinux', 'alma linux']],
  ['oracle', ['oracle', 'oracle linux', 'oracle linux server']],
  ['fedora', ['fedora', 'fedora linux']],
];

function familyOf(name: string): OSFamily | undefined {
  const lower = name.toLowerCase();
  return NAMES.find(([, names]) => names.includes(lower))?.[0];
}

function parseFirst(content: Buffer): { name: string; version: string } | undefined {
  const line = scanLines(content)[0];
  if (line === undefined) return undefined;
  const match = RELEASE.exec(line.trim());
  return match ? { name: match[1] ?? '', version: match[2] ?? '' } : undefined;
}

function releaseAnalyzer(
  type: string,
  paths: string[],
  decide: (name: string) => OSFamily | undefined,
): FileAnalyzer {
  return {
    kind: 'file',
    type,
    version: 1,
    required: (file) => paths.includes(file.path),
    analyze(_file, content) {
      const release = parseFirst(content);
      if (!release) return undefined;
      const family = decide(release.name);
      return family ? { os: { Family: family, Name: release.version } } : undefined;
    },
  };
}

export function createRedHatBaseAnalyzers(): FileAnalyzer[] {
  const only = (family: OSFamily) => (name: string) => (familyOf(name) === family ? family : undefined);
  return [
    releaseAnalyzer('redhat', ['etc/redhat-release'], (name) => familyOf(name) ?? 'redhat'),
    releaseAnalyzer('centos', ['etc/centos-release'], only('centos')),
    releaseAnalyzer('rocky', ['etc/rocky-release'], only('rocky')),
    releaseAnalyzer('alma', ['etc/almalinux-release'], only('alma')),
    // Oracle's own file is trusted whatever name it gives.
    releaseAnalyzer('oracle', ['etc/oracle-release'], () => 'oracle'),
    releaseAnalyzer('fedora', ['etc/fedora-release', 'usr/lib/fedora-release'], only('fedora')),
  ];
}
