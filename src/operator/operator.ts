// createOperator: the wiring of `vigil operator`. Informers (on every replica) feed the caches; only the leader
// runs the controllers (workload, scan-job, report TTL, secret TTL, VulnerabilityScanner schedule). A new
// leadership term builds fresh controllers and enqueues everything the caches hold, so a standby that takes
// over, or a restarted operator, picks up where the previous one stopped (finished Jobs are read, waiting
// workloads are re-planned; nothing is scanned twice because reports and Jobs are the state).
import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import {
  VULNERABILITY_REPORT,
  VULNERABILITY_SCANNER,
  type VulnerabilityReport,
  type VulnerabilityScanner,
} from '../k8s/crds/index.js';
import {
  byControllerUid,
  type Clock,
  type Controller,
  collectionPath,
  createController,
  createControllerMetricsProvider,
  createInformer,
  createLeaderElector,
  createWorkQueueMetricsProvider,
  type EventHandler,
  errorFields,
  type Informer,
  type InformerOptions,
  type KubeClient,
  type KubeObject,
  type Logger,
  type Reconciler,
  type ResourceType,
  splitKey,
  systemClock,
} from '../k8s/index.js';
import { secretMetadataOnly, slimPod, slimReport, withoutManagedFields } from './cache-transforms.js';
import {
  formatGoDuration,
  namespaceInScope,
  type OperatorConfig,
  watchedNamespaces,
} from './config/index.js';
import { createScanCoordinator } from './coordinator.js';
import { createEventRecorder } from './events.js';
import { createOperatorHttpServers } from './health.js';
import { createOperatorMetrics, createReportMetricsCollector } from './metrics/index.js';
import { createScanJobReconciler, type ScanJobSettings } from './reconcilers/scan-job.js';
import { createScheduleReconciler, scannerSelectsNamespace } from './reconcilers/schedule.js';
import { createReportTtlReconciler, createSecretTtlReconciler } from './reconcilers/ttl.js';
import {
  CONTROLLER_INDEX,
  cacheLookup,
  createWorkloadReconciler,
  type OperatorCaches,
  REPORT_OWNER_INDEX,
  reportIndexers,
  reportOwnerKey,
  type WorkloadSettings,
} from './reconcilers/workload.js';
import { type Job, jobOutcome, type ScanJobConfig, type TrivyConfigSnapshot } from './scan-job/index.js';
import { createServerHealthCheck } from './server-health.js';
import {
  DEPLOYMENT_TYPE,
  ownerForPod,
  WORKLOAD_KINDS,
  WORKLOAD_TYPES,
  type WorkloadKind,
  workloadKey,
} from './workload/index.js';

export interface OperatorOptions {
  config: OperatorConfig;
  client: KubeClient;
  clock?: Clock;
  logger: Logger;
  registry: Registry;
  /** Scanner version written into reports (report.scanner.version). */
  scannerVersion: string;
  /** Leader-election identity; default hostname + random suffix. */
  identity?: string;
  /** Leader-election timings (tests shorten them); client-go's defaults otherwise. */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface Operator {
  /** Starts informers, HTTP servers and the leader election (or the controllers); resolves once serving. */
  start(): Promise<{ metricsPort: number; healthPort: number }>;
  /** Stops controllers (draining briefly), releases the lease, stops informers and servers. */
  stop(): Promise<void>;
  /** true once every cache has synced, else why not (for /readyz). */
  ready(): true | string;
  isLeader(): boolean;
  /**
   * Informer event handlers registered now. Constant across leadership terms (each term removes the handlers
   * its controllers added); 0 after stop(). For tests and debugging.
   */
  eventHandlerCount(): number;
}

const MANAGED_BY_SELECTOR = 'app.kubernetes.io/managed-by=trivy-operator';

/**
 * Reports are ~24 KiB of JSON each with 50 findings (up to the API server's object limit): a page of 500 is
 * 12 MB of text and ~40 MB of parsed objects before the transform slims them, garbage the heap grows for.
 * Pages of 100 keep that transient below ~10 MB (5,000 reports: 50 requests instead of 10).
 */
const REPORT_PAGE_SIZE = 100;

/** The scan-job controller's key: "namespace/name" (Jobs may be in any namespace with scanJobsInSameNamespace). */
const scanJobKey = (job: KubeObject) => `${job.metadata?.namespace ?? ''}/${job.metadata?.name ?? ''}`;

/**
 * The trivy-operator-trivy-config values a scan Job in a workload namespace gets as literals (there is no such
 * ConfigMap there): what the scan container would read from the ConfigMap keys, as the operator loaded them.
 * Unset keys stay unset; severity and timeout carry their defaults, which equal vigil's own.
 */
export function trivyConfigSnapshot(trivy: OperatorConfig['trivy']): TrivyConfigSnapshot {
  const env: Record<string, string> = {
    TRIVY_SEVERITY: trivy.severity.join(','),
    TRIVY_IGNORE_UNFIXED: String(trivy.ignoreUnfixed),
    TRIVY_OFFLINE_SCAN: String(trivy.offlineScan),
    TRIVY_TIMEOUT: formatGoDuration(trivy.timeoutMs),
    TRIVY_TOKEN_HEADER: trivy.serverTokenHeader,
  };
  if (trivy.skipFiles.length > 0) env.TRIVY_SKIP_FILES = trivy.skipFiles.join(',');
  if (trivy.skipDirs.length > 0) env.TRIVY_SKIP_DIRS = trivy.skipDirs.join(',');
  if (trivy.httpProxy !== undefined) env.HTTP_PROXY = trivy.httpProxy;
  if (trivy.httpsProxy !== undefined) env.HTTPS_PROXY = trivy.httpsProxy;
  if (trivy.noProxy !== undefined) env.NO_PROXY = trivy.noProxy;
  return {
    env,
    ...(trivy.serverToken ? { serverToken: trivy.serverToken } : {}),
    ...(trivy.serverCustomHeaders ? { serverCustomHeaders: trivy.serverCustomHeaders } : {}),
    ...(trivy.ignoreFile !== undefined ? { ignoreFile: trivy.ignoreFile } : {}),
    ...(trivy.dbRepositoryUsername && trivy.dbRepositoryPassword
      ? { dbRepositoryUsername: trivy.dbRepositoryUsername, dbRepositoryPassword: trivy.dbRepositoryPassword }
      : {}),
  };
}

/** Everything the reconcilers need, mapped from the loaded configuration in one place. */
export function operatorSettings(config: OperatorConfig, scannerVersion: string) {
  const env = config;
  const operator = config;
  const trivy = config.trivy;
  const reportTTL =
    env.scannerReportTTLMs === undefined ? undefined : formatGoDuration(env.scannerReportTTLMs);
  const privateRegistryScanSecretsNames = Object.fromEntries(
    Object.entries(env.privateRegistryScanSecretsNames).map(([ns, names]) => [ns, names.join(',')]),
  );
  const workload: WorkloadSettings = {
    operatorNamespace: env.namespace,
    targetKinds: env.targetWorkloads as WorkloadKind[],
    namespaceInScope: (namespace) => namespaceInScope(config, namespace),
    skipResourceByLabels: operator.skipResourceByLabels,
    scanOnlyCurrentRevisions: env.vulnerabilityScannerScanOnlyCurrentRevisions,
    skipInitContainers: operator.scanJob.skipInitContainers,
    excludeImages: operator.scanJob.excludeImages,
    vulnerabilityScannerEnabled: env.vulnerabilityScannerEnabled,
    retryDelayMs: env.scanJobsRetryDelayMs,
    retryMaxDelayMs: env.scanRetryMaxDelayMs,
    ...(reportTTL ? { reportTTL, reportTTLMs: env.scannerReportTTLMs } : {}),
    resourceLabels: operator.report.resourceLabels,
    additionalLabels: operator.report.additionalLabels,
    privateRegistryScanSecretsNames,
    accessGlobalSecretsAndServiceAccount: env.accessGlobalSecretsAndServiceAccount,
  };
  const scanJob: ScanJobSettings = {
    operatorNamespace: env.namespace,
    keepFinishedJobs: (env.scanJobTTLMs ?? 0) > 0,
    additionalFields: trivy.additionalVulnerabilityReportFields,
    scannerVersion,
    ...(reportTTL ? { reportTTL } : {}),
    resourceLabels: operator.report.resourceLabels,
    additionalLabels: operator.report.additionalLabels,
  };
  const sj = operator.scanJob;
  const scanJobConfig: ScanJobConfig = {
    operatorNamespace: env.namespace,
    ...(operator.vulnerabilityReports.scanJobsInSameNamespace
      ? { scanJobsInSameNamespace: true, trivyConfigSnapshot: trivyConfigSnapshot(trivy) }
      : {}),
    serviceAccount: env.serviceAccount,
    scannerImage: env.scannerImage,
    imagePullPolicy: 'IfNotPresent',
    mode: trivy.mode,
    ...(trivy.serverURL ? { serverURL: trivy.serverURL } : {}),
    serverTokenHeader: trivy.serverTokenHeader,
    hasServerToken: trivy.serverToken !== undefined,
    hasCustomHeaders: trivy.serverCustomHeaders !== undefined,
    serverInsecure: trivy.serverInsecure,
    dbRepository: trivy.dbRepository,
    dbRepositoryInsecure: trivy.dbRepositoryInsecure,
    insecureRegistries: trivy.insecureRegistries,
    nonSslRegistries: trivy.nonSslRegistries,
    registryMirrors: trivy.registryMirrors,
    timeoutMs: env.scanJobTimeoutMs,
    ...(env.scanJobTTLMs ? { jobTTLMs: env.scanJobTTLMs } : {}),
    ...(env.scanSecretTTLMs ? { secretTTLMs: env.scanSecretTTLMs } : {}),
    resources: trivy.resources as ScanJobConfig['resources'],
    ...(sj.tolerations ? { tolerations: sj.tolerations as ScanJobConfig['tolerations'] } : {}),
    ...(sj.nodeSelector ? { nodeSelector: sj.nodeSelector } : {}),
    ...(sj.affinity ? { affinity: sj.affinity } : {}),
    ...(sj.podPriorityClassName ? { priorityClassName: sj.podPriorityClassName } : {}),
    annotations: sj.annotations,
    podTemplateLabels: sj.podTemplateLabels,
    automountServiceAccountToken: sj.automountServiceAccountToken,
    ...(sj.podTemplatePodSecurityContext
      ? { podSecurityContext: sj.podTemplatePodSecurityContext as ScanJobConfig['podSecurityContext'] }
      : {}),
    ...(sj.podTemplateContainerSecurityContext
      ? {
          containerSecurityContext:
            sj.podTemplateContainerSecurityContext as ScanJobConfig['containerSecurityContext'],
        }
      : {}),
    compressLogs: sj.compressLogs,
    hasDbRepositoryCredentials:
      trivy.dbRepositoryUsername !== undefined && trivy.dbRepositoryPassword !== undefined,
    ...(config.trivy.ignoreFileName !== undefined ? { ignoreFileName: config.trivy.ignoreFileName } : {}),
  };
  return { workload, scanJob, scanJobConfig };
}

/**
 * One Informer over several namespaces (MultiNamespace install mode), or a plain all-namespaces one when
 * `namespaces` is undefined. The Informer interface is kept, so the reconcilers never know the difference.
 */
function scopedInformer<T extends KubeObject>(
  type: ResourceType,
  namespaces: readonly string[] | undefined,
  options: Omit<InformerOptions<T>, 'path'>,
): Informer<T> {
  if (!namespaces || !type.namespaced) return createInformer<T>({ ...options, path: collectionPath(type) });
  const parts = new Map(
    namespaces.map((ns) => [ns, createInformer<T>({ ...options, path: collectionPath(type, ns) })] as const),
  );
  const all = [...parts.values()];
  return {
    start: () => {
      for (const p of all) p.start();
    },
    stop: async () => {
      await Promise.all(all.map((p) => p.stop()));
    },
    hasSynced: () => all.every((p) => p.hasSynced()),
    waitForSync: async (ms) => (await Promise.all(all.map((p) => p.waitForSync(ms)))).every(Boolean),
    addEventHandler: (handler) => {
      const offs = all.map((p) => p.addEventHandler(handler));
      return () => {
        for (const off of offs) off();
      };
    },
    get: (key) => parts.get(splitKey(key).namespace ?? '')?.get(key),
    list: (ns) => (ns !== undefined ? (parts.get(ns)?.list(ns) ?? []) : all.flatMap((p) => p.list())),
    keys: () => all.flatMap((p) => p.keys()),
    byIndex: (index, value) => all.flatMap((p) => p.byIndex(index, value)),
    lastResourceVersion: () => undefined,
  };
}

/** An informer whose addEventHandler counts the handlers that are registered (not yet unregistered). */
function countHandlers<T extends KubeObject>(informer: Informer<T>, counter: { live: number }): Informer<T> {
  return {
    start: () => informer.start(),
    stop: () => informer.stop(),
    hasSynced: () => informer.hasSynced(),
    waitForSync: (ms) => informer.waitForSync(ms),
    addEventHandler(handler) {
      const off = informer.addEventHandler(handler);
      counter.live++;
      let registered = true;
      return () => {
        if (!registered) return;
        registered = false;
        counter.live--;
        off();
      };
    },
    get: (key) => informer.get(key),
    list: (ns) => informer.list(ns),
    keys: () => informer.keys(),
    byIndex: (index, value) => informer.byIndex(index, value),
    lastResourceVersion: () => informer.lastResourceVersion(),
  };
}

interface Controllers {
  workload: Controller<string>;
  scanJob: Controller<string>;
  reportTtl: Controller<string>;
  secretTtl: Controller<string>;
  schedule: Controller<string>;
}

export function createOperator(options: OperatorOptions): Operator {
  const { config, client, logger, registry } = options;
  const clock = options.clock ?? systemClock;
  const env = config;
  const settings = operatorSettings(config, options.scannerVersion);
  const operatorNamespace = env.namespace;
  // Cache scope (§2.5): all namespaces, or the target namespaces (the operator namespace is watched for Jobs).
  const scope = watchedNamespaces(config);
  const sameNamespaceJobs = settings.scanJobConfig.scanJobsInSameNamespace === true;
  const common = { client, clock, logger };
  const handlers = { live: 0 };

  // Every cache keeps only what its readers use (cache-transforms.ts): no managedFields anywhere, no report
  // findings unless trivy_vulnerability_id needs them, slim Pods, no Secret data.
  const slim = { ...common, transform: withoutManagedFields };
  const workloads = Object.fromEntries(
    WORKLOAD_KINDS.map((kind) => [
      kind,
      countHandlers(
        scopedInformer<KubeObject>(WORKLOAD_TYPES[kind], scope, {
          ...common,
          transform: kind === 'Pod' ? slimPod : withoutManagedFields,
          indexers: { [CONTROLLER_INDEX]: byControllerUid },
        }),
        handlers,
      ),
    ]),
  ) as Record<WorkloadKind, Informer<KubeObject>>;
  const caches: OperatorCaches = {
    workloads,
    deployments: countHandlers(scopedInformer<KubeObject>(DEPLOYMENT_TYPE, scope, slim), handlers),
    scanJobs: countHandlers(
      createInformer<Job>({
        ...slim,
        // scanJobsInSameNamespace: Jobs are in the workloads' namespaces, so all of them (label-selected; the
        // opt-in RBAC of deploy/rbac/opt-in/scan-jobs-in-same-namespace.yaml grants the cluster-wide list/watch).
        path: sameNamespaceJobs
          ? '/apis/batch/v1/jobs'
          : `/apis/batch/v1/namespaces/${encodeURIComponent(operatorNamespace)}/jobs`,
        labelSelector: `${MANAGED_BY_SELECTOR},vulnerabilityReport.scanner`,
      }),
      handlers,
    ),
    reports: countHandlers(
      scopedInformer<VulnerabilityReport>(VULNERABILITY_REPORT, scope, {
        ...common,
        transform: slimReport({
          keepFindingsForMetrics: env.metricsFindingsEnabled && env.metricsVulnIdEnabled,
        }),
        pageSize: REPORT_PAGE_SIZE,
        indexers: reportIndexers,
      }),
      handlers,
    ),
    scanners: countHandlers(
      createInformer<VulnerabilityScanner>({
        ...slim,
        path: collectionPath(VULNERABILITY_SCANNER),
      }),
      handlers,
    ),
    namespaces: countHandlers(createInformer<KubeObject>({ ...slim, path: '/api/v1/namespaces' }), handlers),
  };
  const secrets = countHandlers(
    createInformer<KubeObject>({
      ...common,
      transform: secretMetadataOnly,
      path: `/api/v1/namespaces/${encodeURIComponent(operatorNamespace)}/secrets`,
      labelSelector: MANAGED_BY_SELECTOR,
    }),
    handlers,
  );
  // Only the lifecycle is used here, which does not depend on the object type.
  type Lifecycle = Pick<Informer<KubeObject>, 'start' | 'stop' | 'hasSynced' | 'waitForSync'>;
  const informers: Array<[string, Lifecycle]> = [
    ...WORKLOAD_KINDS.map((k): [string, Lifecycle] => [k, workloads[k]]),
    ['Deployment', caches.deployments],
    ['scan Job', caches.scanJobs],
    ['VulnerabilityReport', caches.reports],
    ['VulnerabilityScanner', caches.scanners],
    ['Namespace', caches.namespaces],
    ['scan Secret', secrets],
  ];

  const coordinator = createScanCoordinator({
    limit: env.scanJobsConcurrentLimit,
    jobs: () => caches.scanJobs.list(),
    isActive: (job) => jobOutcome(job) === 'active',
    clock,
    logger,
  });
  const metrics = createOperatorMetrics(registry, { scansInFlight: () => coordinator.activeCount() });
  createReportMetricsCollector({ registry, reports: () => caches.reports.list(), config });
  const controllerMetrics = createControllerMetricsProvider(registry);
  const queueMetrics = createWorkQueueMetricsProvider(registry);
  const events = createEventRecorder({
    client,
    clock,
    logger,
    component: 'trivy-operator',
    instance: options.identity ?? hostname(),
  });
  const lookup = cacheLookup(caches);
  // One for the operator's life, so the cached "up" outlives leadership terms.
  const serverHealth =
    env.builtInTrivyServer && config.trivy.mode === 'ClientServer' && config.trivy.serverURL
      ? createServerHealthCheck({
          serverURL: config.trivy.serverURL,
          cacheMs: env.trivyServerHealthCheckCacheExpirationMs,
          clock,
          logger,
        })
      : undefined;

  let active: Controllers | undefined;
  // Handlers the current term's controllers registered on the informers; removed when the term ends.
  let termHandlers: Array<() => void> = [];
  let synced = false;
  let stopped = false;
  let leading = false;
  const roundSizes = new Map<string, number>();

  const targetKinds = new Set(settings.workload.targetKinds);
  const enqueueWorkload = (key: string) => active?.workload.enqueue(key);

  function inScopeNamespaces(scanner: VulnerabilityScanner): Set<string> {
    const selected = new Set<string>();
    for (const ns of caches.namespaces.list()) {
      const name = ns.metadata?.name ?? '';
      if (!settings.workload.namespaceInScope(name)) continue;
      if (scannerSelectsNamespace(scanner, ns.metadata?.labels ?? {})) selected.add(name);
    }
    return selected;
  }

  function buildControllers(): { controllers: Controllers; unregister: Array<() => void> } {
    const ctl = (name: string, reconcile: Reconciler<string>, workers = 1) =>
      createController<string>({
        name,
        reconcile,
        workers,
        clock,
        logger,
        metrics: controllerMetrics.forController(name),
        queueMetrics: queueMetrics.forQueue(name),
      });
    const workload = ctl(
      'workload',
      createWorkloadReconciler({
        ...common,
        caches,
        coordinator,
        settings: settings.workload,
        scanJobConfig: settings.scanJobConfig,
        ...(serverHealth ? { serverHealth } : {}),
        events,
        scannerVersion: options.scannerVersion,
        metrics: {
          scanDeferred: () => metrics.jobFinished('deferred'),
          resultReused: () => metrics.resultsReused(),
          reportWritten: (phase) => metrics.reportWritten(phase),
        },
      }),
      4,
    );
    const scanJob = ctl(
      'scanjob',
      createScanJobReconciler({
        ...common,
        caches,
        coordinator,
        events,
        settings: settings.scanJob,
        metrics: {
          jobFinished: (outcome, seconds) => metrics.jobFinished(outcome, seconds),
          reportWritten: (phase) => metrics.reportWritten(phase),
        },
        enqueueWorkload,
      }),
      2,
    );
    const reportTtl = createReportTtlReconciler({ ...common, reports: caches.reports });
    const secretTtl = createSecretTtlReconciler({ ...common, secrets });
    const schedule = createScheduleReconciler({
      ...common,
      scanners: caches.scanners,
      enqueueRound: (scanner: VulnerabilityScanner) => {
        const namespaces = inScopeNamespaces(scanner);
        let count = 0;
        for (const kind of targetKinds) {
          for (const object of workloads[kind].list()) {
            const ns = object.metadata?.namespace ?? '';
            if (!namespaces.has(ns)) continue;
            workload.enqueue(workloadKey(kind, ns, object.metadata?.name ?? ''));
            count++;
          }
        }
        roundSizes.set(scanner.metadata.name, count);
        return count;
      },
      countRound: (scanner: VulnerabilityScanner, roundStart: Date) => {
        const namespaces = inScopeNamespaces(scanner);
        const scannedOwners = new Set<string>();
        const failedOwners = new Set<string>();
        for (const report of caches.reports.list()) {
          if (!namespaces.has(report.metadata.namespace ?? '')) continue;
          const owner = reportOwnerKey(report) ?? '';
          const status = (report as { status?: { phase?: string; lastScanTime?: string } }).status;
          const at = Date.parse(status?.lastScanTime ?? report.report?.updateTimestamp ?? '');
          if (!(at >= roundStart.getTime())) continue;
          if (status?.phase === 'FAILED') failedOwners.add(owner);
          else scannedOwners.add(owner);
        }
        for (const owner of failedOwners) scannedOwners.delete(owner);
        const total = roundSizes.get(scanner.metadata.name) ?? 0;
        return {
          queued: Math.max(0, total - scannedOwners.size - failedOwners.size),
          scanned: scannedOwners.size,
          failed: failedOwners.size,
        };
      },
    });
    return {
      controllers: {
        workload,
        scanJob,
        reportTtl: reportTtl.controller,
        secretTtl: secretTtl.controller,
        schedule: schedule.controller,
      },
      unregister: [reportTtl.unregister, secretTtl.unregister, schedule.unregister],
    };
  }

  function startControllers(): void {
    if (active || stopped) return;
    const { controllers: built, unregister } = buildControllers();
    active = built;
    termHandlers = unregister;
    for (const c of Object.values(built)) c.start();
    // A new term: everything the caches hold is looked at once (missed events, Jobs finished meanwhile).
    for (const kind of targetKinds)
      for (const object of workloads[kind].list())
        built.workload.enqueue(
          workloadKey(kind, object.metadata?.namespace ?? '', object.metadata?.name ?? ''),
        );
    for (const job of caches.scanJobs.list()) built.scanJob.enqueue(scanJobKey(job));
    logger.info('controllers started');
  }

  async function stopControllers(): Promise<void> {
    const current = active;
    active = undefined;
    // First, so no event reaches the stopping controllers' queues and the informers keep no handler of theirs.
    for (const off of termHandlers) off();
    termHandlers = [];
    if (!current) return;
    await Promise.all(Object.values(current).map((c) => c.stop({ drain: true, timeoutMs: 5_000 })));
    logger.info('controllers stopped');
  }

  // Event routing, registered once (removed by stop()); it forwards to the controllers of the current term (none on a standby).
  const forward = <T extends KubeObject>(
    map: (o: T) => Array<[keyof Controllers, string]>,
  ): EventHandler<T> => {
    const push = (o: T) => {
      if (!active) return;
      for (const [controller, key] of map(o)) active[controller].enqueue(key);
    };
    return {
      onAdd: push,
      onUpdate: (a, b) => {
        push(a);
        push(b);
      },
      onDelete: push,
    };
  };
  const routing: Array<() => void> = [];
  for (const kind of targetKinds) {
    if (kind === 'Pod') continue; // pods go through ownerForPod below
    routing.push(
      workloads[kind].addEventHandler(
        forward((o) => [
          ['workload', workloadKey(kind, o.metadata?.namespace ?? '', o.metadata?.name ?? '')],
        ]),
      ),
    );
  }
  routing.push(
    workloads.Pod.addEventHandler(
      forward((pod) => {
        const owner = ownerForPod(pod, lookup);
        if (!owner || !targetKinds.has(owner.kind)) return [];
        return [['workload', workloadKey(owner.kind, owner.namespace, owner.name)]];
      }),
    ),
  );
  routing.push(
    caches.deployments.addEventHandler(
      forward((deployment) =>
        workloads.ReplicaSet.byIndex(CONTROLLER_INDEX, deployment.metadata?.uid ?? '').map(
          (rs) =>
            [
              'workload',
              workloadKey('ReplicaSet', rs.metadata?.namespace ?? '', rs.metadata?.name ?? ''),
            ] as [keyof Controllers, string],
        ),
      ),
    ),
  );
  routing.push(
    caches.reports.addEventHandler(
      forward((report) => {
        const owner = reportOwnerKey(report);
        return owner ? [['workload', owner]] : [];
      }),
    ),
  );
  routing.push(caches.scanJobs.addEventHandler(forward((job) => [['scanJob', scanJobKey(job)]])));
  // The TTL and schedule reconcilers register their own handlers on their informers.

  const http = createOperatorHttpServers({
    metricsAddress: env.metricsBindAddress,
    healthAddress: env.healthProbeBindAddress,
    registry,
    ready: () => operator.ready(),
    live: () => true,
    logger,
  });

  const stopSignal = new AbortController();
  let electionLoop: Promise<void> | undefined;
  const identity = options.identity ?? `${hostname()}_${Math.random().toString(36).slice(2, 10)}`;

  async function waitForCaches(): Promise<void> {
    while (!stopped) {
      const results = await Promise.all(
        informers.map(
          async ([name, informer]) => [name, await informer.waitForSync(env.cacheSyncTimeoutMs)] as const,
        ),
      );
      const missing = results.filter(([, ok]) => !ok).map(([name]) => name);
      if (missing.length === 0) {
        synced = true;
        logger.info('caches synced');
        return;
      }
      if (stopped) return;
      // Trivy Operator exits here (#956, #2283); the informers keep retrying, so waiting on is enough.
      logger.error('caches not synced in time; still waiting (check RBAC and the API server)', {
        informers: missing,
        timeoutMs: env.cacheSyncTimeoutMs,
      });
    }
  }

  async function runElection(): Promise<void> {
    const elector = createLeaderElector({
      client,
      namespace: operatorNamespace,
      name: env.leaderElectionId,
      identity,
      clock,
      logger,
      registry,
      ...(options.leaseDurationMs ? { leaseDurationMs: options.leaseDurationMs } : {}),
      ...(options.renewDeadlineMs ? { renewDeadlineMs: options.renewDeadlineMs } : {}),
      ...(options.retryPeriodMs ? { retryPeriodMs: options.retryPeriodMs } : {}),
      callbacks: {
        onStartedLeading: async (signal) => {
          leading = true;
          logger.info('leading', { identity });
          await waitForCaches();
          if (!signal.aborted) startControllers();
        },
        onStoppedLeading: () => {
          leading = false;
          void stopControllers();
        },
      },
    });
    while (!stopSignal.signal.aborted) {
      try {
        await elector.run(stopSignal.signal);
      } catch (error) {
        logger.error('leader election failed; campaigning again', errorFields(error));
      }
      if (!stopSignal.signal.aborted) await clock.sleep(1000, stopSignal.signal);
    }
  }

  const operator: Operator = {
    async start() {
      for (const [, informer] of informers) informer.start();
      const ports = await http.start();
      logger.info('operator starting', {
        namespace: operatorNamespace,
        targetNamespaces: env.targetNamespaces,
        leaderElection: env.leaderElectionEnabled,
        ...ports,
      });
      if (env.leaderElectionEnabled) electionLoop = runElection();
      else
        void waitForCaches().then(() => {
          leading = true;
          startControllers();
        });
      return ports;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopControllers();
      for (const off of routing) off();
      stopSignal.abort();
      await electionLoop;
      await Promise.all(informers.map(([, informer]) => informer.stop()));
      await http.close();
      logger.info('operator stopped');
    },
    ready() {
      if (synced) return true;
      // `synced` is set where the controllers wait for the caches, which a standby never does: its informers
      // run all the same, so it is ready (and can take over at once) when they have all synced.
      const missing = informers.filter(([, i]) => !i.hasSynced()).map(([name]) => name);
      if (missing.length === 0) return true;
      return `caches not synced: ${missing.join(', ')}`;
    },
    isLeader: () => leading,
    eventHandlerCount: () => handlers.live,
  };
  return operator;
}

export { REPORT_OWNER_INDEX };
