/**
 * The analysis model. Field names and meanings mirror Trivy's fanal types (pkg/fanal/types: OS, Package,
 * PackageInfo, Application, BlobInfo, ArtifactDetail) so the scan server can map them one-to-one onto Trivy's
 * protobuf BlobInfo / PutBlob messages (trivy-internals §4.2). Optional fields are left out when empty, as
 * Trivy's `omitempty` does.
 */

/** OS families as Trivy spells them (pkg/fanal/types/const.go). */
export type OSFamily =
  | 'alma'
  | 'alpine'
  | 'amazon'
  | 'azurelinux'
  | 'bottlerocket'
  | 'cbl-mariner'
  | 'centos'
  | 'centos-stream'
  | 'chainguard'
  | 'coreos'
  | 'debian'
  | 'echo'
  | 'fedora'
  | 'minimos'
  | 'opensuse'
  | 'opensuse-leap'
  | 'opensuse-tumbleweed'
  | 'oracle'
  | 'photon'
  | 'redhat'
  | 'rocky'
  | 'slem'
  | 'sles'
  | 'ubuntu'
  | 'wolfi'
  | 'activestate';

export interface OS {
  Family: OSFamily | '';
  Name: string;
  Eosl?: boolean;
  Extended?: boolean;
}

/** A layer reference as packages carry it: compressed digest and uncompressed diff id. */
export interface Layer {
  Digest?: string;
  DiffID?: string;
}

export type RepositoryClass = 'official' | 'third-party';

/** Trivy's Relationship enum (unknown=0, root, workspace, direct, indirect). */
export const Relationship = { unknown: 0, root: 1, workspace: 2, direct: 3, indirect: 4 } as const;
export type RelationshipValue = (typeof Relationship)[keyof typeof Relationship];

export interface Location {
  StartLine: number;
  EndLine: number;
}

export interface Package {
  ID?: string;
  Name: string;
  Version: string;
  Release?: string;
  Epoch?: number;
  Arch?: string;
  SrcName?: string;
  SrcVersion?: string;
  SrcRelease?: string;
  SrcEpoch?: number;
  Licenses?: string[];
  Maintainer?: string;
  Modularitylabel?: string;
  Repository?: { Class: RepositoryClass };
  Indirect?: boolean;
  Relationship?: RelationshipValue;
  DependsOn?: string[];
  Dev?: boolean;
  Layer?: Layer;
  FilePath?: string;
  /** `md5:<hex>`, `sha1:<hex>` or `sha256:<hex>`, as Trivy's digest.Digest. */
  Digest?: string;
  Locations?: Location[];
  /** Files the OS package manager installed (absolute paths, as Trivy keeps them). */
  InstalledFiles?: string[];
}

/** The OS packages one package-database file lists. */
export interface PackageInfo {
  FilePath: string;
  Packages: Package[];
}

/** Trivy's language types for the analysers Vigil has. */
export type LangType =
  | 'node-pkg'
  | 'python-pkg'
  | 'gobinary'
  | 'rustbinary'
  | 'jar'
  | 'gemspec'
  | 'composer-vendor'
  | 'dotnet-core'
  | 'conda-pkg';

export interface Application {
  Type: LangType;
  /** Empty for the aggregated applications (node-pkg, python-pkg, gemspec, jar, conda-pkg) after merging. */
  FilePath?: string;
  Packages: Package[];
}

export interface Repository {
  Family: OSFamily | '';
  Release: string;
}

/** BlobInfo.SchemaVersion: a Trivy server treats any other value as a missing blob. */
export const BLOB_SCHEMA_VERSION = 2;

/** What one layer contributes (Trivy's BlobInfo). */
export interface BlobInfo {
  SchemaVersion: typeof BLOB_SCHEMA_VERSION;
  /** Bytes of the uncompressed tar. */
  Size?: number;
  /** Digest of the compressed blob; empty for an uncompressed layer (as Trivy). */
  Digest?: string;
  DiffID?: string;
  CreatedBy?: string;
  /** Directories with an opaque whiteout, each with a trailing `/` (e.g. `etc/`). */
  OpaqueDirs?: string[];
  /** Paths deleted by `.wh.<name>` entries (e.g. `etc/hostname`). */
  WhiteoutFiles?: string[];
  OS?: OS;
  Repository?: Repository;
  PackageInfos?: PackageInfo[];
  Applications?: Application[];
}

/** The merged view of all layers (Trivy's ArtifactDetail). */
export interface ArtifactDetail {
  OS: OS;
  Repository?: Repository;
  Packages: Package[];
  Applications: Application[];
}
