// Report names, labels and annotations as Trivy Operator writes them (trivy-operator.md §1.2), plus the
// annotations Vigil adds (never renames): the image key (README decision 2) and the full image reference.
import { MANAGED_BY_VALUE, REPORT_ANNOTATIONS, REPORT_LABELS } from '../../k8s/crds/index.js';
import { computeHash } from '../workload/hash.js';

/** Annotations only Vigil writes. */
export const VIGIL_REPORT_ANNOTATIONS = Object.freeze({
  /** `registry/repository@digest` or `registry/repository:tag` (README decision 2). */
  imageKey: 'vigil.aquasecurity.github.io/image-key',
  /** The image reference as the workload's container names it. */
  image: 'vigil.aquasecurity.github.io/image',
  /** What fitReport dropped to stay under the API server's size limit. */
  reportReduced: 'vigil.aquasecurity.github.io/report-reduced',
});

/** What the report needs to know about the workload that owns it. */
export interface ReportOwner {
  kind: string;
  name: string;
  /** "" for cluster-scoped owners. */
  namespace: string;
  labels?: Record<string, string>;
}

const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
const MAX_LABEL_VALUE = 63;

/** k8s validation.IsValidLabelValue: empty, or ≤63 characters of [A-Za-z0-9-_.] starting and ending alphanumeric. */
export function isValidLabelValue(value: string): boolean {
  return value.length <= MAX_LABEL_VALUE && LABEL_VALUE.test(value);
}

/**
 * `<lower(kind)>-<owner>-<container>`, or `<lower(kind)>-<hash(owner-container)>` when that is not a valid label
 * value (too long or odd characters), as Trivy Operator's ReportBuilder.reportName. The hash differs from
 * Trivy Operator's (it hashes a Go struct dump), which only matters for names, never for lookups (labels).
 */
export function reportName(kind: string, ownerName: string, container: string): string {
  const prefix = kind.toLowerCase();
  const name = `${prefix}-${ownerName}-${container}`;
  if (isValidLabelValue(name)) return name;
  return `${prefix}-${computeHash(`${ownerName}-${container}`)}`;
}

/**
 * The owner's identity labels (kube.ObjectToObjectMeta): kind, namespace and the name, or its hash when the
 * name is not a valid label value; the full name then goes into the annotation of the same key.
 */
export function ownerLabels(owner: Pick<ReportOwner, 'kind' | 'name' | 'namespace'>): {
  labels: Record<string, string>;
  annotations: Record<string, string>;
} {
  const labels: Record<string, string> = {
    [REPORT_LABELS.resourceKind]: owner.kind,
    [REPORT_LABELS.resourceNamespace]: owner.namespace,
  };
  const annotations: Record<string, string> = {};
  if (isValidLabelValue(owner.name)) {
    labels[REPORT_LABELS.resourceName] = owner.name;
  } else {
    labels[REPORT_LABELS.resourceNameHash] = computeHash(owner.name);
    annotations[REPORT_ANNOTATIONS.resourceName] = owner.name;
  }
  return { labels, annotations };
}

export interface ReportLabelsInput {
  owner: ReportOwner;
  container: string;
  /** `resource-spec-hash`; left out when "" (Trivy Operator does the same). */
  specHash: string;
  /** Label keys copied from the owner when it has them (`report.resourceLabels`). */
  resourceLabels: readonly string[];
  /** `report.additionalLabels`. */
  additionalLabels: Readonly<Record<string, string>>;
}

/**
 * The report's labels in Trivy Operator's order of precedence: container, managed-by and spec hash; then the
 * copied owner labels; then the configured extra labels; the owner identity labels last, so neither copied
 * nor configured labels can break the lookup by owner.
 */
export function reportLabels(input: ReportLabelsInput): Record<string, string> {
  const labels: Record<string, string> = {
    [REPORT_LABELS.containerName]: input.container,
    [REPORT_LABELS.managedBy]: MANAGED_BY_VALUE,
  };
  if (input.specHash !== '') labels[REPORT_LABELS.resourceSpecHash] = input.specHash;
  const ownerHas = input.owner.labels ?? {};
  for (const key of input.resourceLabels) {
    const value = ownerHas[key];
    if (value !== undefined) labels[key] = value;
  }
  Object.assign(labels, input.additionalLabels);
  Object.assign(labels, ownerLabels(input.owner).labels);
  return labels;
}

export interface ReportAnnotationsInput {
  owner: Pick<ReportOwner, 'kind' | 'name' | 'namespace'>;
  /** The image reference as written in the container spec. */
  image: string;
  /** README decision 2's key for the image. */
  imageKey: string;
  /** Go duration text (`24h0m0s`); no annotation when absent. */
  ttl?: string;
}

/** TTL (Trivy Operator), the full owner name when hashed (Trivy Operator), image key and image (Vigil). */
export function reportAnnotations(input: ReportAnnotationsInput): Record<string, string> {
  const annotations: Record<string, string> = {};
  if (input.ttl !== undefined) annotations[REPORT_ANNOTATIONS.reportTTL] = input.ttl;
  Object.assign(annotations, ownerLabels(input.owner).annotations);
  annotations[VIGIL_REPORT_ANNOTATIONS.imageKey] = input.imageKey;
  annotations[VIGIL_REPORT_ANNOTATIONS.image] = input.image;
  return annotations;
}
