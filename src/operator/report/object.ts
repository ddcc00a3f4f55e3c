// The whole VulnerabilityReport object (metadata, report, Vigil's root status) and the write semantics of an
// update (trivy-operator.md §1.2 "Write semantics"; README decision 3).
import {
  AQUASECURITY_API_VERSION,
  REPORT_ANNOTATIONS,
  type VulnerabilityReport,
  type VulnerabilityReportData,
} from '../../k8s/crds/index.js';
import { reportAnnotations, reportLabels, reportName, VIGIL_REPORT_ANNOTATIONS } from './labels.js';

/** Vigil's visible scan outcome at the report's root (the CRD preserves unknown root fields). */
export interface ReportScanStatus {
  phase: 'Succeeded' | 'FAILED';
  /** Short CamelCase cause of a failure, e.g. "ScanJobFailed", "ReportTooLarge". */
  reason?: string;
  message?: string;
  /** RFC 3339: when the scan that produced this status ended. */
  lastScanTime: string;
  /** Consecutive failures; drives the retry backoff (README decision 8). */
  failedAttempts?: number;
}

/** A VulnerabilityReport as Vigil writes it. Reports written by Trivy Operator have no status. */
export type VigilVulnerabilityReport = VulnerabilityReport & { status?: ReportScanStatus };

export interface ReportOwnerObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid: string;
  labels?: Record<string, string>;
}

export interface BuildVulnerabilityReportInput {
  owner: ReportOwnerObject;
  container: string;
  specHash: string;
  /** The image reference as the container spec names it. */
  image: string;
  imageKey: string;
  data: VulnerabilityReportData;
  status: ReportScanStatus;
  /** Go duration text for the TTL annotation (`24h0m0s`); none when absent. */
  ttl?: string;
  resourceLabels: readonly string[];
  additionalLabels: Readonly<Record<string, string>>;
}

/**
 * The object to create: name, namespace, labels, annotations, one controller owner reference with
 * blockOwnerDeletion false (so the OwnerReferencesPermissionsEnforcement admission plugin does not demand
 * finalizers RBAC), the report data and the status. A FAILED status without failedAttempts counts as the first.
 */
export function buildVulnerabilityReport(input: BuildVulnerabilityReportInput): VigilVulnerabilityReport {
  const { owner } = input;
  const status: ReportScanStatus = { ...input.status };
  if (status.phase === 'FAILED' && status.failedAttempts === undefined) status.failedAttempts = 1;
  const annotationInput = { owner, image: input.image, imageKey: input.imageKey };
  return {
    apiVersion: AQUASECURITY_API_VERSION,
    kind: 'VulnerabilityReport',
    metadata: {
      name: reportName(owner.kind, owner.name, input.container),
      namespace: owner.namespace,
      labels: reportLabels({
        owner,
        container: input.container,
        specHash: input.specHash,
        resourceLabels: input.resourceLabels,
        additionalLabels: input.additionalLabels,
      }),
      annotations: reportAnnotations(
        input.ttl === undefined ? annotationInput : { ...annotationInput, ttl: input.ttl },
      ),
      ownerReferences: [
        {
          apiVersion: owner.apiVersion,
          kind: owner.kind,
          name: owner.name,
          uid: owner.uid,
          controller: true,
          blockOwnerDeletion: false,
        },
      ],
    },
    report: input.data,
    status,
  };
}

/** Annotations that describe the `report` data; they travel with it. */
const DATA_ANNOTATIONS: readonly string[] = [
  VIGIL_REPORT_ANNOTATIONS.imageKey,
  VIGIL_REPORT_ANNOTATIONS.image,
  VIGIL_REPORT_ANNOTATIONS.reportReduced,
];

/** Annotations Vigil owns on a report: rewritten by an update, unlike anyone else's. */
const OWNED_ANNOTATIONS: readonly string[] = [...DATA_ANNOTATIONS, REPORT_ANNOTATIONS.resourceName];

/**
 * The object to PUT over `existing` (Trivy Operator's createOrUpdate, plus Vigil's status):
 * - metadata of `existing` is kept (resourceVersion for the optimistic update, creationTimestamp — the TTL is
 *   measured from it —, uid, finalizers, other people's annotations);
 * - labels and ownerReferences are replaced by `desired`'s;
 * - annotations: the ones Vigil owns are replaced by `desired`'s; the TTL annotation stays as it is (an update
 *   never resets the TTL; `desired`'s is only added when there is none);
 * - success: `report` and `status` are replaced;
 * - failure (`desired.status.phase` FAILED): the existing `report` and the annotations describing it are kept,
 *   status becomes FAILED with `failedAttempts` one more than the existing FAILED status (1 after a success).
 */
export function mergeForUpdate(
  existing: VigilVulnerabilityReport,
  desired: VigilVulnerabilityReport,
): VigilVulnerabilityReport {
  const failed = desired.status?.phase === 'FAILED';
  const before = existing.metadata.annotations ?? {};
  const wanted = desired.metadata.annotations ?? {};
  const annotations: Record<string, string> = {};
  for (const [key, value] of Object.entries(before)) {
    if (!OWNED_ANNOTATIONS.includes(key)) annotations[key] = value;
  }
  for (const [key, value] of Object.entries(wanted)) {
    if (key === REPORT_ANNOTATIONS.reportTTL) {
      if (annotations[key] === undefined) annotations[key] = value;
    } else if (!(failed && DATA_ANNOTATIONS.includes(key))) {
      annotations[key] = value;
    }
  }
  if (failed) {
    for (const key of DATA_ANNOTATIONS) {
      const value = before[key];
      if (value !== undefined) annotations[key] = value;
    }
  }
  const metadata = {
    ...existing.metadata,
    labels: { ...(desired.metadata.labels ?? {}) },
    annotations,
  };
  if (desired.metadata.ownerReferences !== undefined)
    metadata.ownerReferences = desired.metadata.ownerReferences;
  if (!failed) return { ...existing, metadata, report: desired.report, status: desired.status };
  const previous = existing.status;
  const status: ReportScanStatus = {
    ...(desired.status as ReportScanStatus),
    failedAttempts: previous?.phase === 'FAILED' ? (previous.failedAttempts ?? 1) + 1 : 1,
  };
  return { ...existing, metadata, report: existing.report, status };
}
