/**
 * Merges per-layer BlobInfos, bottom layer first, into one ArtifactDetail with Trivy's ApplyLayers semantics
 * (trivy:pkg/fanal/applier/docker.go):
 * - results live in a tree keyed by file path; a layer's opaque directories and whiteouts first delete what
 *   lower layers put under those paths, then its own package files and applications are set, so a later
 *   `var/lib/dpkg/status` replaces the earlier one and a deleted status file takes its packages with it;
 * - the OS is merged with OS.Merge;
 * - each OS package is attributed to the first layer whose package lists hold the same name, version and
 *   release (and takes that layer's installed files); each language package to the first layer whose
 *   application at the same file path holds it;
 * - OS packages are de-duplicated by ID (or name@version) and file path;
 * - node-pkg, python-pkg, gemspec, jar and conda-pkg applications are aggregated into one application each.
 * PURLs and UIDs are left to the report stage.
 */
import { AnalyzeError } from './errors.js';
import { emptyOS, mergeOS } from './merge-os.js';
import { comparePackages, sortMergedApplications } from './order.js';
import type {
  Application,
  ArtifactDetail,
  BlobInfo,
  LangType,
  Layer,
  Package,
  PackageInfo,
} from './types.js';

const AGGREGATING_TYPES: readonly LangType[] = ['python-pkg', 'conda-pkg', 'gemspec', 'node-pkg', 'jar'];

type Leaf = { kind: 'ospkg'; info: PackageInfo } | { kind: 'app'; app: Application };

interface TreeNode {
  children: Map<string, TreeNode>;
  leaves: Map<string, Leaf>;
}

function node(): TreeNode {
  return { children: new Map(), leaves: new Map() };
}

function deletePath(root: TreeNode, path: string): void {
  const parts = path.split('/');
  const last = parts.pop();
  if (last === undefined) return;
  let current: TreeNode | undefined = root;
  for (const part of parts) {
    current = current.children.get(part);
    if (!current) return;
  }
  current.children.delete(last);
}

function setLeaf(root: TreeNode, filePath: string, key: string, leaf: Leaf): void {
  let current = root;
  for (const part of filePath.split('/')) {
    let next = current.children.get(part);
    if (!next) {
      next = node();
      current.children.set(part, next);
    }
    current = next;
  }
  current.leaves.set(key, leaf);
}

function collect(root: TreeNode, out: Leaf[]): void {
  for (const leaf of root.leaves.values()) out.push(leaf);
  for (const child of root.children.values()) collect(child, out);
}

function samePackage(a: Package, b: Package): boolean {
  return a.Name === b.Name && a.Version === b.Version && (a.Release ?? '') === (b.Release ?? '');
}

function layerOf(blob: BlobInfo): Layer {
  return { ...(blob.Digest ? { Digest: blob.Digest } : {}), ...(blob.DiffID ? { DiffID: blob.DiffID } : {}) };
}

/** Trivy's utils.FormatVersion: `[epoch:]version[-release]`. */
export function formatVersion(pkg: Package): string {
  let version = pkg.Version;
  if (pkg.Release) version = `${version}-${pkg.Release}`;
  if (pkg.Epoch) version = `${pkg.Epoch}:${version}`;
  return version;
}

export function applyLayers(layers: readonly BlobInfo[]): ArtifactDetail {
  const root = node();
  let os = emptyOS();
  let repository: ArtifactDetail['Repository'];

  for (const layer of layers) {
    for (const dir of layer.OpaqueDirs ?? []) deletePath(root, dir.replace(/\/$/, ''));
    for (const file of layer.WhiteoutFiles ?? []) deletePath(root, file);
    os = mergeOS(os, layer.OS);
    if (layer.Repository) repository = layer.Repository;
    for (const info of layer.PackageInfos ?? []) {
      setLeaf(root, info.FilePath, 'type:ospkg', { kind: 'ospkg', info });
    }
    for (const app of layer.Applications ?? []) {
      setLeaf(root, app.FilePath ?? '', `type:${app.Type}`, { kind: 'app', app });
    }
  }

  const leaves: Leaf[] = [];
  collect(root, leaves);

  let packages: Package[] = [];
  const applications: Application[] = [];
  for (const leaf of leaves) {
    if (leaf.kind === 'ospkg') packages.push(...leaf.info.Packages.map((p) => ({ ...p })));
    else applications.push({ ...leaf.app, Packages: leaf.app.Packages.map((p) => ({ ...p })) });
  }

  for (const pkg of packages) {
    if (pkg.Layer?.Digest || pkg.Layer?.DiffID) continue;
    const origin = originOfOSPackage(pkg, layers);
    pkg.Layer = origin ? layerOf(origin.layer) : {};
    if (origin?.pkg.InstalledFiles) pkg.InstalledFiles = origin.pkg.InstalledFiles;
    else delete pkg.InstalledFiles;
  }

  const seen = new Set<string>();
  packages = packages.filter((pkg) => {
    const key = `${pkg.ID || `${pkg.Name}@${formatVersion(pkg)}`}/${pkg.FilePath ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });

  for (const app of applications) {
    for (const pkg of app.Packages) {
      if (pkg.Layer?.Digest || pkg.Layer?.DiffID) continue;
      const origin = layers.find((layer) =>
        (layer.Applications ?? []).some(
          (candidate) =>
            (candidate.FilePath ?? '') === (app.FilePath ?? '') &&
            candidate.Packages.some((p) => samePackage(p, pkg)),
        ),
      );
      pkg.Layer = origin ? layerOf(origin) : {};
    }
  }

  return {
    OS: os,
    ...(repository ? { Repository: repository } : {}),
    Packages: packages.sort(comparePackages),
    Applications: sortMergedApplications(aggregate(applications)),
  };
}

function originOfOSPackage(
  pkg: Package,
  layers: readonly BlobInfo[],
): { layer: BlobInfo; pkg: Package } | undefined {
  for (const layer of layers) {
    for (const info of layer.PackageInfos ?? []) {
      const found = info.Packages.find((candidate) => samePackage(candidate, pkg));
      if (found) return { layer, pkg: found };
    }
  }
  return undefined;
}

function aggregate(applications: Application[]): Application[] {
  const kept: Application[] = [];
  const merged = new Map<LangType, Package[]>();
  for (const app of applications) {
    if (!AGGREGATING_TYPES.includes(app.Type)) {
      kept.push(app);
      continue;
    }
    const list = merged.get(app.Type) ?? [];
    list.push(...app.Packages);
    merged.set(app.Type, list);
  }
  for (const type of AGGREGATING_TYPES) {
    const list = merged.get(type);
    if (list && list.length > 0) kept.push({ Type: type, Packages: list.sort(comparePackages) });
  }
  return kept;
}

/**
 * Trivy's applier outcome: ErrUnknownOS when no layer had an OS, ErrNoPkgsDetected when one did but no OS
 * packages were found. The detail stays usable either way (language packages are still scanned).
 */
export function checkArtifactDetail(detail: ArtifactDetail): AnalyzeError | undefined {
  if (detail.OS.Family === '') {
    return new AnalyzeError('ANALYZE_UNKNOWN_OS', 'no OS was detected in any layer (unknown OS)');
  }
  if (detail.Packages.length === 0) {
    return new AnalyzeError(
      'ANALYZE_NO_PACKAGES',
      `OS ${detail.OS.Family} ${detail.OS.Name} was detected but no OS packages were found`,
    );
  }
  return undefined;
}
