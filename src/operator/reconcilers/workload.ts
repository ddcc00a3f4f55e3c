// The workload reconciler (key "Kind/namespace/name"): decides, per scanned container, whether the workload's
// report is current, can be written from another workload's fresh result for the same image, is a FAILED one
// waiting for its retry time, or needs a scan — and submits one scan Job for exactly the containers that need
// one and are not being scanned by another Job already (README fixed decisions 1, 2, 4, 7, 8).

import {
  REPORT_ANNOTATIONS,
  REPORT_LABELS,
  VULNERABILITY_REPORT,
  type VulnerabilityReport,
  type VulnerabilityReportData,
  type VulnerabilityScanner,
} from '../../k8s/crds/index.js';
import {
  type Clock,
  collectionPath,
  errorFields,
  type Informer,
  KubeApiError,
  type KubeClient,
  type KubeObject,
  type Logger,
  MERGE_PATCH,
  objectPath,
  type ReconcileResult,
} from '../../k8s/index.js';
import { JOB_IMAGE_KEYS_ANNOTATION, type ScanCoordinator } from '../coordinator.js';
import type { EventRecorder } from '../events.js';
import {
  buildVulnerabilityReport,
  failedReportData,
  imageArtifact,
  mergeForUpdate,
  reportIsCurrent,
  reusableResult,
  type VigilVulnerabilityReport,
} from '../report/index.js';
import {
  buildScanJob,
  credentialsForImage,
  type Job,
  ownerReferenceToJob,
  parseDockerConfigSecret,
  pullSecretNames,
  type ScanJobConfig,
  type Secret,
} from '../scan-job/index.js';
import type { ServerHealthCheck } from '../server-health.js';
import {
  imageIDsFromPods,
  type Pod,
  type PodSpec,
  parseWorkloadKey,
  podTemplateOf,
  resolveScanOwner,
  type ScanTarget,
  scanTargets,
  skipReason,
  specHash,
  WORKLOAD_TYPES,
  type WorkloadKind,
  type WorkloadLookup,
  type WorkloadRef,
} from '../workload/index.js';
import { latestRoundStart } from './schedule.js';

/** What the pull-secret lookup reads of a ServiceAccount. */
type ServiceAccount = KubeObject & { imagePullSecrets?: Array<{ name?: string }> };

/** The informer caches both reconcilers read. Workload informers exist for every kind (owner lookups need them). */
export interface OperatorCaches {
  workloads: Readonly<Record<WorkloadKind, Informer<KubeObject>>>;
  deployments: Informer<KubeObject>;
  /** Scan Jobs in the operator namespace (managed-by label). */
  scanJobs: Informer<Job>;
  /** Indexed by REPORT_OWNER_INDEX and REPORT_IMAGE_INDEX. */
  reports: Informer<VulnerabilityReport>;
  scanners: Informer<VulnerabilityScanner>;
  namespaces: Informer<KubeObject>;
}

/** README fixed decision 2: the image key a report was made for. */
export const IMAGE_KEY_ANNOTATION = 'vigil.aquasecurity.github.io/image-key';

export const REPORT_OWNER_INDEX = 'owner';
export const REPORT_IMAGE_INDEX = 'imageKey';
export const CONTROLLER_INDEX = 'controller';

/** "Kind/namespace/name" of a report's owner, from Trivy Operator's labels (full name from the annotation). */
export function reportOwnerKey(report: KubeObject): string | undefined {
  const labels = report.metadata?.labels ?? {};
  const kind = labels[REPORT_LABELS.resourceKind];
  const namespace = labels[REPORT_LABELS.resourceNamespace] || report.metadata?.namespace;
  const name =
    labels[REPORT_LABELS.resourceName] ?? report.metadata?.annotations?.[REPORT_ANNOTATIONS.resourceName];
  if (!kind || !namespace || !name || !Object.hasOwn(WORKLOAD_TYPES, kind)) return undefined;
  return `${kind}/${namespace}/${name}`;
}

export const reportIndexers = {
  [REPORT_OWNER_INDEX]: (report: KubeObject) => {
    const key = reportOwnerKey(report);
    return key ? [key] : [];
  },
  [REPORT_IMAGE_INDEX]: (report: KubeObject) => {
    const key = report.metadata?.annotations?.[IMAGE_KEY_ANNOTATION];
    return key ? [key] : [];
  },
};

/** Owner lookups (src/operator/workload's interface) backed by the informer caches. */
export function cacheLookup(caches: OperatorCaches): WorkloadLookup {
  const get = (kind: WorkloadKind | 'Deployment', namespace: string, name: string) =>
    (kind === 'Deployment' ? caches.deployments : caches.workloads[kind])?.get(`${namespace}/${name}`);
  const controlledBy = (informer: Informer<KubeObject>, owner: KubeObject) =>
    owner.metadata?.uid ? informer.byIndex(CONTROLLER_INDEX, owner.metadata.uid) : [];
  return {
    get,
    podsOf(workload: KubeObject, kind: WorkloadKind | 'Deployment') {
      const pods = caches.workloads.Pod;
      if (kind === 'Pod') return [workload];
      if (kind === 'CronJob')
        return controlledBy(caches.workloads.Job, workload).flatMap((job) => controlledBy(pods, job));
      if (kind === 'Deployment')
        return controlledBy(caches.workloads.ReplicaSet, workload).flatMap((rs) => controlledBy(pods, rs));
      return controlledBy(pods, workload);
    },
  };
}

/** Writes a report: create, or merge into the existing one (README decision 3 / §1.2 semantics); 409 → retry. */
export async function writeReport(
  client: KubeClient,
  desired: VulnerabilityReport,
  existing: VulnerabilityReport | undefined,
): Promise<VulnerabilityReport> {
  const namespace = desired.metadata.namespace ?? '';
  const name = desired.metadata.name;
  const path = objectPath(VULNERABILITY_REPORT, name, namespace);
  let current = existing;
  // A FAILED write keeps the existing report's findings (decision 3), and a cached report has none
  // (cache-transforms.ts): merge into the stored one instead.
  if (current && (desired as VigilVulnerabilityReport).status?.phase === 'FAILED')
    current = await client.find<VulnerabilityReport>(path);
  for (let attempt = 0; ; attempt++) {
    try {
      if (!current)
        return await client.create<VulnerabilityReport>(
          collectionPath(VULNERABILITY_REPORT, namespace),
          desired,
        );
      return await client.replace<VulnerabilityReport>(path, mergeForUpdate(current, desired));
    } catch (error) {
      if (!(error instanceof KubeApiError) || error.status !== 409 || attempt >= 4) throw error;
      // Someone wrote it meanwhile (or it already existed): merge into what is there now.
      current = await client.find<VulnerabilityReport>(path);
    }
  }
}

/**
 * The `report` of a workload's report written from another workload's result for the same image key: the
 * source's findings, os, summary, scanner and updateTimestamp, with THIS workload's image identity —
 * registry and artifact from its own reference, the digest from the reference, else from the image key, else
 * the source's. (The source may name the image differently: another tag, or pinned by digest only.)
 */
export function reusedReportData(
  source: VulnerabilityReportData,
  image: string,
  imageKey: string,
): VulnerabilityReportData {
  const sourceDigest = source.artifact?.digest;
  const repoDigest = imageKey.includes('@') ? imageKey : sourceDigest ? `@${sourceDigest}` : undefined;
  const { registry, artifact } = imageArtifact(image, repoDigest);
  return { ...source, registry, artifact };
}

export interface WorkloadSettings {
  operatorNamespace: string;
  targetKinds: readonly WorkloadKind[];
  namespaceInScope: (namespace: string) => boolean;
  skipResourceByLabels: readonly string[];
  scanOnlyCurrentRevisions: boolean;
  skipInitContainers: boolean;
  excludeImages: readonly string[];
  /** false: no on-change scans, only VulnerabilityScanner rounds (see the README). */
  vulnerabilityScannerEnabled: boolean;
  retryDelayMs: number;
  retryMaxDelayMs: number;
  /** Report TTL as a Go duration ("24h0m0s"), undefined when disabled; ttlMs the same in ms. */
  reportTTL?: string;
  reportTTLMs?: number;
  resourceLabels: readonly string[];
  additionalLabels: Readonly<Record<string, string>>;
  privateRegistryScanSecretsNames: Readonly<Record<string, string>>;
  accessGlobalSecretsAndServiceAccount: boolean;
}

export interface WorkloadReconcilerMetrics {
  scanDeferred(): void;
  resultReused(): void;
  reportWritten(phase: 'Succeeded' | 'FAILED'): void;
}

export interface WorkloadReconcilerOptions {
  client: KubeClient;
  clock: Clock;
  logger: Logger;
  caches: OperatorCaches;
  coordinator: ScanCoordinator;
  settings: WorkloadSettings;
  scanJobConfig: ScanJobConfig;
  metrics: WorkloadReconcilerMetrics;
  /** OPERATOR_BUILT_IN_TRIVY_SERVER: asked before a Job is submitted; down → defer, nothing FAILED. */
  serverHealth?: ServerHealthCheck;
  /** The ScanFailed Event when a Job may not be created in a workload namespace (scanJobsInSameNamespace). */
  events?: EventRecorder;
  /** Scanner version for a FAILED report written before any scan ran (default "unknown"). */
  scannerVersion?: string;
}

/** A FAILED report's failedAttempts (0 for a Succeeded, absent or unreadable one). */
function failedAttemptsOf(report: KubeObject | undefined): number {
  const status = (report as { status?: { phase?: string; failedAttempts?: unknown } } | undefined)?.status;
  const n = status?.phase === 'FAILED' ? status.failedAttempts : undefined;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : 0;
}

/** The opt-in RBAC for scanJobsInSameNamespace, named where its absence is reported. */
export const SAME_NAMESPACE_RBAC_MANIFEST = 'deploy/rbac/opt-in/scan-jobs-in-same-namespace.yaml';

interface ReportStatusView {
  phase?: string;
  lastScanTime?: string;
  failedAttempts?: number;
}

const statusOf = (report: VulnerabilityReport): ReportStatusView =>
  ((report as unknown as { status?: ReportStatusView }).status ?? {}) as ReportStatusView;

/** When a FAILED report may be retried: lastScanTime + retryDelay × 2^(failedAttempts−1), capped (decision 8). */
export function retryDueAt(report: VulnerabilityReport, retryDelayMs: number, maxDelayMs: number): number {
  const status = statusOf(report);
  const last = Date.parse(status.lastScanTime ?? '') || 0;
  const attempts = Math.max(1, status.failedAttempts ?? 1);
  const delay = Math.min(maxDelayMs, retryDelayMs * 2 ** Math.min(attempts - 1, 30));
  return last + delay;
}

/** When a workload whose shared result vanished before it was read is planned again (the cache catches up). */
const REPLAN_MS = 1_000;

/** How long a tag-only image waits for its pods to report the running digest before it is scanned by tag. */
export const DIGEST_WAIT_MS = 60_000;

/**
 * True while the digest of a tag-only target may still arrive: a pod of the workload, younger than
 * DIGEST_WAIT_MS, has not started the container yet (no status, or ContainerCreating / PodInitializing). A pull
 * that fails (ErrImagePull, ImagePullBackOff) does not wait: the scan then says why, visibly.
 * A DaemonSet or Job younger than DIGEST_WAIT_MS with no pods yet waits too: its controller creates them
 * within moments (unlike a CronJob's, which come on its schedule), and scanning by tag meanwhile would scan
 * an image a second time that another workload has (or is) scanning by digest.
 */
function digestPending(owner: WorkloadRef, pods: readonly Pod[], container: string, now: number): boolean {
  if (pods.length === 0 && (owner.kind === 'DaemonSet' || owner.kind === 'Job')) {
    const created = Date.parse(owner.object.metadata?.creationTimestamp ?? '') || 0;
    return now - created <= DIGEST_WAIT_MS && !owner.object.metadata?.deletionTimestamp;
  }
  return pods.some((pod) => {
    const created = Date.parse(pod.metadata?.creationTimestamp ?? '') || 0;
    if (now - created > DIGEST_WAIT_MS || pod.metadata?.deletionTimestamp) return false;
    const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
    const status = statuses.find((s) => s.name === container);
    if (!status) return true;
    if (status.imageID?.includes('@sha256:')) return false;
    const waiting = (status.state as { waiting?: { reason?: string } } | undefined)?.waiting?.reason;
    return waiting === undefined || waiting === 'ContainerCreating' || waiting === 'PodInitializing';
  });
}

type TargetPlan =
  | { target: ScanTarget; state: 'current' }
  | { target: ScanTarget; state: 'reuse'; from: VulnerabilityReport }
  | { target: ScanTarget; state: 'retry-later'; dueAt: number }
  | { target: ScanTarget; state: 'waiting' }
  | { target: ScanTarget; state: 'digest-pending' }
  | { target: ScanTarget; state: 'scan' };

export function createWorkloadReconciler(options: WorkloadReconcilerOptions) {
  const { client, clock, logger, caches, coordinator, settings } = options;
  const lookup = cacheLookup(caches);

  function namespaceLabels(namespace: string): Record<string, string> {
    return caches.namespaces.get(namespace)?.metadata?.labels ?? {};
  }

  /** Expires a stale ReplicaSet's reports at once (report-ttl 0s), as Trivy Operator does; the TTL reconciler deletes them. */
  async function expireReports(kind: WorkloadKind, namespace: string, name: string): Promise<void> {
    for (const report of caches.reports.byIndex(REPORT_OWNER_INDEX, `${kind}/${namespace}/${name}`)) {
      if (report.metadata.annotations?.[REPORT_ANNOTATIONS.reportTTL] === '0s') continue;
      await client
        .patch(
          objectPath(VULNERABILITY_REPORT, report.metadata.name, namespace),
          { metadata: { annotations: { [REPORT_ANNOTATIONS.reportTTL]: '0s' } } },
          MERGE_PATCH,
        )
        .catch((error: unknown) => {
          if (!(error instanceof KubeApiError && error.isNotFound)) throw error;
        });
    }
  }

  /** Registry credentials per container, read live (Secrets and ServiceAccounts are not cached; §3.5). */
  async function credentials(owner: WorkloadRef, podSpec: PodSpec, targets: ScanTarget[]) {
    const namespace = owner.namespace;
    const saName = (podSpec.serviceAccountName as string | undefined) || 'default';
    const serviceAccount = await client
      .find<ServiceAccount>(
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/${encodeURIComponent(saName)}`,
      )
      .catch((error: unknown) => {
        // Forbidden is a setup problem the user must see, not a reason to stop scanning: go on without the
        // account's imagePullSecrets (a private image then fails visibly). Anything else is retried.
        if (!(error instanceof KubeApiError && error.status === 403)) throw error;
        logger.warn('cannot read the service account; scanning without its imagePullSecrets', {
          namespace,
          serviceAccount: saName,
          ...errorFields(error),
        });
        return undefined;
      });
    const names = pullSecretNames({
      podSpec,
      serviceAccount,
      namespace,
      privateRegistryScanSecretsNames: settings.privateRegistryScanSecretsNames,
      accessGlobalSecretsAndServiceAccount: settings.accessGlobalSecretsAndServiceAccount,
      operatorNamespace: settings.operatorNamespace,
    });
    const auths: ReturnType<typeof parseDockerConfigSecret>[] = [];
    for (const ref of names as Array<{ namespace: string; name: string }>) {
      const secret = await client.find<Secret>(
        `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/secrets/${encodeURIComponent(ref.name)}`,
      );
      if (!secret) {
        logger.warn('image pull secret not found; scanning without it', {
          namespace: ref.namespace,
          secret: ref.name,
        });
        continue;
      }
      try {
        auths.push(parseDockerConfigSecret(secret));
      } catch (error) {
        logger.warn('image pull secret unreadable; scanning without it', {
          namespace: ref.namespace,
          secret: ref.name,
          ...errorFields(error),
        });
      }
    }
    const byContainer = new Map<string, { username: string; password: string }>();
    if (auths.length === 0) return byContainer;
    for (const target of targets) {
      const credential = credentialsForImage(target.image, auths);
      if (credential) byContainer.set(target.container, credential);
    }
    return byContainer;
  }

  function plan(
    owner: WorkloadRef,
    hash: string,
    targets: ScanTarget[],
    workloadKey: string,
    pods: readonly Pod[],
  ): TargetPlan[] {
    const notBefore = latestRoundStart(
      caches.scanners.list(),
      owner.namespace,
      namespaceLabels(owner.namespace),
    );
    const own = caches.reports.byIndex(REPORT_OWNER_INDEX, workloadKey);
    const now = clock.now();
    return targets.map((target): TargetPlan => {
      const report = own.find((r) => r.metadata.labels?.[REPORT_LABELS.containerName] === target.container);
      const freshness = notBefore ? { specHash: hash, notBefore } : { specHash: hash };
      if (report && reportIsCurrent(report, freshness)) return { target, state: 'current' };
      if (!settings.vulnerabilityScannerEnabled) {
        // Only scheduled rounds scan: with no round (or a report made after the last one), leave it as it is.
        const scannedAt = Date.parse(
          report?.report?.updateTimestamp ?? (report ? statusOf(report).lastScanTime : undefined) ?? '',
        );
        if (!notBefore || (report && scannedAt >= notBefore.getTime() && statusOf(report).phase !== 'FAILED'))
          return { target, state: 'current' };
      }
      const reusable = reusableResult(
        caches.reports.byIndex(REPORT_IMAGE_INDEX, target.imageKey),
        target.imageKey,
        {
          ...(notBefore ? { notBefore } : {}),
          ...(settings.reportTTLMs ? { maxAge: settings.reportTTLMs, now: new Date(now) } : {}),
        },
      );
      if (reusable && reusable !== report) return { target, state: 'reuse', from: reusable };
      if (
        report &&
        statusOf(report).phase === 'FAILED' &&
        report.metadata.labels?.[REPORT_LABELS.resourceSpecHash] === hash
      ) {
        const dueAt = retryDueAt(report, settings.retryDelayMs, settings.retryMaxDelayMs);
        if (dueAt > now) return { target, state: 'retry-later', dueAt };
      }
      // Sharing needs the digest (README decision 2): a tag-only key of a pod about to start would miss the
      // digest-keyed result another workload has, and scan again.
      if (!target.imageKey.includes('@sha256:') && digestPending(owner, pods, target.container, now))
        return { target, state: 'digest-pending' };
      const jobName = coordinator.jobForImage(target.imageKey);
      if (jobName) {
        coordinator.wait(target.imageKey, workloadKey);
        return { target, state: 'waiting' };
      }
      return { target, state: 'scan' };
    });
  }

  /** The workload's report for one container, from the cache. */
  function containerReport(owner: WorkloadRef, container: string): VulnerabilityReport | undefined {
    return caches.reports
      .byIndex(REPORT_OWNER_INDEX, `${owner.kind}/${owner.namespace}/${owner.name}`)
      .find((r) => r.metadata.labels?.[REPORT_LABELS.containerName] === container);
  }

  /** The owner as a report records it (ownerReference and labels). */
  function reportOwner(owner: WorkloadRef) {
    return {
      apiVersion: owner.apiVersion,
      kind: owner.kind,
      name: owner.name,
      namespace: owner.namespace,
      uid: owner.uid,
      labels: owner.object.metadata?.labels ?? {},
    };
  }

  // Source reports read whole for reuse, by namespace/name@resourceVersion: a burst of workloads sharing one
  // image (a rollout, a DaemonSet, a scheduled round) reads its source once instead of once per workload. A
  // new resourceVersion misses, so nothing stale is reused; the few entries bound the memory (a report is
  // at most ~1.4 MB, fitReport).
  const sourceReads = new Map<string, VulnerabilityReport>();
  const SOURCE_READS_KEPT = 8;

  async function readSource(cached: VulnerabilityReport): Promise<VulnerabilityReport | undefined> {
    const key = `${cached.metadata.namespace ?? ''}/${cached.metadata.name}@${cached.metadata.resourceVersion ?? ''}`;
    const kept = cached.metadata.resourceVersion ? sourceReads.get(key) : undefined;
    // Each use gets its own copy: the report built from it must not share arrays with the next one.
    if (kept) return structuredClone(kept);
    // The cache keeps no findings (cache-transforms.ts): read the source whole.
    const from = await client.find<VulnerabilityReport>(
      objectPath(VULNERABILITY_REPORT, cached.metadata.name, cached.metadata.namespace ?? ''),
    );
    if (from && from.metadata.resourceVersion === cached.metadata.resourceVersion) {
      sourceReads.set(key, structuredClone(from));
      for (const oldest of sourceReads.keys()) {
        if (sourceReads.size <= SOURCE_READS_KEPT) break;
        sourceReads.delete(oldest);
      }
    }
    return from;
  }

  /**
   * Writes the workload's report from another report's result; false when that result is gone or no longer
   * usable (the caller re-plans shortly, from a cache that by then shows why).
   */
  async function writeReused(
    owner: WorkloadRef,
    hash: string,
    target: ScanTarget,
    cached: VulnerabilityReport,
  ): Promise<boolean> {
    const from = await readSource(cached);
    if (
      !from ||
      from.metadata.annotations?.[IMAGE_KEY_ANNOTATION] !== target.imageKey ||
      (statusOf(from).phase ?? 'Succeeded') !== 'Succeeded' ||
      !Array.isArray(from.report?.vulnerabilities)
    ) {
      logger.debug('shared result changed before it was read; planning again', {
        imageKey: target.imageKey,
        from: `${cached.metadata.namespace}/${cached.metadata.name}`,
      });
      return false;
    }
    const own = containerReport(owner, target.container);
    const fromStatus = statusOf(from);
    const desired = buildVulnerabilityReport({
      owner: reportOwner(owner),
      container: target.container,
      specHash: hash,
      image: target.image,
      imageKey: target.imageKey,
      data: reusedReportData(from.report, target.image, target.imageKey),
      status: { phase: 'Succeeded', lastScanTime: fromStatus.lastScanTime ?? from.report.updateTimestamp },
      ...(settings.reportTTL ? { ttl: settings.reportTTL } : {}),
      resourceLabels: [...settings.resourceLabels],
      additionalLabels: { ...settings.additionalLabels },
    });
    await writeReport(client, desired, own);
    options.metrics.resultReused();
    options.metrics.reportWritten('Succeeded');
    logger.info('report written from a shared result', {
      workload: `${owner.kind}/${owner.namespace}/${owner.name}`,
      container: target.container,
      imageKey: target.imageKey,
      from: `${from.metadata.namespace}/${from.metadata.name}`,
    });
    return true;
  }

  async function submit(
    owner: WorkloadRef,
    hash: string,
    podSpec: PodSpec,
    candidates: ScanTarget[],
    ownerKey: string,
  ) {
    const creds = await credentials(owner, podSpec, candidates);
    // Checked again after the await, synchronously with reserve(): another worker may have submitted a Job
    // for one of these images meanwhile (two workloads sharing an image must cause one scan).
    const targets = candidates.filter((t) => {
      if (!coordinator.jobForImage(t.imageKey)) return true;
      coordinator.wait(t.imageKey, ownerKey);
      return false;
    });
    if (targets.length === 0) return true;
    const built = buildScanJob({
      owner: { kind: owner.kind, name: owner.name, namespace: owner.namespace, uid: owner.uid },
      specHash: hash,
      targets: targets.map((t) => ({ container: t.container, image: t.image })),
      config: options.scanJobConfig,
      ...(creds.size > 0 ? { credentials: creds } : {}),
      workloadPodSpec: podSpec,
    });
    const job = built.job;
    const jobName = job.metadata?.name ?? '';
    const imageKeys = Object.fromEntries(targets.map((t) => [t.container, t.imageKey]));
    job.metadata = {
      ...job.metadata,
      annotations: { ...job.metadata?.annotations, [JOB_IMAGE_KEYS_ANNOTATION]: JSON.stringify(imageKeys) },
    };
    if (!coordinator.reserve(jobName, Object.values(imageKeys), ownerKey)) {
      options.metrics.scanDeferred();
      logger.debug('scan deferred: concurrent scan job limit reached', { job: jobName });
      return false;
    }
    // The operator namespace, or the workload's with scanJobsInSameNamespace (the builder decides).
    const jobNamespace = encodeURIComponent(job.metadata?.namespace ?? settings.operatorNamespace);
    const jobsPath = `/apis/batch/v1/namespaces/${jobNamespace}/jobs`;
    const secretsPath = `/api/v1/namespaces/${jobNamespace}/secrets`;
    try {
      const secret = built.secret;
      if (secret) {
        await client.create(secretsPath, secret).catch(async (error: unknown) => {
          if (!(error instanceof KubeApiError && error.status === 409)) throw error;
          // Left over from an attempt whose Job was never created: replace it with the current credentials.
          await client.replace(`${secretsPath}/${encodeURIComponent(secret.metadata?.name ?? '')}`, secret);
        });
      }
      let created: Job;
      try {
        created = await client.create<Job>(jobsPath, job);
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 409) {
          // Already submitted (README decision 5): the scan-job reconciler will finish it.
          logger.debug('scan job exists already', { job: jobName });
          return true;
        }
        throw error;
      }
      if (secret) {
        await client.patch(
          `${secretsPath}/${encodeURIComponent(secret.metadata?.name ?? '')}`,
          {
            metadata: {
              ownerReferences: [ownerReferenceToJob(created)],
            },
          },
          MERGE_PATCH,
        );
      }
      logger.info('scan job created', {
        job: jobName,
        workload: `${owner.kind}/${owner.namespace}/${owner.name}`,
        containers: targets.map((t) => t.container),
      });
      return true;
    } catch (error) {
      coordinator.release(jobName);
      if (
        options.scanJobConfig.scanJobsInSameNamespace &&
        error instanceof KubeApiError &&
        error.status === 403
      ) {
        await forbidden(owner, hash, targets, job.metadata?.namespace ?? '', error);
        return true;
      }
      throw error;
    }
  }

  /**
   * scanJobsInSameNamespace without the opt-in RBAC: the operator may not create the Job (or its Secret) in the
   * workload's namespace. Not transient, so no blind retry: each target gets a FAILED report naming the missing
   * permission and the manifest that grants it, plus a ScanFailed Event; the FAILED report's retry schedule
   * (decision 8) tries again, so granting the permission heals the workload without any other action.
   */
  async function forbidden(
    owner: WorkloadRef,
    hash: string,
    targets: readonly ScanTarget[],
    namespace: string,
    error: KubeApiError,
  ): Promise<void> {
    const message =
      `scanJobsInSameNamespace: the operator may not create scan Jobs and their Secrets in namespace ` +
      `${namespace} (403: ${error.message}); grant jobs create/get/list/watch/delete, secrets ` +
      `create/update/patch/delete, pods get/list and pods/log get in all namespaces with ` +
      `${SAME_NAMESPACE_RBAC_MANIFEST}`;
    const now = clock.now();
    const lastScanTime = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
    for (const target of targets) {
      const previous = containerReport(owner, target.container);
      const desired = buildVulnerabilityReport({
        owner: reportOwner(owner),
        container: target.container,
        specHash: hash,
        image: target.image,
        imageKey: target.imageKey,
        data: failedReportData({
          image: target.image,
          now: new Date(now),
          scannerVersion: options.scannerVersion ?? 'unknown',
        }),
        // Counted on, so the retry backs off (decision 8) while the permission stays missing.
        status: {
          phase: 'FAILED',
          reason: 'Forbidden',
          message,
          lastScanTime,
          failedAttempts: failedAttemptsOf(previous) + 1,
        },
        ...(settings.reportTTL ? { ttl: settings.reportTTL } : {}),
        resourceLabels: [...settings.resourceLabels],
        additionalLabels: { ...settings.additionalLabels },
      });
      await writeReport(client, desired, previous);
      options.metrics.reportWritten('FAILED');
      await options.events?.record(
        { ...owner.object, apiVersion: owner.apiVersion, kind: owner.kind },
        'Warning',
        'ScanFailed',
        `container ${target.container} (${target.image}): ${message}`,
      );
    }
    logger.error('scan job forbidden in the workload namespace', {
      workload: `${owner.kind}/${owner.namespace}/${owner.name}`,
      namespace,
      manifest: SAME_NAMESPACE_RBAC_MANIFEST,
    });
  }

  return async function reconcile(key: string): Promise<ReconcileResult | undefined> {
    const { kind, namespace, name } = parseWorkloadKey(key);
    if (!settings.targetKinds.includes(kind)) return undefined;
    const object = caches.workloads[kind].get(`${namespace}/${name}`);
    if (!object) return undefined; // deleted: its reports go with it (ownerReferences)
    // Enforced here and not only on watch events (§2.5, §10 #10): report events reach this key too.
    const skip = skipReason(object, {
      namespaceInScope: settings.namespaceInScope,
      skipResourceByLabels: [...settings.skipResourceByLabels],
    });
    if (skip) {
      logger.debug('workload skipped', { workload: key, reason: skip });
      return undefined;
    }
    const resolved = resolveScanOwner(object, kind, lookup, {
      scanOnlyCurrentRevisions: settings.scanOnlyCurrentRevisions,
    });
    if ('skip' in resolved) {
      if (resolved.staleRevision) await expireReports(kind, namespace, name);
      logger.debug('workload not scanned', { workload: key, reason: resolved.skip });
      return undefined;
    }
    const owner = resolved.owner;
    const ownerKey = `${owner.kind}/${owner.namespace}/${owner.name}`;
    const template = podTemplateOf(owner.object, owner.kind);
    if (!template) return undefined;
    const pods = lookup.podsOf(owner.object, owner.kind) as Pod[];
    const { targets } = scanTargets(owner.object, {
      kind: owner.kind,
      skipInitContainers: settings.skipInitContainers,
      excludeImages: [...settings.excludeImages],
      imageIDs: imageIDsFromPods(pods),
    });
    if (targets.length === 0) return undefined;
    const hash = specHash(template.spec);
    const plans = plan(owner, hash, targets, ownerKey, pods);

    let replan = false;
    for (const p of plans)
      if (p.state === 'reuse' && !(await writeReused(owner, hash, p.target, p.from))) replan = true;

    const toScan = plans.filter((p) => p.state === 'scan').map((p) => p.target);
    const retryAt = Math.min(
      ...plans.map((p) => (p.state === 'retry-later' ? p.dueAt : Number.POSITIVE_INFINITY)),
    );
    let requeueAfterMs = Number.isFinite(retryAt) ? Math.max(1, retryAt - clock.now()) : undefined;
    // Pod status updates enqueue this key as well; the requeue bounds the wait if none comes.
    if (plans.some((p) => p.state === 'digest-pending'))
      requeueAfterMs = Math.min(requeueAfterMs ?? Number.POSITIVE_INFINITY, 5_000);
    if (replan) requeueAfterMs = Math.min(requeueAfterMs ?? Number.POSITIVE_INFINITY, REPLAN_MS);
    if (toScan.length > 0) {
      const serverUp = options.serverHealth ? await options.serverHealth.isUp() : true;
      if (!serverUp) logger.debug('scan deferred: scan server not healthy', { workload: key });
      const submitted = serverUp && (await submit(owner, hash, template.spec, toScan, ownerKey));
      if (!submitted)
        requeueAfterMs = Math.min(requeueAfterMs ?? Number.POSITIVE_INFINITY, settings.retryDelayMs);
    }
    return requeueAfterMs === undefined ? undefined : { requeueAfterMs };
  };
}
