// trivy-db's stored types (tdb:pkg/types/types.go), with Go's field names so that values read here and
// values in Trivy's JSON line up one to one. Optional fields are absent when Go would hold a zero value.

/** types.Status: an index into STATUSES. Stored as an integer. */
export const STATUSES = [
  'unknown',
  'not_affected',
  'affected',
  'fixed',
  'under_investigation',
  'will_not_fix',
  'fix_deferred',
  'end_of_life',
] as const;
export type StatusName = (typeof STATUSES)[number];

/** types.Severity: an index into SEVERITIES. */
export const SEVERITIES = ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type SeverityName = (typeof SEVERITIES)[number];

/** Status.String(): out-of-range values read as "unknown", as in Trivy. */
export function statusName(status: number): StatusName {
  return STATUSES[status] ?? 'unknown';
}

/** Severity.String(); Trivy would panic on an out-of-range index, here it is "UNKNOWN". */
export function severityName(severity: number): SeverityName {
  return SEVERITIES[severity] ?? 'UNKNOWN';
}

export interface DataSource {
  ID?: string;
  Name?: string;
  URL?: string;
  BaseID?: string;
}

export interface Advisory {
  /** The bucket key; filled in at read time (empty in the stored JSON). */
  VulnerabilityID: string;
  VendorIDs?: readonly string[];
  OSes?: readonly string[];
  Arches?: readonly string[];
  /** Index into STATUSES; 0 when absent. */
  Status: number;
  /** Index into SEVERITIES; 0 when absent. */
  Severity: number;
  FixedVersion?: string;
  AffectedVersion?: string;
  VulnerableVersions?: readonly string[];
  PatchedVersions?: readonly string[];
  UnaffectedVersions?: readonly string[];
  DataSource?: DataSource;
  Custom?: unknown;
}

/** types.Advisories: the per-arch shape some OS sources store (Oracle, Rocky, …). */
export interface Advisories {
  FixedVersion?: string;
  Entries?: readonly Advisory[];
  Custom?: unknown;
}

export interface CVSS {
  V2Vector?: string;
  V3Vector?: string;
  V40Vector?: string;
  V2Score?: number;
  V3Score?: number;
  V40Score?: number;
}

export interface Vulnerability {
  Title?: string;
  Description?: string;
  /** Deprecated in trivy-db, still stored: a severity name such as "HIGH". */
  Severity?: string;
  CweIDs?: readonly string[];
  /** Source ID → index into SEVERITIES. */
  VendorSeverity?: Record<string, number>;
  CVSS?: Record<string, CVSS>;
  References?: readonly string[];
  /** RFC 3339, as stored. */
  PublishedDate?: string;
  LastModifiedDate?: string;
  Custom?: unknown;
}
