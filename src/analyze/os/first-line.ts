/**
 * The release files Trivy reads as "first line is the version": etc/debian_version (family debian) and
 * etc/alpine-release (family alpine).
 */
import type { FileAnalyzer } from '../analyzer.js';
import { scanLines } from '../text.js';

function firstLineAnalyzer(type: string, path: string, family: 'debian' | 'alpine'): FileAnalyzer {
  return {
    kind: 'file',
    type,
    version: 1,
    required: (file) => file.path === path,
    analyze(_file, content) {
      const line = scanLines(content)[0];
      return line === undefined ? undefined : { os: { Family: family, Name: line } };
    },
  };
}

export function createDebianAnalyzer(): FileAnalyzer {
  return firstLineAnalyzer('debian', 'etc/debian_version', 'debian');
}

export function createAlpineAnalyzer(): FileAnalyzer {
  return firstLineAnalyzer('alpine', 'etc/alpine-release', 'alpine');
}
