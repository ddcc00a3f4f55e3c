// The scan coordinator: which images are being scanned right now, how many scan Jobs are active, and who is
// waiting for which image. It holds no Kubernetes client: the truth about Jobs is the Jobs informer's cache
// (passed in as `jobs`), plus the Jobs this process created that the informer has not shown yet (README fixed
// decision 7). Waiters live only in memory: after a restart every workload is enqueued again by the informers'
// initial lists, so nothing is lost with them.
import type { Clock, KubeObject, Logger } from '../k8s/index.js';

/** Job annotation (Vigil's): JSON `{container: imageKey}` of the containers the Job scans. */
export const JOB_IMAGE_KEYS_ANNOTATION = 'vigil.aquasecurity.github.io/image-keys';

export interface ScanCoordinatorOptions<J extends KubeObject = KubeObject> {
  /** scanJobsConcurrentLimit: active scan Jobs allowed at once. */
  limit: number;
  /** The scan Jobs the informer holds now (operator namespace, managed-by label). */
  jobs: () => readonly J[];
  /** True while a Job has no Complete/Failed condition (scan-job's jobOutcome(job) === 'active'). */
  isActive: (job: J) => boolean;
  clock: Clock;
  logger: Logger;
  /** How long a created Job may stay unseen by the informer before it stops counting; default 2 min. */
  unseenGraceMs?: number;
}

export interface ScanCoordinator {
  /**
   * The name of an active Job (or one being created) that scans this image key, or of a finished one whose
   * results are not handled yet (finished() not called for it), if any.
   */
  jobForImage(imageKey: string): string | undefined;
  /**
   * Takes a slot for a Job about to be created. False when `limit` Jobs are active already (the caller
   * requeues after scanJobsRetryDelay). Reserving a name that is already active succeeds without a new slot.
   * With `workloadKey`, a refusal also puts the workload in the deferred line (keeping its place if it is
   * there already), and a success takes it out.
   */
  reserve(jobName: string, imageKeys: readonly string[], workloadKey?: string): boolean;
  /** The Job could not be created after reserve(): give its slot back. */
  release(jobName: string): void;
  /** workloadKey is waiting for the Job scanning imageKey; it is returned by finished() of that Job. */
  wait(imageKey: string, workloadKey: string): void;
  /**
   * A Job ended (finished, deleted or gone): the workload keys to enqueue — those waiting on its images, and
   * as many deferred workloads as there are free slots now, oldest deferral first.
   */
  finished(jobName: string, imageKeys?: readonly string[]): string[];
  /** Workloads refused a slot and not yet woken, oldest first. */
  deferred(): string[];
  /** Active Jobs: informer Jobs without a finished condition plus created ones not seen yet. */
  activeCount(): number;
}

/** The image keys a scan Job scans, from Vigil's annotation; [] when absent or malformed. */
export function jobImageKeys(job: KubeObject): string[] {
  const text = job.metadata?.annotations?.[JOB_IMAGE_KEYS_ANNOTATION];
  if (!text) return [];
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return [
        ...new Set(Object.values(parsed as Record<string, unknown>).filter((v) => typeof v === 'string')),
      ] as string[];
  } catch {
    // an annotation someone edited: the Job then covers no image for sharing purposes
  }
  return [];
}

export function createScanCoordinator<J extends KubeObject>(
  options: ScanCoordinatorOptions<J>,
): ScanCoordinator {
  const unseenGraceMs = options.unseenGraceMs ?? 120_000;
  // Jobs created by this process, until the informer shows them (or the grace passes).
  const pending = new Map<string, { imageKeys: readonly string[]; at: number }>();
  const waiters = new Map<string, Set<string>>();
  // Uids of finished Jobs whose results this process has handled (finished() called). Until then a finished
  // Job still covers its images: between a Job's end and its reports being written, a workload of the same
  // image (all of them right after a restart) would otherwise find neither a result nor a Job, and scan again.
  const handled = new Set<string>();
  // Workloads refused a slot → when they were first refused. A Map keeps insertion order, but a woken
  // workload that is refused again (another took the slot first) must keep its old place, hence the times.
  const deferredSince = new Map<string, number>();
  // Woken and not heard of since: their original time, in case they are refused again (another workload took
  // the slot first). Kept for unseenGraceMs, so workloads that never come back (deleted) are forgotten.
  const woken = new Map<string, { since: number; at: number }>();

  function defer(workloadKey: string): void {
    if (deferredSince.has(workloadKey)) return;
    deferredSince.set(workloadKey, woken.get(workloadKey)?.since ?? options.clock.now());
    woken.delete(workloadKey);
  }

  /** Takes the `count` oldest deferred workloads out of the line. */
  function wake(count: number): string[] {
    const now = options.clock.now();
    for (const [key, entry] of woken) if (now - entry.at > unseenGraceMs) woken.delete(key);
    if (count <= 0 || deferredSince.size === 0) return [];
    const chosen = [...deferredSince].sort(([, a], [, b]) => a - b).slice(0, count);
    for (const [key, since] of chosen) {
      deferredSince.delete(key);
      woken.set(key, { since, at: now });
    }
    return chosen.map(([key]) => key);
  }

  function snapshot(): {
    active: Map<string, readonly string[]>;
    unhandled: Map<string, readonly string[]>;
  } {
    const active = new Map<string, readonly string[]>();
    const unhandled = new Map<string, readonly string[]>();
    const seen = new Set<string>();
    const uids = new Set<string>();
    for (const job of options.jobs()) {
      const name = job.metadata?.name ?? '';
      const uid = job.metadata?.uid ?? '';
      seen.add(name);
      uids.add(uid);
      if (options.isActive(job) && !job.metadata?.deletionTimestamp) active.set(name, jobImageKeys(job));
      else if (!handled.has(uid)) unhandled.set(name, jobImageKeys(job));
    }
    for (const uid of handled) if (!uids.has(uid)) handled.delete(uid);
    const now = options.clock.now();
    for (const [name, entry] of pending) {
      if (seen.has(name) || now - entry.at > unseenGraceMs) pending.delete(name);
      else active.set(name, entry.imageKeys);
    }
    return { active, unhandled };
  }

  return {
    jobForImage(imageKey) {
      const { active, unhandled } = snapshot();
      for (const [name, keys] of [...active, ...unhandled]) if (keys.includes(imageKey)) return name;
      return undefined;
    },
    reserve(jobName, imageKeys, workloadKey) {
      const { active } = snapshot();
      if (!active.has(jobName)) {
        if (active.size >= options.limit) {
          if (workloadKey !== undefined) defer(workloadKey);
          return false;
        }
        pending.set(jobName, { imageKeys: [...imageKeys], at: options.clock.now() });
      }
      if (workloadKey !== undefined) {
        deferredSince.delete(workloadKey);
        woken.delete(workloadKey);
      }
      return true;
    },
    release(jobName) {
      pending.delete(jobName);
    },
    wait(imageKey, workloadKey) {
      const set = waiters.get(imageKey) ?? new Set<string>();
      waiters.set(imageKey, set);
      set.add(workloadKey);
    },
    finished(jobName, imageKeys) {
      pending.delete(jobName);
      for (const job of options.jobs())
        if (job.metadata?.name === jobName && !options.isActive(job)) handled.add(job.metadata?.uid ?? '');
      const keys = new Set<string>();
      for (const imageKey of imageKeys ?? []) {
        for (const key of waiters.get(imageKey) ?? []) keys.add(key);
        waiters.delete(imageKey);
      }
      const waiting = keys.size;
      // A slot is free now: the deferred workloads need not sit out scanJobsRetryDelay (their requeue stays
      // as the fallback, e.g. for a slot freed by a Job this process never saw end).
      const free = options.limit - snapshot().active.size;
      const deferred = wake(free);
      for (const key of deferred) keys.add(key);
      if (keys.size > 0)
        options.logger.debug('scan job ended: waking workloads', {
          job: jobName,
          waiting,
          deferred: deferred.length,
        });
      return [...keys];
    },
    deferred() {
      return [...deferredSince].sort(([, a], [, b]) => a - b).map(([key]) => key);
    },
    activeCount() {
      return snapshot().active.size;
    },
  };
}
