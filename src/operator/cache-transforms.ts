// What the operator's informer caches keep of each object (the informer's `transform`, applied before an
// object is stored or handed to a handler). With 5,000 Pods and 5,000 reports of 50 findings cached, the full
// objects made the operator's peak RSS ~500 MiB, about its memory limit; nearly all of it was report findings
// (~30 KiB of heap per report) and metadata.managedFields, which nothing here reads.
//
// Readers of the caches get these slim objects. Whoever needs more reads it from the API server: a report
// written from another workload's result GETs that report (reconcilers/workload.ts writeReused), and a FAILED
// rescan GETs the report it keeps the findings of (writeReport).
import type { VulnerabilityReport } from '../k8s/crds/index.js';
import type { KubeObject } from '../k8s/index.js';
import { scannedThroughController } from './workload/index.js';
import type { ContainerStatus, Pod, PodStatus } from './workload/types.js';

/** The object without metadata.managedFields (server-side apply bookkeeping; often larger than the rest). */
export function withoutManagedFields<T extends KubeObject>(object: T): T {
  const metadata = object.metadata;
  if (!metadata || !('managedFields' in metadata)) return object;
  const { managedFields: _dropped, ...rest } = metadata;
  return { ...object, metadata: rest };
}

/** The fields of a finding that trivy_vulnerability_id exports (metrics/report-collector.ts). */
const METRIC_FINDING_FIELDS = [
  'vulnerabilityID',
  'resource',
  'installedVersion',
  'fixedVersion',
  'publishedDate',
  'lastModifiedDate',
  'severity',
  'title',
  'score',
  'target',
  'class',
  'packageType',
  'packagePath',
] as const;

export interface ReportCacheOptions {
  /**
   * OPERATOR_METRICS_VULN_ID_ENABLED: keep each finding's metric fields (no description, links, CVSS), as the
   * trivy_vulnerability_id gauge is computed from the cache on every scrape. Off: no findings are cached.
   */
  keepFindingsForMetrics: boolean;
}

/**
 * A report as the cache keeps it: metadata (no managedFields), status, every other root field, and `report`
 * with the summary, artifact, registry, os, scanner and updateTimestamp but without `vulnerabilities` (or
 * with only their metric fields). The CRD requires `report.vulnerabilities`, so writing a slim report back by
 * mistake is refused by the API server rather than silently dropping the findings.
 */
export function slimReport(
  options: ReportCacheOptions,
): (report: VulnerabilityReport) => VulnerabilityReport {
  return (object) => {
    const report = withoutManagedFields(object);
    const data = report.report as Partial<VulnerabilityReport['report']> | undefined;
    if (!data || typeof data !== 'object' || !('vulnerabilities' in data)) return report;
    const { vulnerabilities, ...rest } = data;
    if (!options.keepFindingsForMetrics || !Array.isArray(vulnerabilities))
      return { ...report, report: rest as VulnerabilityReport['report'] };
    const findings = vulnerabilities.map((v) => {
      const kept: Record<string, unknown> = {};
      for (const field of METRIC_FINDING_FIELDS) if (v[field] !== undefined) kept[field] = v[field];
      return kept;
    });
    return {
      ...report,
      report: { ...rest, vulnerabilities: findings } as unknown as VulnerabilityReport['report'],
    };
  };
}

function slimStatuses(statuses: ContainerStatus[] | undefined): ContainerStatus[] | undefined {
  return statuses?.map((s) => ({
    name: s.name,
    ...(s.image === undefined ? {} : { image: s.image }),
    ...(s.imageID === undefined ? {} : { imageID: s.imageID }),
    ...(s.state === undefined ? {} : { state: s.state }),
  }));
}

/**
 * A Pod as the cache keeps it. Status: phase and, per container, name, image, imageID and state (the running
 * digest and whether it may still come). Spec: whole for a Pod that is its own workload (its spec is hashed
 * and becomes the scan Job's pod spec); only the containers' names and images for one whose controller is
 * scanned instead (a ReplicaSet's, a Job's…), which is read only for its running digests.
 */
export function slimPod(object: KubeObject): KubeObject {
  const pod = withoutManagedFields(object) as Pod;
  const status: PodStatus | undefined = pod.status && {
    ...(pod.status.phase === undefined ? {} : { phase: pod.status.phase }),
    ...(pod.status.containerStatuses
      ? { containerStatuses: slimStatuses(pod.status.containerStatuses) }
      : {}),
    ...(pod.status.initContainerStatuses
      ? { initContainerStatuses: slimStatuses(pod.status.initContainerStatuses) }
      : {}),
    ...(pod.status.ephemeralContainerStatuses
      ? { ephemeralContainerStatuses: slimStatuses(pod.status.ephemeralContainerStatuses) }
      : {}),
  };
  const spec = pod.spec;
  const names = (containers: Array<{ name: string; image?: string }> | undefined) =>
    containers?.map((c) => ({ name: c.name, ...(c.image === undefined ? {} : { image: c.image }) }));
  const slimSpec =
    spec && scannedThroughController(pod)
      ? {
          containers: names(spec.containers) ?? [],
          ...(spec.initContainers ? { initContainers: names(spec.initContainers) } : {}),
          ...(spec.ephemeralContainers ? { ephemeralContainers: names(spec.ephemeralContainers) } : {}),
        }
      : spec;
  const { spec: _spec, status: _status, ...rest } = pod;
  return {
    ...rest,
    ...(slimSpec === undefined ? {} : { spec: slimSpec }),
    ...(status === undefined ? {} : { status }),
  };
}

/**
 * A Secret as the cache keeps it: metadata only. The operator's Secret cache exists for the TTL reconciler,
 * which reads annotations and labels; the credentials in `data` are never kept in memory longer than a write.
 */
export function secretMetadataOnly(object: KubeObject): KubeObject {
  const { data: _data, stringData: _stringData, ...rest } = withoutManagedFields(object);
  return rest;
}
