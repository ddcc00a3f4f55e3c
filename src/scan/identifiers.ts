/**
 * What Trivy's ApplyLayers adds to every package once layers are merged (trivy:pkg/fanal/applier/docker.go):
 * a PURL (OS packages only when an OS was detected) and a UID. Trivy's UID is a hashstructure hash of the Go
 * struct, which cannot be reproduced outside Go; Vigil's is a 64-bit hash of the same inputs (file path and
 * package), printed the same way (lower-case hex, no leading zeros), stable across runs.
 */
import { createHash } from 'node:crypto';
import type { ArtifactDetail } from '../analyze/index.js';
import type { Application, OS, Package, ScanTarget } from '../detect/index.js';
import { packageUrl } from './purl.js';

export function packageUid(filePath: string, pkg: Package): string {
  const { Identifier: _identifier, Layer: _layer, ...fields } = pkg;
  const digest = createHash('sha256')
    .update(JSON.stringify({ filePath, pkg: fields }))
    .digest();
  return digest.readBigUInt64BE(0).toString(16);
}

function identify(pkg: Package, purl: string | undefined, filePath: string): Package {
  const identifier = { ...pkg.Identifier };
  if (identifier.PURL === undefined && purl !== undefined) identifier.PURL = purl;
  if (identifier.UID === undefined) identifier.UID = packageUid(filePath, pkg);
  return { ...pkg, Identifier: identifier };
}

/** The detection input for a merged artifact, every package with its PURL and UID. */
export function scanTargetOf(name: string, detail: ArtifactDetail): ScanTarget {
  const os: OS = detail.OS;
  const packages = detail.Packages.map((pkg) =>
    identify(pkg, os.Family !== '' ? packageUrl(os.Family, pkg, os) : undefined, ''),
  );
  const applications: Application[] = detail.Applications.map((app) => ({
    ...app,
    Packages: app.Packages.map((pkg) => identify(pkg, packageUrl(app.Type, pkg), app.FilePath ?? '')),
  }));
  return {
    Name: name,
    OS: os,
    ...(detail.Repository ? { Repository: detail.Repository } : {}),
    Packages: packages,
    Applications: applications,
  };
}
