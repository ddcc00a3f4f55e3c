/**
 * Ubuntu: etc/lsb-release (`DISTRIB_ID=Ubuntu` then `DISTRIB_RELEASE=`), and Ubuntu Pro's
 * var/lib/ubuntu-advantage/status.json, whose enabled `esm-infra` service marks the OS as Extended (ESM).
 */
import type { FileAnalyzer } from '../analyzer.js';
import { scanLines } from '../text.js';

export function createUbuntuAnalyzer(): FileAnalyzer {
  return {
    kind: 'file',
    type: 'ubuntu',
    version: 1,
    required: (file) => file.path === 'etc/lsb-release',
    analyze(_file, content) {
      let isUbuntu = false;
      for (const line of scanLines(content)) {
        if (line === 'DISTRIB_ID=Ubuntu') {
          isUbuntu = true;
          continue;
        }
        if (isUbuntu && line.startsWith('DISTRIB_RELEASE=')) {
          return { os: { Family: 'ubuntu', Name: line.slice('DISTRIB_RELEASE='.length).trim() } };
        }
      }
      return undefined;
    },
  };
}

export function createUbuntuESMAnalyzer(): FileAnalyzer {
  return {
    kind: 'file',
    type: 'ubuntu-esm',
    version: 1,
    required: (file) => file.path === 'var/lib/ubuntu-advantage/status.json',
    analyze(_file, content) {
      const status = JSON.parse(content.toString('utf8')) as {
        services?: Array<{ name?: string; status?: string }>;
      };
      const enabled = (status.services ?? []).some((s) => s.name === 'esm-infra' && s.status === 'enabled');
      return enabled ? { os: { Family: 'ubuntu', Name: '', Extended: true } } : undefined;
    },
  };
}
