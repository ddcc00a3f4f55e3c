/**
 * What detection reads and writes, with Trivy's field names and meanings so that values line up one to one
 * with Trivy's fanal types (pkg/fanal/types) and its report types (pkg/types/vulnerability.go).
 *
 * The input types are structural supersets of src/analyze/types.ts: an analysed Package, Application, OS or
 * Repository can be passed as is. They add what detection needs and the analysers may not produce yet
 * (Identifier, BuildInfo). Optional fields are absent when Go would hold a zero value.
 */
import type { CVSS, DataSource, StatusName } from '../vulndb/index.js';

export interface OS {
  /** Trivy's OS family, e.g. "debian", "redhat", "azurelinux" (pkg/fanal/types/const.go). */
  Family: string;
  /** The version as detected, e.g. "10.1", "3.10.2", "2 (Karoo)". */
  Name: string;
  /** End of service life; set by detection. */
  Eosl?: boolean;
  /** Ubuntu ESM (or another extended support programme) is enabled. */
  Extended?: boolean;
}

/** What /etc/apk/repositories says (Alpine): preferred over the OS version when it differs. */
export interface Repository {
  Family: string;
  Release: string;
}

export interface Layer {
  Size?: number;
  Digest?: string;
  DiffID?: string;
  CreatedBy?: string;
}

export interface PkgIdentifier {
  PURL?: string;
  UID?: string;
  BOMRef?: string;
}

/** Red Hat build information from /root/buildinfo (content sets and the image's NVR). */
export interface BuildInfo {
  ContentSets?: readonly string[];
  Nvr?: string;
  Arch?: string;
}

export interface Location {
  StartLine?: number;
  EndLine?: number;
}

/** Trivy's Relationship enum: 0 unknown, 1 root, 2 workspace, 3 direct, 4 indirect. */
export type RelationshipValue = 0 | 1 | 2 | 3 | 4;

export interface Package {
  ID?: string;
  Name: string;
  Identifier?: PkgIdentifier;
  Version: string;
  Release?: string;
  Epoch?: number;
  Arch?: string;
  Dev?: boolean;
  SrcName?: string;
  SrcVersion?: string;
  SrcRelease?: string;
  SrcEpoch?: number;
  Licenses?: readonly string[];
  Maintainer?: string;
  /** Red Hat modularity label, e.g. "nodejs:12:8030020201124152102:229f0a1c". */
  Modularitylabel?: string;
  BuildInfo?: BuildInfo;
  /** Where the package came from; third-party packages are not matched against OS advisories. */
  Repository?: { Class?: string };
  Indirect?: boolean;
  Relationship?: RelationshipValue;
  DependsOn?: readonly string[];
  Layer?: Layer;
  FilePath?: string;
  Digest?: string;
  Locations?: readonly Location[];
  InstalledFiles?: readonly string[];
  AnalyzedBy?: string;
}

export interface Application {
  /** Trivy's language type, e.g. "node-pkg", "python-pkg", "jar", "gobinary". */
  Type: string;
  /** Empty for aggregated applications (the target becomes "Node.js", "Python", …). */
  FilePath?: string;
  Packages: readonly Package[];
}

/** Trivy's types.ScanTarget: everything detection needs about one artifact. */
export interface ScanTarget {
  /** The artifact name, e.g. "alpine:3.19"; the OS result's target is "<Name> (<family> <version>)". */
  Name: string;
  OS: OS;
  Repository?: Repository;
  Packages: readonly Package[];
  Applications: readonly Application[];
}

/** Trivy's types.DetectedVulnerability, the embedded types.Vulnerability flattened in. */
export interface DetectedVulnerability {
  VulnerabilityID: string;
  VendorIDs?: readonly string[];
  PkgID?: string;
  PkgName?: string;
  PkgPath?: string;
  PkgIdentifier?: PkgIdentifier;
  InstalledVersion?: string;
  FixedVersion?: string;
  /** Absent means unknown (status 0), which Go omits. */
  Status?: StatusName;
  Layer?: Layer;
  SeveritySource?: string;
  PrimaryURL?: string;
  DataSource?: DataSource;
  Fingerprint?: string;
  Custom?: unknown;
  // The embedded types.Vulnerability (its own Custom is shadowed by the one above, as in Go).
  Title?: string;
  Description?: string;
  /** A severity name: UNKNOWN, LOW, MEDIUM, HIGH or CRITICAL. */
  Severity?: string;
  CweIDs?: readonly string[];
  VendorSeverity?: Record<string, number>;
  CVSS?: Record<string, CVSS>;
  References?: readonly string[];
  PublishedDate?: string;
  LastModifiedDate?: string;
}

/** The result classes detection produces. */
export type ResultClass = 'os-pkgs' | 'lang-pkgs';

/** One result of detection, before report filtering (Trivy's types.Result for packages). */
export interface DetectionResult {
  Target: string;
  Class: ResultClass;
  Type: string;
  Packages: Package[];
  Vulnerabilities: DetectedVulnerability[];
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = Object.freeze({
  debug: () => {},
  info: () => {},
  warn: () => {},
});
