// The VulnerabilityScanner reconciler (key: the scanner's name; the kind is cluster-scoped). A scheduled round
// never deletes anything (README fixed decision 4): it stamps status.lastScheduleTime — which makes every
// report older than the stamp stale in the namespaces the scanner selects — and asks the caller to enqueue the
// in-scope workloads. Counts of the round's progress come from the caller too.
import type {
  Condition,
  LabelSelector,
  VulnerabilityScanner,
  VulnerabilityScannerStatus,
} from '../../k8s/crds/index.js';
import { VULNERABILITY_SCANNER } from '../../k8s/crds/index.js';
import {
  type Clock,
  type Controller,
  type ControllerMetrics,
  createController,
  type Informer,
  KubeApiError,
  type KubeClient,
  type Logger,
  objectKey,
  objectPath,
  type ReconcileResult,
  type WorkQueueMetrics,
} from '../../k8s/index.js';
import { InvalidScheduleError, parseSchedule, type Schedule } from './cron.js';

export interface RoundCounts {
  queued: number;
  scanned: number;
  failed: number;
}

export interface ScheduleReconcilerOptions {
  client: KubeClient;
  /** Informer over all VulnerabilityScanners; the reconciler registers its own handler on it. */
  scanners: Informer<VulnerabilityScanner>;
  clock: Clock;
  logger: Logger;
  /**
   * Enqueues every workload in the scanner's scope; returns how many. Called once per round, after the
   * informer shows the round's lastScheduleTime, so freshness checks made by the enqueued reconciles see it.
   */
  enqueueRound: (scanner: VulnerabilityScanner) => number;
  /** The progress of the round that started at roundStart (workloads still queued, scanned, failed). */
  countRound: (scanner: VulnerabilityScanner, roundStart: Date) => RoundCounts;
  metrics?: ControllerMetrics;
  queueMetrics?: WorkQueueMetrics;
}

/** The longest wait between two reconciles of a scanner: its counts are refreshed at least this often. */
export const MAX_REQUEUE_MS = 3_600_000;
/** How often the counts are refreshed while a round still has queued workloads. */
export const ACTIVE_ROUND_REFRESH_MS = 15_000;
/** Fallback wait for the informer to show a round's stamp before its workloads are enqueued. */
const STAMP_SEEN_RETRY_MS = 1_000;
const CONFLICT_ATTEMPTS = 5;

export const SCANNER_CONDITIONS = Object.freeze({
  ready: 'Ready',
  suspended: 'Suspended',
  scanning: 'Scanning',
});

export function createScheduleReconciler(options: ScheduleReconcilerOptions): {
  controller: Controller<string>;
  /** Removes the handler registered on `scanners` at construction (the informer outlives the controller). */
  unregister(): void;
} {
  const { client, scanners, clock, logger } = options;
  // Rounds stamped by this process whose workloads are not enqueued yet: name → the stamp written.
  const pendingEnqueue = new Map<string, string>();
  // The last invalid-schedule message logged per scanner, so a bad spec is logged once, not on every resync.
  const loggedInvalid = new Map<string, string>();

  async function reconcile(name: string): Promise<ReconcileResult | undefined> {
    let scanner = scanners.get(name);
    if (!scanner || scanner.metadata.deletionTimestamp) {
      pendingEnqueue.delete(name);
      loggedInvalid.delete(name);
      return undefined;
    }
    let waitingForStamp = false;
    const pending = pendingEnqueue.get(name);
    if (pending !== undefined) {
      if (timeOf(scanner.status?.lastScheduleTime) >= Date.parse(pending)) {
        const count = options.enqueueRound(scanner);
        pendingEnqueue.delete(name);
        logger.info('scheduled round: workloads enqueued', {
          scanner: name,
          lastScheduleTime: pending,
          workloads: count,
        });
      } else {
        waitingForStamp = true;
      }
    }

    for (let attempt = 1; ; attempt++) {
      const plan = planStatus(scanner, clock.now());
      reportInvalid(name, plan.invalid);
      const current = scanner.status ?? {};
      let written = false;
      if (!sameStatus(current, plan.status)) {
        try {
          await client.replace<VulnerabilityScanner>(
            objectPath(VULNERABILITY_SCANNER, name, undefined, 'status'),
            {
              ...scanner,
              status: plan.status,
            },
          );
          written = true;
        } catch (error) {
          if (!(error instanceof KubeApiError)) throw error;
          if (error.isNotFound) return undefined;
          if (!error.isConflict || attempt >= CONFLICT_ATTEMPTS) throw error;
          // Someone else wrote the scanner meanwhile (maybe this very round, from a stale cache): judge afresh.
          const fresh = await client.find<VulnerabilityScanner>(objectPath(VULNERABILITY_SCANNER, name));
          if (!fresh) return undefined;
          scanner = fresh;
          continue;
        }
      }
      if (written && plan.roundStart !== undefined) {
        pendingEnqueue.set(name, plan.status.lastScheduleTime as string);
        waitingForStamp = true;
        logger.info('scheduled round started', {
          scanner: name,
          due: plan.roundStart.due.toISOString(),
          lastScheduleTime: plan.status.lastScheduleTime,
        });
      }
      return requeue(plan.requeueAfterMs, waitingForStamp ? STAMP_SEEN_RETRY_MS : undefined);
    }
  }

  function reportInvalid(name: string, message: string | undefined): void {
    if (message === undefined) {
      loggedInvalid.delete(name);
      return;
    }
    if (loggedInvalid.get(name) === message) return;
    loggedInvalid.set(name, message);
    logger.warn(
      'VulnerabilityScanner has an invalid schedule; no rounds until spec.schedule/timeZone is fixed',
      {
        scanner: name,
        reason: message,
      },
    );
  }

  function planStatus(scanner: VulnerabilityScanner, nowMs: number): StatusPlan {
    const generation = scanner.metadata.generation;
    const current = scanner.status ?? {};
    const status: VulnerabilityScannerStatus = {};
    let conditions = [...(current.conditions ?? [])];
    const set = (type: string, value: 'True' | 'False', reason: string, message: string) => {
      conditions = setCondition(conditions, { type, status: value, reason, message }, nowMs, generation);
    };

    let schedule: Schedule | undefined;
    let invalid: string | undefined;
    try {
      schedule = parseSchedule(scanner.spec.schedule, scanner.spec.timeZone);
      set(SCANNER_CONDITIONS.ready, 'True', 'ScheduleValid', describeSchedule(scanner));
    } catch (error) {
      if (!(error instanceof InvalidScheduleError)) throw error;
      invalid = error.message;
      set(SCANNER_CONDITIONS.ready, 'False', 'InvalidSchedule', error.message);
    }
    const suspended = scanner.spec.suspend === true;
    if (suspended)
      set(SCANNER_CONDITIONS.suspended, 'True', 'Suspended', 'spec.suspend is true: no rounds start');
    else set(SCANNER_CONDITIONS.suspended, 'False', 'Active', 'rounds start on the schedule');

    let lastScheduleTime = current.lastScheduleTime;
    let roundStart: StatusPlan['roundStart'];
    let untilNextMs: number | undefined;
    if (schedule && !suspended) {
      const due = schedule.previous(new Date(nowMs));
      // Only the latest missed fire time counts, so several missed while the operator was down (or, as with a
      // Kubernetes CronJob, while the scanner was suspended) make one round. Without a recorded round, a fire
      // time before the scanner existed is not a missed one.
      const last = timeOf(lastScheduleTime);
      const created = timeOf(scanner.metadata.creationTimestamp);
      if (due && (Number.isNaN(last) ? created < due.getTime() : due.getTime() > last)) {
        lastScheduleTime = rfc3339(nowMs);
        roundStart = { due };
      }
      const next = schedule.next(new Date(nowMs));
      status.nextScheduleTime = rfc3339(next.getTime());
      untilNextMs = next.getTime() - nowMs;
    }
    if (lastScheduleTime !== undefined) status.lastScheduleTime = lastScheduleTime;

    let counts: RoundCounts | undefined;
    const stamp = timeOf(lastScheduleTime);
    if (!Number.isNaN(stamp)) {
      counts = options.countRound(scanner, new Date(stamp));
      status.workloads = { queued: counts.queued, scanned: counts.scanned, failed: counts.failed };
      if (counts.queued > 0)
        set(
          SCANNER_CONDITIONS.scanning,
          'True',
          'RoundInProgress',
          `${counts.queued} workload(s) of the round still queued`,
        );
      else
        set(
          SCANNER_CONDITIONS.scanning,
          'False',
          'RoundComplete',
          'every workload of the last round was scanned or failed',
        );
    } else {
      set(SCANNER_CONDITIONS.scanning, 'False', 'NoRoundYet', 'no scheduled round has started yet');
    }
    status.conditions = conditions;
    if (generation !== undefined) status.observedGeneration = generation;

    let requeueAfterMs = untilNextMs === undefined ? undefined : Math.min(untilNextMs, MAX_REQUEUE_MS);
    if (counts && counts.queued > 0)
      requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, ACTIVE_ROUND_REFRESH_MS);
    return { status, requeueAfterMs, roundStart, invalid };
  }

  const controller = createController<string>({
    name: 'vulnerabilityscanner-schedule',
    reconcile: (key) => reconcile(key),
    clock,
    logger,
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.queueMetrics ? { queueMetrics: options.queueMetrics } : {}),
  });
  const unregister = scanners.addEventHandler(
    controller.eventHandler<VulnerabilityScanner>((scanner) => objectKey(scanner)),
  );
  return { controller, unregister };
}

interface StatusPlan {
  status: VulnerabilityScannerStatus;
  requeueAfterMs: number | undefined;
  /** Set when this reconcile starts a round. */
  roundStart: { due: Date } | undefined;
  invalid: string | undefined;
}

function requeue(...delays: Array<number | undefined>): ReconcileResult | undefined {
  const defined = delays.filter((d): d is number => d !== undefined);
  if (defined.length === 0) return undefined;
  // At least a millisecond: a zero would mean "no requeue" to the controller.
  return { requeueAfterMs: Math.max(1, Math.min(...defined)) };
}

function describeSchedule(scanner: VulnerabilityScanner): string {
  return `schedule ${JSON.stringify(scanner.spec.schedule)} in ${scanner.spec.timeZone || 'UTC'}`;
}

/** metav1.SetStatusCondition: the transition time moves only when the status changes. */
function setCondition(
  conditions: Condition[],
  next: Pick<Condition, 'type' | 'status' | 'reason' | 'message'>,
  nowMs: number,
  generation: number | undefined,
): Condition[] {
  const existing = conditions.find((c) => c.type === next.type);
  const condition: Condition = {
    ...next,
    lastTransitionTime:
      existing && existing.status === next.status ? existing.lastTransitionTime : rfc3339(nowMs),
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
  return existing ? conditions.map((c) => (c === existing ? condition : c)) : [...conditions, condition];
}

function sameStatus(a: VulnerabilityScannerStatus, b: VulnerabilityScannerStatus): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : v,
  );
}

/** Epoch ms of an RFC 3339 time, NaN when absent or unreadable. */
function timeOf(text: string | undefined): number {
  return text === undefined ? Number.NaN : Date.parse(text);
}

/** RFC 3339 in whole seconds, as Kubernetes writes metav1.Time (rounded down, so never after the moment). */
function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Whether a label selector matches a set of labels; an absent or empty selector matches everything. */
export function labelSelectorMatches(
  selector: LabelSelector | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (!selector) return true;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {}))
    if (labels[key] !== value) return false;
  for (const requirement of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, requirement.key);
    const value = labels[requirement.key];
    const values = requirement.values ?? [];
    switch (requirement.operator) {
      case 'In':
        if (!has || !values.includes(value as string)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(value as string)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        // The CRD's enum refuses other operators; anything unknown selects nothing rather than everything.
        return false;
    }
  }
  return true;
}

/** Whether the scanner's namespaceSelector selects a namespace with these labels. */
export function scannerSelectsNamespace(
  scanner: VulnerabilityScanner,
  namespaceLabels: Readonly<Record<string, string>>,
): boolean {
  return labelSelectorMatches(scanner.spec?.namespaceSelector, namespaceLabels);
}

/**
 * The newest status.lastScheduleTime over the non-suspended scanners that select the namespace: reports made
 * before it are stale (README fixed decision 4). The namespace's name is matched as the label
 * kubernetes.io/metadata.name, which the API server sets on every namespace.
 */
export function latestRoundStart(
  scanners: readonly VulnerabilityScanner[],
  namespace: string,
  namespaceLabels: Readonly<Record<string, string>>,
): Date | undefined {
  const labels = { 'kubernetes.io/metadata.name': namespace, ...namespaceLabels };
  let latest: number | undefined;
  for (const scanner of scanners) {
    if (scanner.spec?.suspend === true) continue;
    if (!scannerSelectsNamespace(scanner, labels)) continue;
    const stamp = timeOf(scanner.status?.lastScheduleTime);
    if (Number.isNaN(stamp)) continue;
    if (latest === undefined || stamp > latest) latest = stamp;
  }
  return latest === undefined ? undefined : new Date(latest);
}
