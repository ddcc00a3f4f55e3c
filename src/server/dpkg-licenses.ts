/**
 * Debian package licences from a Trivy client. Trivy's dpkg licence analyser sends each
 * usr/share/doc/<package>/copyright file's licences as a licence file of type "dpkg" in the layer's blob, and
 * Trivy's ApplyLayers (pkg/fanal/applier/docker.go) merges those files across layers by path, as it merges
 * package databases (a later layer's whiteouts and opaque directories remove earlier ones), then gives each
 * package the licences of the file named after it. Vigil's own analysers do not send such files; this does
 * Trivy's part for blobs that carry them, before the layers are merged, by setting the licences on the
 * packages in every layer (the merge keeps a package's fields).
 */
import type { WireBlobInfo } from '../rpc/index.js';

function removed(path: string, deleted: string): boolean {
  return path === deleted || path.startsWith(`${deleted}/`);
}

/** Copies of the blobs with dpkg licences set on the packages they name; blobs without any are returned as is. */
export function applyDpkgLicenses(blobs: readonly WireBlobInfo[]): WireBlobInfo[] {
  if (!blobs.some((b) => b.Licenses?.some((l) => l.Type === 'dpkg'))) return [...blobs];
  const files = new Map<string, { pkg: string; names: string[] }>();
  for (const blob of blobs) {
    const deletions = [
      ...(blob.OpaqueDirs ?? []).map((d) => d.replace(/\/$/, '')),
      ...(blob.WhiteoutFiles ?? []),
    ];
    for (const path of [...files.keys()]) if (deletions.some((d) => removed(path, d))) files.delete(path);
    for (const file of blob.Licenses ?? []) {
      if (file.Type === 'dpkg' && file.PkgName)
        files.set(file.FilePath, { pkg: file.PkgName, names: file.Names });
    }
  }
  const byPackage = new Map<string, string[]>();
  for (const { pkg, names } of files.values()) byPackage.set(pkg, names);
  return blobs.map((blob) => {
    if (!blob.PackageInfos) return blob;
    return {
      ...blob,
      PackageInfos: blob.PackageInfos.map((info) => ({
        ...info,
        Packages: info.Packages.map((p) => {
          const names = byPackage.get(p.Name);
          return names === undefined ? p : { ...p, Licenses: [...names] };
        }),
      })),
    };
  });
}
