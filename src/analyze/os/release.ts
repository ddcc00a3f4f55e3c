/**
 * os-release (trivy:pkg/fanal/analyzer/os/release): ID mapped to a family, VERSION_ID as the name.
 * Debian and Ubuntu are deliberately not mapped here: they come from debian_version and lsb-release.
 */
import type { FileAnalyzer } from '../analyzer.js';
import { scanLines } from '../text.js';
import type { OSFamily } from '../types.js';

const FILES = new Set([
  'etc/os-release',
  'usr/lib/os-release',
  'aarch64-bottlerocket-linux-gnu/sys-root/usr/lib/os-release',
  'x86_64-bottlerocket-linux-gnu/sys-root/usr/lib/os-release',
]);

const FAMILY_BY_ID: Record<string, OSFamily> = {
  activestate: 'activestate',
  rhel: 'redhat',
  centos: 'centos',
  rocky: 'rocky',
  almalinux: 'alma',
  ol: 'oracle',
  fedora: 'fedora',
  alpine: 'alpine',
  bottlerocket: 'bottlerocket',
  'opensuse-tumbleweed': 'opensuse-tumbleweed',
  'opensuse-leap': 'opensuse-leap',
  opensuse: 'opensuse-leap',
  sles: 'sles',
  'sle-micro': 'slem',
  'sl-micro': 'slem',
  'sle-micro-rancher': 'slem',
  photon: 'photon',
  wolfi: 'wolfi',
  chainguard: 'chainguard',
  azurelinux: 'azurelinux',
  mariner: 'cbl-mariner',
  echo: 'echo',
  minimos: 'minimos',
  coreos: 'coreos',
};

export function createOSReleaseAnalyzer(): FileAnalyzer {
  return {
    kind: 'file',
    type: 'os-release',
    version: 1,
    required: (file) => FILES.has(file.path),
    analyze(_file, content) {
      let id = '';
      let name = '';
      let versionId = '';
      for (const line of scanLines(content)) {
        const eq = line.indexOf('=');
        if (eq < 0) continue;
        const key = line.slice(0, eq).trim();
        const value = trimQuotes(line.slice(eq + 1).trim());
        if (key === 'NAME') name = value;
        else if (key === 'ID') id = value;
        else if (key === 'VERSION_ID') versionId = value;
      }
      let family = Object.hasOwn(FAMILY_BY_ID, id) ? FAMILY_BY_ID[id] : undefined;
      if (!family || versionId === '') return undefined;
      if (family === 'centos' && name === 'CentOS Stream') family = 'centos-stream';
      return { os: { Family: family, Name: versionId } };
    },
  };
}

/** strings.Trim(value, `"'`): any run of either quote at both ends. */
function trimQuotes(value: string): string {
  return value.replace(/^["']+/, '').replace(/["']+$/, '');
}
