/**
 * Amazon Linux (trivy:pkg/fanal/analyzer/os/amazonlinux): etc/system-release or usr/lib/system-release.
 * `Amazon Linux release 2 (Karoo)` → name `2 (Karoo)`; `Amazon Linux release 2023.6.20241010 (Amazon Linux)`
 * → `2023.6.20241010 (Amazon Linux)`; `Amazon Linux AMI release 2018.03` → `AMI release 2018.03`.
 */
import type { FileAnalyzer } from '../analyzer.js';
import { scanLines } from '../text.js';

export function createAmazonAnalyzer(): FileAnalyzer {
  return {
    kind: 'file',
    type: 'amazon',
    version: 1,
    required: (file) => file.path === 'etc/system-release' || file.path === 'usr/lib/system-release',
    analyze(_file, content) {
      for (const line of scanLines(content)) {
        const fields = line.split(/\s+/).filter((f) => f !== '');
        if (line.startsWith('Amazon Linux release 2')) {
          if (fields.length < 5) continue;
          return { os: { Family: 'amazon', Name: fields.slice(3).join(' ') } };
        }
        if (line.startsWith('Amazon Linux')) {
          return { os: { Family: 'amazon', Name: fields.slice(2).join(' ') } };
        }
      }
      return undefined;
    },
  };
}
