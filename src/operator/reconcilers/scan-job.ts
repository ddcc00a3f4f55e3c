// The scan-job reconciler (key: the Job's "namespace/name": the operator namespace, or any workload namespace
// with scanJobsInSameNamespace; a bare name means the operator namespace). When a scan Job has finished it reads
// each container's result through pods/log, writes the owner's VulnerabilityReports (Succeeded, or FAILED with
// the reason per README decision 3, plus an Event), deletes the Job (unless scanJobTTL leaves it to the
// TTL-after-finished controller) and wakes the workloads that waited for its images. It is idempotent: a
// finished Job whose reports are already written (a restart between the write and the delete) is only cleaned
// up, so nothing is scanned or written twice.
import { REPORT_ANNOTATIONS, REPORT_LABELS, type VulnerabilityReport } from '../../k8s/crds/index.js';
import {
  apiVersionOf,
  type Clock,
  KubeApiError,
  type KubeClient,
  type KubeObject,
  type Logger,
  type ReconcileResult,
  splitKey,
} from '../../k8s/index.js';
import { jobImageKeys, type ScanCoordinator } from '../coordinator.js';
import type { EventRecorder } from '../events.js';
import { buildReportData, buildVulnerabilityReport, failedReportData, fitReport } from '../report/index.js';
import {
  containerOutcomes,
  decodeScanOutput,
  failureReason,
  jobOutcome,
  type Pod,
} from '../scan-job/index.js';
import { isWorkloadKind, WORKLOAD_TYPES, type WorkloadKind, workloadKey } from '../workload/index.js';
import { type OperatorCaches, REPORT_OWNER_INDEX, writeReport } from './workload.js';

/** Annotation Trivy Operator puts on scan Jobs: JSON `{container: image}` of the containers in the Job. */
export const CONTAINER_IMAGES_ANNOTATION = 'trivy-operator.container-images';

export interface ScanJobSettings {
  /** Where Jobs are when the key names no namespace. */
  operatorNamespace: string;
  /** scanJobTTL set: finished Jobs are left for the TTL-after-finished controller. */
  keepFinishedJobs: boolean;
  additionalFields: readonly string[];
  scannerVersion: string;
  reportTTL?: string;
  resourceLabels: readonly string[];
  additionalLabels: Readonly<Record<string, string>>;
}

export interface ScanJobReconcilerMetrics {
  jobFinished(outcome: 'succeeded' | 'failed', seconds: number): void;
  reportWritten(phase: 'Succeeded' | 'FAILED'): void;
}

export interface ScanJobReconcilerOptions {
  client: KubeClient;
  clock: Clock;
  logger: Logger;
  caches: OperatorCaches;
  coordinator: ScanCoordinator;
  events: EventRecorder;
  settings: ScanJobSettings;
  metrics: ScanJobReconcilerMetrics;
  /** Puts a workload key on the workload controller's queue. */
  enqueueWorkload: (key: string) => void;
}

/** How long a finished Job's cleanup waits for the reports cache to show the reports just written. */
export const REPORT_CACHE_WAIT_MS = 10_000;

/** Whether `seen` is `written` or a later version of it (etcd resourceVersions are integers). */
function resourceVersionAtLeast(seen: KubeObject, written: KubeObject): boolean {
  const a = seen.metadata?.resourceVersion ?? '';
  const b = written.metadata?.resourceVersion ?? '';
  if (a === b) return true;
  return /^\d+$/.test(a) && /^\d+$/.test(b) && BigInt(a) > BigInt(b);
}

interface JobOwner {
  kind: WorkloadKind;
  namespace: string;
  name: string;
}

/** The workload a scan Job was made for, from its Trivy Operator labels (full name from the annotation). */
export function jobOwner(job: KubeObject): JobOwner | undefined {
  const labels = job.metadata?.labels ?? {};
  const kind = labels[REPORT_LABELS.resourceKind];
  const namespace = labels[REPORT_LABELS.resourceNamespace];
  const name =
    labels[REPORT_LABELS.resourceName] ?? job.metadata?.annotations?.[REPORT_ANNOTATIONS.resourceName];
  if (!kind || !isWorkloadKind(kind) || !namespace || !name) return undefined;
  return { kind, namespace, name };
}

function parseJsonMap(text: string | undefined): Record<string, string> {
  if (!text) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return Object.fromEntries(
        Object.entries(parsed as Record<string, unknown>).filter(([, v]) => typeof v === 'string'),
      ) as Record<string, string>;
    }
  } catch {
    // malformed annotation: no containers
  }
  return {};
}

const seconds = (from?: string, to?: string) => {
  const a = Date.parse(from ?? '');
  const b = Date.parse(to ?? '');
  return Number.isFinite(a) && Number.isFinite(b) ? Math.max(0, (b - a) / 1000) : 0;
};

type ReportStatus = { phase?: string; lastScanTime?: string };
const statusOf = (report: VulnerabilityReport): ReportStatus =>
  (report as unknown as { status?: ReportStatus }).status ?? {};

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A container's outcome from containerOutcomes(pod), whatever collection shape it comes in. */
function outcomeOf(
  outcomes: unknown,
  container: string,
): { exitCode?: number; reason?: string; message?: string } | undefined {
  if (outcomes instanceof Map) return outcomes.get(container);
  if (Array.isArray(outcomes))
    return outcomes.find((o: { name?: string; container?: string }) => (o.name ?? o.container) === container);
  if (outcomes && typeof outcomes === 'object') return (outcomes as Record<string, never>)[container];
  return undefined;
}

export function createScanJobReconciler(options: ScanJobReconcilerOptions) {
  const { client, clock, logger, caches, coordinator, settings } = options;
  const nsOf = (job: KubeObject) => encodeURIComponent(job.metadata?.namespace ?? settings.operatorNamespace);

  /**
   * Resolves once the reports cache holds every report this reconcile wrote (at its resourceVersion or a
   * later one), or after REPORT_CACHE_WAIT_MS. What follows decides from that cache: the owner and the
   * waiters are enqueued, and this Job may be reconciled again before its deletion is seen. A cache that
   * lags the write makes the workload reconciler find neither a result nor a Job and scan the image again,
   * and a second reconcile of the finished Job (its pod already gone) write a bogus FAILED report.
   */
  function untilCached(written: readonly VulnerabilityReport[]): Promise<void> {
    const cached = (report: VulnerabilityReport) => {
      const seen = caches.reports.get(`${report.metadata.namespace}/${report.metadata.name}`);
      return seen !== undefined && resourceVersionAtLeast(seen, report);
    };
    if (written.every(cached)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        off();
        timer.cancel();
        resolve();
      };
      const check = () => {
        if (written.every(cached)) done();
      };
      const off = caches.reports.addEventHandler({ onAdd: check, onUpdate: check });
      const timer = clock.setTimer(() => {
        logger.debug('reports not in the cache in time; going on', {
          reports: written.map((r) => r.metadata.name),
        });
        done();
      }, REPORT_CACHE_WAIT_MS);
      check();
    });
  }

  async function findPod(job: KubeObject): Promise<Pod | undefined> {
    const uid = job.metadata?.uid;
    if (!uid) return undefined;
    for (const label of ['batch.kubernetes.io/controller-uid', 'controller-uid']) {
      const pods = await client.list<Pod>(`/api/v1/namespaces/${nsOf(job)}/pods`, {
        query: { labelSelector: `${label}=${uid}` },
      });
      if (pods.items.length > 0) {
        // The newest pod (backoffLimit 0 makes one, but a deleted-and-recreated one must not hide the result).
        return [...pods.items].sort((a, b) =>
          (b.metadata?.creationTimestamp ?? '').localeCompare(a.metadata?.creationTimestamp ?? ''),
        )[0];
      }
    }
    return undefined;
  }

  async function cleanup(job: KubeObject, owner: JobOwner | undefined): Promise<void> {
    const name = job.metadata?.name ?? '';
    if (!settings.keepFinishedJobs && !job.metadata?.deletionTimestamp) {
      // This Job and no other: a workload's Jobs share one name (README decision 5), so the next Job of the
      // same workload may exist already while a stale cache still shows this one; deleting by name alone
      // would remove that newer Job before it reports (409 = the uid differs: not ours to delete).
      await client
        .delete(`/apis/batch/v1/namespaces/${nsOf(job)}/jobs/${encodeURIComponent(name)}`, {
          query: { propagationPolicy: 'Background' },
          body: {
            apiVersion: 'v1',
            kind: 'DeleteOptions',
            ...(job.metadata?.uid ? { preconditions: { uid: job.metadata.uid } } : {}),
          },
        })
        .catch((error: unknown) => {
          if (!(error instanceof KubeApiError && (error.isNotFound || error.status === 409))) throw error;
        });
    }
    for (const key of coordinator.finished(name, jobImageKeys(job))) options.enqueueWorkload(key);
    if (owner) options.enqueueWorkload(workloadKey(owner.kind, owner.namespace, owner.name));
  }

  return async function reconcile(key: string): Promise<ReconcileResult | undefined> {
    const { namespace, name } = splitKey(key);
    // The coordinator knows Jobs by name: a name hashes the workload's kind/namespace/name (README decision
    // 5), so it is unique across namespaces.
    const job = caches.scanJobs.get(`${namespace ?? settings.operatorNamespace}/${name}`);
    if (!job) {
      // Gone (deleted by us, by its TTL, or by a person): only the waiters need to hear about it.
      for (const key of coordinator.finished(name)) options.enqueueWorkload(key);
      return undefined;
    }
    const outcome = jobOutcome(job);
    if (outcome === 'active') return undefined;
    const owner = jobOwner(job);
    const ownerObject = owner
      ? caches.workloads[owner.kind].get(`${owner.namespace}/${owner.name}`)
      : undefined;
    const jobStatus = job.status ?? {};
    const jobCreated = Date.parse(job.metadata?.creationTimestamp ?? '') || 0;
    const images = parseJsonMap(job.metadata?.annotations?.[CONTAINER_IMAGES_ANNOTATION]);
    const imageKeys = parseJsonMap(job.metadata?.annotations?.['vigil.aquasecurity.github.io/image-keys']);
    const specHash = job.metadata?.labels?.[REPORT_LABELS.resourceSpecHash] ?? '';

    if (!owner || !ownerObject || ownerObject.metadata?.uid === undefined) {
      logger.info('scan job finished for a workload that is gone; cleaning up', { job: name });
      await cleanup(job, owner);
      return undefined;
    }
    const ownerKey = workloadKey(owner.kind, owner.namespace, owner.name);
    // Objects from a list carry no kind/apiVersion; the Event's involvedObject needs both.
    const eventTarget = {
      ...ownerObject,
      apiVersion: apiVersionOf(WORKLOAD_TYPES[owner.kind]),
      kind: owner.kind,
    };
    const existing = caches.reports.byIndex(REPORT_OWNER_INDEX, ownerKey);
    const reportFor = (container: string) =>
      existing.find((r) => r.metadata.labels?.[REPORT_LABELS.containerName] === container);
    // Written already by an earlier run of this reconcile (the Job outlived a restart): nothing to redo.
    const written = (container: string) => {
      const report = reportFor(container);
      if (!report || report.metadata.labels?.[REPORT_LABELS.resourceSpecHash] !== specHash) return false;
      return (Date.parse(statusOf(report).lastScanTime ?? '') || 0) >= Math.floor(jobCreated / 1000) * 1000;
    };
    const pending = Object.keys(images).filter((c) => !written(c));
    if (pending.length === 0) {
      await cleanup(job, owner);
      return undefined;
    }

    const pod = await findPod(job);
    const outcomes = pod ? containerOutcomes(pod) : undefined;
    const now = clock.now();
    const reportOwner = {
      apiVersion: apiVersionOf(WORKLOAD_TYPES[owner.kind]),
      kind: owner.kind,
      name: owner.name,
      namespace: owner.namespace,
      uid: ownerObject.metadata.uid,
      labels: ownerObject.metadata.labels ?? {},
    };
    let failures = 0;
    const writtenReports: VulnerabilityReport[] = [];
    for (const container of pending) {
      const image = images[container] ?? '';
      const imageKey = imageKeys[container] ?? image;
      const previous = reportFor(container);
      const result = outcomeOf(outcomes, container);
      const common = {
        owner: reportOwner,
        container,
        specHash,
        image,
        imageKey,
        ...(settings.reportTTL ? { ttl: settings.reportTTL } : {}),
        resourceLabels: [...settings.resourceLabels],
        additionalLabels: { ...settings.additionalLabels },
      };
      let failure: string | undefined;
      if (result?.exitCode === 0 && pod) {
        try {
          const text = await client.text(
            `/api/v1/namespaces/${nsOf(job)}/pods/${encodeURIComponent(pod.metadata?.name ?? '')}/log`,
            { query: { container }, timeoutMs: 120_000 },
          );
          const trivy = decodeScanOutput(text);
          const data = buildReportData(trivy, {
            image,
            additionalFields: [...settings.additionalFields],
            now: new Date(now),
            scannerVersion: settings.scannerVersion,
          });
          const desired = fitReport(
            buildVulnerabilityReport({
              ...common,
              data,
              status: { phase: 'Succeeded', lastScanTime: rfc3339(now) },
            }),
          ) as VulnerabilityReport;
          writtenReports.push(await writeReport(client, desired, previous));
          options.metrics.reportWritten('Succeeded');
          if (previous && statusOf(previous).phase === 'FAILED')
            await options.events.record(
              eventTarget,
              'Normal',
              'Scanned',
              `container ${container} (${image}) scanned`,
            );
          logger.info('report written', { workload: ownerKey, container, report: desired.metadata.name });
          continue;
        } catch (error) {
          if (error instanceof KubeApiError && error.status !== 404 && error.status !== 400) throw error;
          failure = `cannot read the scan result: ${error instanceof Error ? error.message : String(error)}`;
        }
      }
      failure ??= pod ? failureReason(job, pod) : failureReason(job);
      failures++;
      const desired = buildVulnerabilityReport({
        ...common,
        data: failedReportData({
          image,
          now: new Date(now),
          scannerVersion: settings.scannerVersion,
        }),
        status: {
          phase: 'FAILED',
          reason: 'ScanFailed',
          message: failure,
          lastScanTime: rfc3339(now),
          failedAttempts: 1,
        },
      });
      writtenReports.push(await writeReport(client, desired, previous));
      options.metrics.reportWritten('FAILED');
      await options.events.record(
        eventTarget,
        'Warning',
        'ScanFailed',
        `container ${container} (${image}): ${failure}`,
      );
      logger.warn('scan failed', { workload: ownerKey, container, image, reason: failure });
    }
    options.metrics.jobFinished(
      outcome === 'succeeded' && failures === 0 ? 'succeeded' : 'failed',
      seconds(
        jobStatus.startTime ?? job.metadata?.creationTimestamp,
        jobStatus.completionTime ?? rfc3339(now),
      ),
    );
    await untilCached(writtenReports);
    await cleanup(job, owner);
    return undefined;
  };
}
