/**
 * Trivy's system-file filter post-handler (pkg/fanal/handler/sysfile/filter.go): within one layer, language
 * applications and packages whose file is owned by the OS package manager (dpkg md5sums, rpm file lists, apk
 * R: lines) are dropped, e.g. /usr/lib/python3/dist-packages/*.egg-info installed by apt is not a python-pkg.
 */
import type { Application, BlobInfo } from './types.js';

// Python 2.7's bundled metadata files that Trivy always treats as system files.
const DEFAULT_SYSTEM_FILES = [
  'usr/lib/python2.7/argparse.egg-info',
  'usr/lib/python2.7/lib-dynload/Python-2.7.egg-info',
  'usr/lib/python2.7/wsgiref.egg-info',
];

export function filterSystemFiles(blob: BlobInfo, systemInstalledFiles: readonly string[]): void {
  if (!blob.Applications) return;
  const system = new Set(DEFAULT_SYSTEM_FILES);
  for (const file of systemInstalledFiles) {
    const trimmed = file.replace(/^\/+/, '');
    if (trimmed !== '') system.add(trimmed);
  }
  const kept: Application[] = [];
  for (const app of blob.Applications) {
    if (app.FilePath && system.has(app.FilePath)) continue;
    // Trivy keeps an application whose packages were all filtered out (with an empty list).
    kept.push({ ...app, Packages: app.Packages.filter((pkg) => !pkg.FilePath || !system.has(pkg.FilePath)) });
  }
  if (kept.length > 0) blob.Applications = kept;
  else delete blob.Applications;
}
