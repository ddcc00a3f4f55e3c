/**
 * python-pkg (trivy:pkg/fanal/analyzer/language/python/packaging): `METADATA` files of `.dist-info`
 * directories and egg metadata (`*.egg-info` files, `*.egg-info/PKG-INFO|METADATA`, `EGG-INFO/PKG-INFO`), read
 * as RFC 822 headers. Name and Version are required. Licence: License-Expression, else the `License ::`
 * classifiers (minus "OSI Approved"), else License; only a License-File is kept as `file://` reference.
 * Python packages carry no ID, as in Trivy.
 */
import type { FileAnalyzer } from '../analyzer.js';
import { headerValue, parseMimeHeader } from '../text.js';
import type { Package } from '../types.js';
import { splitLicenses } from './licenses.js';

const EGG_SUFFIXES = ['EGG-INFO/PKG-INFO', '.egg-info', '.egg-info/PKG-INFO', '.egg-info/METADATA'];
const LICENSE_FILE_PREFIX = 'file://';

function isEggFile(path: string): boolean {
  return EGG_SUFFIXES.some((suffix) => path.endsWith(suffix));
}

function isMetadata(path: string): boolean {
  return path === 'METADATA' || path.endsWith('/METADATA');
}

export function parsePythonMetadata(text: string): Package {
  const headers = parseMimeHeader(text);
  const name = headerValue(headers, 'Name');
  const version = headerValue(headers, 'Version');
  if (name === '' || version === '') throw new Error('name or version is empty');
  let license = headerValue(headers, 'License-Expression');
  if (license === '') {
    const classifiers = (headers.get('classifier') ?? [])
      .filter((c) => c.startsWith('License :: '))
      .map((c) => c.split(' :: ').pop() ?? '')
      .filter((l) => l !== 'OSI Approved');
    license = classifiers.join(', ');
    if (classifiers.length === 0 && headerValue(headers, 'License') !== '')
      license = headerValue(headers, 'License');
  }
  if (license === '' && headerValue(headers, 'License-File') !== '') {
    license = LICENSE_FILE_PREFIX + headerValue(headers, 'License-File');
  }
  const licenses = license.startsWith(LICENSE_FILE_PREFIX) ? [] : splitLicenses(license);
  return { Name: name, Version: version, ...(licenses.length > 0 ? { Licenses: licenses } : {}) };
}

export function createPythonAnalyzer(): FileAnalyzer {
  return {
    kind: 'file',
    type: 'python-pkg',
    version: 2,
    // Trivy collects every file under .dist-info; only METADATA and egg metadata are ever parsed.
    required: (file) => (file.path.includes('.dist-info') && isMetadata(file.path)) || isEggFile(file.path),
    analyze(file, content) {
      const pkg = parsePythonMetadata(content.toString('utf8'));
      return {
        applications: [
          { Type: 'python-pkg', FilePath: file.path, Packages: [{ ...pkg, FilePath: file.path }] },
        ],
      };
    },
  };
}
