/**
 * etc/apk/repositories (trivy:pkg/fanal/analyzer/repo/apk): the Alpine release the package repositories
 * point at, e.g. `https://dl-cdn.alpinelinux.org/alpine/v3.19/main` → Repository{alpine, 3.19}. The highest
 * version wins, `edge` beats any; lines of another distribution make the file unusable. Trivy uses it when
 * no OS was detected and the Alpine driver prefers it.
 */
import { compareGeneric } from '../../version/generic.js';
import type { FileAnalyzer } from '../analyzer.js';
import { scanLines } from '../text.js';

const URL = /(https*|ftp):\/\/[0-9A-Za-z.-]+\/([A-Za-z]+)\/v?([0-9A-Za-z_.-]+)\//;
const EDGE = 'edge';

function newer(a: string, b: string): boolean {
  try {
    return compareGeneric(b, a) > 0;
  } catch {
    return false;
  }
}

export function createApkRepositoriesAnalyzer(): FileAnalyzer {
  return {
    kind: 'file',
    type: 'apk-repo',
    version: 1,
    required: (file) => file.path === 'etc/apk/repositories',
    analyze(_file, content) {
      let family = '';
      let release = '';
      for (const line of scanLines(content)) {
        const match = URL.exec(line);
        if (!match) continue;
        const lineFamily = match[2] ?? '';
        const version = match[3] ?? '';
        if (family !== '' && family !== lineFamily) return undefined;
        family = lineFamily;
        if (release === '') release = version;
        else if (release === EDGE || version === EDGE) release = EDGE;
        else if (newer(release, version)) release = version;
      }
      if (family !== 'alpine' || release === '') return undefined;
      return { repository: { Family: 'alpine', Release: release } };
    },
  };
}
