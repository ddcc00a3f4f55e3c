// Trivy's JSON report → the `report` of a VulnerabilityReport, as Trivy Operator builds it
// (trivy-operator.md §1.2; pkg/vulnerabilityreport/io.go and pkg/plugins/trivy/plugin.go), with one change:
// the score is chosen deterministically (see pickScore).

import { DOCKER_HUB, parseReference } from '../../image/index.js';
import type {
  Artifact,
  ReportRegistry,
  Severity,
  Vulnerability,
  VulnerabilityReportData,
  VulnerabilitySummary,
} from '../../k8s/crds/index.js';
import type { Report, Result } from '../../report/index.js';

type DetectedVulnerability = NonNullable<Result['Vulnerabilities']>[number];

/** Names accepted in `trivy.additionalVulnerabilityReportFields` (compared case-insensitively). */
export const ADDITIONAL_FIELDS = Object.freeze([
  'Description',
  'Links',
  'CVSS',
  'Target',
  'Class',
  'PackageType',
  'PackagePath',
] as const);

export const SCANNER_NAME = 'Trivy';
export const SCANNER_VENDOR = 'Aqua Security';

/** Trivy DB's severity numbers (types.Severity): 0 UNKNOWN … 4 CRITICAL. */
const SEVERITY_NAMES: readonly Severity[] = ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];

export interface BuildReportDataOptions {
  /** The image reference of the scanned container, as the workload names it. */
  image: string;
  /** `trivy.additionalVulnerabilityReportFields`, already split (e.g. ["Description", "Links"]). */
  additionalFields: readonly string[];
  now: Date;
  /** `trivy.tag` / the scanner's version. */
  scannerVersion: string;
}

interface FieldSwitches {
  description: boolean;
  links: boolean;
  cvss: boolean;
  target: boolean;
  class: boolean;
  packageType: boolean;
  packagePath: boolean;
}

function fieldSwitches(names: readonly string[]): FieldSwitches {
  const wanted = new Set(names.map((n) => n.trim().toLowerCase()));
  return {
    description: wanted.has('description'),
    links: wanted.has('links'),
    cvss: wanted.has('cvss'),
    target: wanted.has('target'),
    class: wanted.has('class'),
    packageType: wanted.has('packagetype'),
    packagePath: wanted.has('packagepath'),
  };
}

/** RFC 3339 to the second, as Go's `time.Format(time.RFC3339)`: fractions dropped, the offset kept. */
export function rfc3339(value: string | undefined): string {
  if (value === undefined || value === '') return '';
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.exec(value);
  if (match) {
    const zone = match[2]!.toUpperCase();
    return `${match[1]}${zone === '+00:00' ? 'Z' : zone}`;
  }
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? '' : parsed.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `report.updateTimestamp` and `status.lastScanTime`: UTC, whole seconds, as metav1.Time marshals. */
export function timestamp(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Trivy Operator: VendorSeverity[SeveritySource]; a missing entry is Go's zero value, UNKNOWN. */
export function vendorSeverity(v: DetectedVulnerability): Severity {
  const source = v.SeveritySource ?? '';
  const level = v.VendorSeverity?.[source];
  return (level !== undefined && SEVERITY_NAMES[level]) || 'UNKNOWN';
}

/**
 * The CVSS v3 score: a non-nvd vendor's wins over nvd's. Trivy Operator walks a Go map, so with several
 * vendors its pick is random (and may even land on a vendor without a v3 score while another has one); we take
 * the first vendor in name order that has a v3 score, then nvd, so a rescan never changes the score alone.
 */
export function pickScore(cvss: DetectedVulnerability['CVSS']): number | undefined {
  if (cvss === undefined) return undefined;
  for (const vendor of Object.keys(cvss).sort()) {
    if (vendor === 'nvd') continue;
    const score = cvss[vendor]?.V3Score;
    if (score !== undefined && score !== 0) return score;
  }
  const nvd = cvss.nvd?.V3Score;
  return nvd !== undefined && nvd !== 0 ? nvd : undefined;
}

function toVulnerability(result: Result, v: DetectedVulnerability, fields: FieldSwitches): Vulnerability {
  const out: Vulnerability = {
    vulnerabilityID: v.VulnerabilityID,
    resource: v.PkgName ?? '',
    installedVersion: v.InstalledVersion ?? '',
    fixedVersion: v.FixedVersion ?? '',
    publishedDate: rfc3339(v.PublishedDate),
    lastModifiedDate: rfc3339(v.LastModifiedDate),
    severity: vendorSeverity(v),
    title: v.Title ?? '',
    links: fields.links && v.References !== undefined ? [...v.References] : [],
  };
  if (v.PrimaryURL) out.primaryLink = v.PrimaryURL;
  const score = pickScore(v.CVSS);
  if (score !== undefined) out.score = score;
  if (fields.target && result.Target) out.target = result.Target;
  if (fields.class && result.Class) out.class = result.Class;
  if (fields.packageType && result.Type) out.packageType = result.Type;
  if (fields.packagePath && v.PkgPath) out.packagePath = v.PkgPath;
  if (v.PkgIdentifier?.PURL) out.packagePURL = v.PkgIdentifier.PURL;
  if (fields.description && v.Description) out.description = v.Description;
  if (fields.cvss && v.CVSS !== undefined && Object.keys(v.CVSS).length > 0) {
    out.cvss = Object.fromEntries(Object.entries(v.CVSS).map(([vendor, c]) => [vendor, { ...c }]));
  }
  return out;
}

/** CRITICAL/HIGH/MEDIUM/LOW counted; anything else is unknown; noneCount is always 0 (Trivy Operator's). */
export function summarize(vulnerabilities: readonly Pick<Vulnerability, 'severity'>[]): VulnerabilitySummary {
  const summary = {
    criticalCount: 0,
    highCount: 0,
    mediumCount: 0,
    lowCount: 0,
    unknownCount: 0,
    noneCount: 0,
  };
  for (const v of vulnerabilities) {
    switch (v.severity) {
      case 'CRITICAL':
        summary.criticalCount++;
        break;
      case 'HIGH':
        summary.highCount++;
        break;
      case 'MEDIUM':
        summary.mediumCount++;
        break;
      case 'LOW':
        summary.lowCount++;
        break;
      default:
        summary.unknownCount++;
    }
  }
  return summary;
}

/** An all-zero summary (the FAILED first scan). */
export function emptySummary(): VulnerabilitySummary {
  return { criticalCount: 0, highCount: 0, mediumCount: 0, lowCount: 0, unknownCount: 0, noneCount: 0 };
}

/**
 * registry.server and artifact.{repository, tag, digest} with go-containerregistry's reading of the reference:
 * Docker Hub is `index.docker.io`, single names get `library/`, no tag means `latest`. The digest comes from the
 * reference, else from `repoDigest` (`name@sha256:…`, Trivy's Metadata.RepoDigests[0]). Unlike Trivy Operator,
 * a `name:tag@digest` reference keeps its tag as written (Trivy Operator derives it by trimming strings and
 * can end up with `nginx:1.16` or `nginx` as the tag); a bare `name@digest` has no tag.
 * Throws when the reference is not valid, naming it.
 */
export function imageArtifact(
  image: string,
  repoDigest?: string,
): { registry: ReportRegistry; artifact: Artifact } {
  let ref: ReturnType<typeof parseReference>;
  try {
    ref = parseReference(image);
  } catch (error) {
    throw new Error(
      `cannot build a VulnerabilityReport for image ${JSON.stringify(image)}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const registry = { server: ref.registry === DOCKER_HUB ? 'index.docker.io' : ref.registry };
  const artifact: Artifact = { repository: ref.repository };
  if (ref.tag !== undefined) artifact.tag = ref.tag;
  const digest = ref.digest ?? digestOf(repoDigest);
  if (digest !== undefined) artifact.digest = digest;
  return { registry, artifact };
}

function digestOf(repoDigest: string | undefined): string | undefined {
  if (repoDigest === undefined) return undefined;
  const at = repoDigest.indexOf('@');
  const digest = at === -1 ? '' : repoDigest.slice(at + 1);
  return digest === '' ? undefined : digest;
}

/**
 * The whole `report` for one container's scan: every Result's vulnerabilities in Trivy's order, the summary
 * over all of them, scanner, registry/artifact from `image`, os from Metadata.OS.
 */
export function buildReportData(trivy: Report, options: BuildReportDataOptions): VulnerabilityReportData {
  const fields = fieldSwitches(options.additionalFields);
  const vulnerabilities: Vulnerability[] = [];
  for (const result of trivy.Results ?? []) {
    for (const v of result.Vulnerabilities ?? []) vulnerabilities.push(toVulnerability(result, v, fields));
  }
  const { registry, artifact } = imageArtifact(options.image, trivy.Metadata?.RepoDigests?.[0]);
  const os: VulnerabilityReportData['os'] = {};
  const detected = trivy.Metadata?.OS;
  if (detected !== undefined) {
    if (detected.Family) os.family = detected.Family;
    if (detected.Name) os.name = detected.Name;
    // Trivy's JSON spells it EOSL (the Go field is Eosl); a report parsed from JSON has the JSON name.
    if ((detected as { EOSL?: boolean }).EOSL || detected.Eosl) os.eosl = true;
  }
  return {
    updateTimestamp: timestamp(options.now),
    scanner: { name: SCANNER_NAME, vendor: SCANNER_VENDOR, version: options.scannerVersion },
    registry,
    artifact,
    os,
    summary: summarize(vulnerabilities),
    vulnerabilities,
  };
}

export interface FailedReportDataOptions {
  image: string;
  now: Date;
  scannerVersion: string;
  /** A digest known without a scan (e.g. the pod's imageID `…@sha256:…`). */
  repoDigest?: string;
}

/**
 * The `report` of a first scan that failed: nothing found yet, zero summary, the artifact still filled from the
 * image reference so `kubectl get vulns` shows which image failed. An image reference that does not parse (which
 * may be why the scan failed) is kept as the repository instead of throwing.
 */
export function failedReportData(options: FailedReportDataOptions): VulnerabilityReportData {
  let registry: ReportRegistry | undefined;
  let artifact: Artifact;
  try {
    ({ registry, artifact } = imageArtifact(options.image, options.repoDigest));
  } catch {
    artifact = { repository: options.image };
  }
  const data: VulnerabilityReportData = {
    updateTimestamp: timestamp(options.now),
    scanner: { name: SCANNER_NAME, vendor: SCANNER_VENDOR, version: options.scannerVersion },
    artifact,
    os: {},
    summary: emptySummary(),
    vulnerabilities: [],
  };
  if (registry !== undefined) data.registry = registry;
  return data;
}
