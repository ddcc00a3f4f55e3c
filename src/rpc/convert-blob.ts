/**
 * BlobInfo and ArtifactInfo between Vigil's analysis model and trivy.cache.v1 (trivy:pkg/rpc/convert.go
 * ConvertToRPCPutBlobRequest / ConvertFromRPCPutBlobRequest and the artifact pair). A blob sent always says
 * schema 2, as Go's client does whatever it holds; a blob received keeps the schema it came with, because the
 * cache must treat any other value as missing.
 */
import { create } from '@bufbuild/protobuf';
import { BLOB_SCHEMA_VERSION, type BlobInfo } from '../analyze/index.js';
import type { BuildInfo } from '../detect/index.js';
import {
  compact,
  formatTimestamp,
  fromRpcApplication,
  fromRpcOS,
  fromRpcPackage,
  fromRpcPackageInfo,
  fromRpcRepository,
  type PackageLike,
  timestampOf,
  toRpcApplication,
  toRpcOS,
  toRpcPackage,
  toRpcPackageInfo,
  toRpcRepository,
  type WirePackage,
} from './convert-common.js';
import {
  ArtifactInfoSchema,
  BlobInfoSchema,
  type PutArtifactRequest,
  PutArtifactRequestSchema,
  type PutBlobRequest,
  PutBlobRequestSchema,
  type ArtifactInfo as RpcArtifactInfo,
  type BlobInfo as RpcBlobInfo,
} from './gen/rpc/cache/service_pb.js';
import {
  BuildInfoSchema,
  LicenseType_Enum,
  type BuildInfo as RpcBuildInfo,
  type LicenseFile as RpcLicenseFile,
} from './gen/rpc/common/service_pb.js';

/** Trivy's ArtifactInfo schema; a cache treats any other value as missing. */
export const ARTIFACT_SCHEMA_VERSION = 1;

/**
 * A blob as the wire carries it. SchemaVersion is a plain number here because a client may send any value;
 * only 2 is usable. BuildInfo is the Red Hat content-set information Trivy's clients read from
 * /root/buildinfo.
 */
export interface WireBlobInfo extends Omit<BlobInfo, 'SchemaVersion'> {
  SchemaVersion: number;
  BuildInfo?: BuildInfo;
  /** Licence files a Trivy client found (dpkg copyright files among them). */
  Licenses?: WireLicenseFile[];
}

/** Trivy's LicenseFile: `Type` is "dpkg", "header" or "license-file" (LicenseTypeMap in convert.go). */
export interface WireLicenseFile {
  Type: string;
  FilePath: string;
  PkgName?: string;
  /** The names of its findings, in order. */
  Names: string[];
}

const LICENSE_TYPES: Readonly<Record<number, string>> = {
  [LicenseType_Enum.DPKG]: 'dpkg',
  [LicenseType_Enum.HEADER]: 'header',
  [LicenseType_Enum.LICENSE_FILE]: 'license-file',
};

function fromRpcLicenseFile(file: RpcLicenseFile): WireLicenseFile {
  return compact<WireLicenseFile>({
    Type: LICENSE_TYPES[file.licenseType] ?? '',
    FilePath: file.filePath,
    PkgName: file.pkgName || undefined,
    Names: file.fingings.map((f) => f.name),
  });
}

/** Trivy's fanal ArtifactInfo: facts from the image config. */
export interface WireArtifactInfo {
  SchemaVersion: number;
  Architecture?: string;
  /** RFC 3339. */
  Created?: string;
  DockerVersion?: string;
  OS?: string;
  HistoryPackages?: WirePackage[];
}

function toRpcBuildInfo(info: BuildInfo | undefined): RpcBuildInfo | undefined {
  return (
    info &&
    create(BuildInfoSchema, {
      contentSets: [...(info.ContentSets ?? [])],
      nvr: info.Nvr ?? '',
      arch: info.Arch ?? '',
    })
  );
}

function fromRpcBuildInfo(info: RpcBuildInfo | undefined): BuildInfo | undefined {
  if (info === undefined) return undefined;
  return compact<BuildInfo>({
    ContentSets: info.contentSets.length > 0 ? [...info.contentSets] : undefined,
    Nvr: info.nvr || undefined,
    Arch: info.arch || undefined,
  });
}

export function toRpcBlobInfo(blob: BlobInfo & { BuildInfo?: BuildInfo }): RpcBlobInfo {
  return create(BlobInfoSchema, {
    schemaVersion: BLOB_SCHEMA_VERSION,
    os: toRpcOS(blob.OS ?? {}),
    repository: toRpcRepository(blob.Repository),
    packageInfos: (blob.PackageInfos ?? []).map(toRpcPackageInfo),
    applications: (blob.Applications ?? []).map(toRpcApplication),
    opaqueDirs: [...(blob.OpaqueDirs ?? [])],
    whiteoutFiles: [...(blob.WhiteoutFiles ?? [])],
    digest: blob.Digest ?? '',
    diffId: blob.DiffID ?? '',
    size: BigInt(blob.Size ?? 0),
    createdBy: blob.CreatedBy ?? '',
    buildInfo: toRpcBuildInfo(blob.BuildInfo),
  });
}

/** `key` is the blob's cache key (the request's misnamed `diff_id`). */
export function toRpcPutBlobRequest(key: string, blob: BlobInfo & { BuildInfo?: BuildInfo }): PutBlobRequest {
  return create(PutBlobRequestSchema, { diffId: key, blobInfo: toRpcBlobInfo(blob) });
}

/**
 * What Vigil's apply step gets. Misconfigurations, secrets, licence files and custom resources travel in the
 * message (and stay in the server's cache) but Vigil's scan does not use them.
 */
export function fromRpcBlobInfo(blob: RpcBlobInfo): WireBlobInfo {
  const os = fromRpcOS(blob.os);
  return compact<WireBlobInfo>({
    SchemaVersion: blob.schemaVersion,
    Size: blob.size === 0n ? undefined : Number(blob.size),
    Digest: blob.digest || undefined,
    DiffID: blob.diffId || undefined,
    CreatedBy: blob.createdBy || undefined,
    OpaqueDirs: blob.opaqueDirs.length > 0 ? [...blob.opaqueDirs] : undefined,
    WhiteoutFiles: blob.whiteoutFiles.length > 0 ? [...blob.whiteoutFiles] : undefined,
    // An absent OS message and an empty one mean the same: nothing detected in this layer.
    OS: os.Family || os.Name ? os : undefined,
    Repository: fromRpcRepository(blob.repository),
    PackageInfos: blob.packageInfos.length > 0 ? blob.packageInfos.map(fromRpcPackageInfo) : undefined,
    Applications: blob.applications.length > 0 ? blob.applications.map(fromRpcApplication) : undefined,
    BuildInfo: fromRpcBuildInfo(blob.buildInfo),
    Licenses: blob.licenses.length > 0 ? blob.licenses.map(fromRpcLicenseFile) : undefined,
  });
}

export function toRpcArtifactInfo(
  info: Omit<WireArtifactInfo, 'HistoryPackages'> & { HistoryPackages?: readonly PackageLike[] },
): RpcArtifactInfo {
  return create(ArtifactInfoSchema, {
    schemaVersion: info.SchemaVersion,
    architecture: info.Architecture ?? '',
    // Go sends the zero time when the config has none; so does this.
    created: timestampOf(info.Created) ?? timestampOf('0001-01-01T00:00:00Z'),
    dockerVersion: info.DockerVersion ?? '',
    os: info.OS ?? '',
    historyPackages: (info.HistoryPackages ?? []).map(toRpcPackage),
  });
}

export function toRpcPutArtifactRequest(
  artifactId: string,
  info: Parameters<typeof toRpcArtifactInfo>[0],
): PutArtifactRequest {
  return create(PutArtifactRequestSchema, { artifactId, artifactInfo: toRpcArtifactInfo(info) });
}

export function fromRpcArtifactInfo(info: RpcArtifactInfo): WireArtifactInfo {
  return compact<WireArtifactInfo>({
    SchemaVersion: info.schemaVersion,
    Architecture: info.architecture || undefined,
    Created: info.created ? formatTimestamp(info.created) : undefined,
    DockerVersion: info.dockerVersion || undefined,
    OS: info.os || undefined,
    HistoryPackages: info.historyPackages.length > 0 ? info.historyPackages.map(fromRpcPackage) : undefined,
  });
}
