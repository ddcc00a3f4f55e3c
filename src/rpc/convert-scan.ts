/**
 * trivy.scanner.v1 messages and Vigil's detection and report model (trivy:pkg/rpc/convert.go
 * ConvertToRPCScanResponse / ConvertFromRPCResults / ConvertToRPCVulns / ConvertFromRPCVulns, and
 * pkg/rpc/server ToOptions for the options' defaults). Severities travel as enum values and come back as names;
 * statuses as integers; dates as Timestamps (so they come back in UTC); an advisory's Custom travels as a
 * google.protobuf.Value holding its JSON text, and comes back as that text, as a Go client reads it.
 */
import { create } from '@bufbuild/protobuf';
import { type Value, ValueSchema } from '@bufbuild/protobuf/wkt';
import type { DetectedVulnerability, DetectionResult, Layer, OS, Package } from '../detect/index.js';
import type { Result } from '../report/index.js';
import { SEVERITIES, STATUSES, severityName, statusName } from '../vulndb/index.js';
import {
  compact,
  formatTimestamp,
  fromRpcLayer,
  fromRpcOS,
  fromRpcPackage,
  fromRpcPkgIdentifier,
  timestampOf,
  toRpcLayer,
  toRpcOS,
  toRpcPackage,
  toRpcPkgIdentifier,
} from './convert-common.js';
import {
  CVSSSchema,
  DataSourceSchema,
  type Vulnerability as RpcVulnerability,
  Severity,
  VulnerabilitySchema,
} from './gen/rpc/common/service_pb.js';
import {
  ResultSchema,
  type Result as RpcResult,
  type ScanOptions as RpcScanOptions,
  type ScanResponse as RpcScanResponse,
  ScanOptionsSchema,
  type ScanRequest,
  ScanRequestSchema,
  ScanResponseSchema,
} from './gen/rpc/scanner/service_pb.js';

export const RELATIONSHIPS = ['unknown', 'root', 'workspace', 'direct', 'indirect'] as const;
export type RelationshipName = (typeof RELATIONSHIPS)[number];

/** Trivy's types.ScanOptions as its server derives them from the request (defaults filled in). */
export interface WireScanOptions {
  /** `os`, `library`; empty scans no packages, as in Trivy. */
  pkgTypes: string[];
  /** `vuln`, `misconfig`, `secret`, `license`, `sbom`. */
  scanners: string[];
  includeDevDeps: boolean;
  /** Valid names only; every relationship when the request named none. */
  pkgRelationships: RelationshipName[];
  /** An OS to scan as instead of the detected one (family and name only, as Trivy takes them). */
  distro?: { Family: string; Name: string };
  /** `["auto"]` when the request named none. */
  vulnSeveritySources: string[];
  licenseFull: boolean;
  licenseCategories: Record<string, string[]>;
}

export function fromRpcScanOptions(
  options: RpcScanOptions | undefined,
  warn?: (message: string) => void,
): WireScanOptions {
  const relationships = (options?.pkgRelationships ?? []).filter((r): r is RelationshipName => {
    const ok = (RELATIONSHIPS as readonly string[]).includes(r);
    if (!ok) warn?.(`Invalid relationship: ${r}`);
    return ok;
  });
  const categories: Record<string, string[]> = {};
  for (const [category, licenses] of Object.entries(options?.licenseCategories ?? {})) {
    categories[category] = [...licenses.names];
  }
  return {
    pkgTypes: [...(options?.pkgTypes ?? [])],
    scanners: [...(options?.scanners ?? [])],
    includeDevDeps: options?.includeDevDeps ?? false,
    pkgRelationships: relationships.length > 0 ? relationships : [...RELATIONSHIPS],
    ...(options?.distro ? { distro: { Family: options.distro.family, Name: options.distro.name } } : {}),
    vulnSeveritySources:
      options && options.vulnSeveritySources.length > 0 ? [...options.vulnSeveritySources] : ['auto'],
    licenseFull: options?.licenseFull ?? false,
    licenseCategories: categories,
  };
}

export interface ScanRequestInput {
  target: string;
  artifactId: string;
  blobIds: readonly string[];
  options: Partial<Omit<WireScanOptions, 'distro'>> & { distro?: { Family: string; Name: string } };
}

export function toRpcScanRequest(input: ScanRequestInput): ScanRequest {
  const o = input.options;
  return create(ScanRequestSchema, {
    target: input.target,
    artifactId: input.artifactId,
    blobIds: [...input.blobIds],
    options: create(ScanOptionsSchema, {
      pkgTypes: [...(o.pkgTypes ?? [])],
      scanners: [...(o.scanners ?? [])],
      includeDevDeps: o.includeDevDeps ?? false,
      pkgRelationships: [...(o.pkgRelationships ?? [])],
      distro: o.distro ? toRpcOS(o.distro) : undefined,
      vulnSeveritySources: [...(o.vulnSeveritySources ?? [])],
      licenseFull: o.licenseFull ?? false,
      licenseCategories: Object.fromEntries(
        Object.entries(o.licenseCategories ?? {}).map(([k, names]) => [k, { names: [...names] }]),
      ),
    }),
  });
}

// ---- vulnerabilities ----

/** dbTypes.NewSeverity: a name to its enum value; anything else is UNKNOWN (Go logs and carries on). */
function severityValue(name: string | undefined): Severity {
  const index = (SEVERITIES as readonly string[]).indexOf(name ?? '');
  return index < 0 ? Severity.UNKNOWN : (index as Severity);
}

function customValue(custom: unknown): Value | undefined {
  if (custom === undefined || custom === null) return undefined;
  return create(ValueSchema, { kind: { case: 'stringValue', value: JSON.stringify(custom) } });
}

/** structpb.Value.AsInterface for the shapes a Go server sends. */
function valueAsInterface(value: Value | undefined): unknown {
  if (value === undefined) return undefined;
  switch (value.kind.case) {
    case 'stringValue':
    case 'numberValue':
    case 'boolValue':
      return value.kind.value;
    case 'nullValue':
    case undefined:
      return null;
    case 'listValue':
      return value.kind.value.values.map(valueAsInterface);
    case 'structValue':
      return Object.fromEntries(
        Object.entries(value.kind.value.fields).map(([k, v]) => [k, valueAsInterface(v)]),
      );
  }
}

export function toRpcVulnerability(v: DetectedVulnerability): RpcVulnerability {
  const cvss: Record<string, ReturnType<typeof create<typeof CVSSSchema>>> = {};
  for (const [vendor, c] of Object.entries(v.CVSS ?? {})) {
    cvss[vendor] = create(CVSSSchema, {
      v2Vector: c.V2Vector ?? '',
      v3Vector: c.V3Vector ?? '',
      v40Vector: c.V40Vector ?? '',
      v2Score: c.V2Score ?? 0,
      v3Score: c.V3Score ?? 0,
      v40Score: c.V40Score ?? 0,
    });
  }
  const vendorSeverity: Record<string, Severity> = {};
  for (const [vendor, s] of Object.entries(v.VendorSeverity ?? {})) vendorSeverity[vendor] = s as Severity;
  return create(VulnerabilitySchema, {
    vulnerabilityId: v.VulnerabilityID,
    vendorIds: [...(v.VendorIDs ?? [])],
    pkgId: v.PkgID ?? '',
    pkgName: v.PkgName ?? '',
    pkgPath: v.PkgPath ?? '',
    installedVersion: v.InstalledVersion ?? '',
    fixedVersion: v.FixedVersion ?? '',
    pkgIdentifier: toRpcPkgIdentifier(v.PkgIdentifier),
    status: Math.max(0, (STATUSES as readonly string[]).indexOf(v.Status ?? 'unknown')),
    title: v.Title ?? '',
    description: v.Description ?? '',
    severity: severityValue(v.Severity),
    vendorSeverity,
    references: [...(v.References ?? [])],
    layer: toRpcLayer(v.Layer),
    cvss,
    severitySource: v.SeveritySource ?? '',
    cweIds: [...(v.CweIDs ?? [])],
    primaryUrl: v.PrimaryURL ?? '',
    lastModifiedDate: timestampOf(v.LastModifiedDate),
    publishedDate: timestampOf(v.PublishedDate),
    customAdvisoryData: customValue(v.Custom),
    dataSource: v.DataSource
      ? create(DataSourceSchema, {
          id: v.DataSource.ID ?? '',
          name: v.DataSource.Name ?? '',
          url: v.DataSource.URL ?? '',
        })
      : undefined,
  });
}

export function fromRpcVulnerability(v: RpcVulnerability): DetectedVulnerability {
  const cvss: NonNullable<DetectedVulnerability['CVSS']> = {};
  for (const [vendor, c] of Object.entries(v.cvss)) {
    cvss[vendor] = compact({
      V2Vector: c.v2Vector || undefined,
      V3Vector: c.v3Vector || undefined,
      V40Vector: c.v40Vector || undefined,
      V2Score: c.v2Score || undefined,
      V3Score: c.v3Score || undefined,
      V40Score: c.v40Score || undefined,
    });
  }
  const vendorSeverity: Record<string, number> = { ...v.vendorSeverity };
  const status = statusName(v.status);
  const layer = fromRpcLayer(v.layer);
  return compact<DetectedVulnerability>({
    VulnerabilityID: v.vulnerabilityId,
    VendorIDs: v.vendorIds.length > 0 ? [...v.vendorIds] : undefined,
    PkgID: v.pkgId || undefined,
    PkgName: v.pkgName || undefined,
    PkgPath: v.pkgPath || undefined,
    PkgIdentifier: fromRpcPkgIdentifier(v.pkgIdentifier),
    InstalledVersion: v.installedVersion || undefined,
    FixedVersion: v.fixedVersion || undefined,
    Status: status === 'unknown' ? undefined : status,
    Layer: Object.keys(layer).length > 0 ? layer : undefined,
    SeveritySource: v.severitySource || undefined,
    PrimaryURL: v.primaryUrl || undefined,
    DataSource: v.dataSource
      ? compact({
          ID: v.dataSource.id || undefined,
          Name: v.dataSource.name || undefined,
          URL: v.dataSource.url || undefined,
        })
      : undefined,
    Custom: valueAsInterface(v.customAdvisoryData),
    Title: v.title || undefined,
    Description: v.description || undefined,
    Severity: severityName(v.severity),
    CweIDs: v.cweIds.length > 0 ? [...v.cweIds] : undefined,
    VendorSeverity: Object.keys(vendorSeverity).length > 0 ? vendorSeverity : undefined,
    CVSS: Object.keys(cvss).length > 0 ? cvss : undefined,
    References: v.references.length > 0 ? [...v.references] : undefined,
    PublishedDate: v.publishedDate ? formatTimestamp(v.publishedDate) : undefined,
    LastModifiedDate: v.lastModifiedDate ? formatTimestamp(v.lastModifiedDate) : undefined,
  });
}

// ---- results ----

/** What the server's scan step returns (Trivy's types.ScanResponse for package results). */
export interface WireScanResponse {
  os: OS & { Supplier?: string };
  results: readonly (DetectionResult | Result)[];
  layers: readonly Layer[];
}

export function toRpcResult(result: DetectionResult | Result): RpcResult {
  return create(ResultSchema, {
    target: result.Target,
    class: result.Class ?? '',
    type: result.Type ?? '',
    packages: (result.Packages ?? []).map(toRpcPackage),
    vulnerabilities: (result.Vulnerabilities ?? []).map(toRpcVulnerability),
  });
}

export function toRpcScanResponse(response: WireScanResponse): RpcScanResponse {
  return create(ScanResponseSchema, {
    os: toRpcOS(response.os),
    results: response.results.map(toRpcResult),
    layers: response.layers.map(toRpcLayer),
  });
}

export function fromRpcResult(result: RpcResult): Result {
  return compact<Result>({
    Target: result.target,
    Class: result.class || undefined,
    Type: result.type || undefined,
    Packages:
      result.packages.length > 0 ? result.packages.map((p) => fromRpcPackage(p) as Package) : undefined,
    Vulnerabilities:
      result.vulnerabilities.length > 0 ? result.vulnerabilities.map(fromRpcVulnerability) : undefined,
  });
}

export interface ClientScanResponse {
  os: OS;
  results: Result[];
  layers: Layer[];
}

export function fromRpcScanResponse(response: RpcScanResponse): ClientScanResponse {
  return {
    os: fromRpcOS(response.os),
    results: response.results.map(fromRpcResult),
    layers: response.layers.map(fromRpcLayer),
  };
}
