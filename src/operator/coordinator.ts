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
  /** The name of an active Job (or one being created) that scans this image key, if any. */
  jobForImage(imageKey: string): string | undefined;
  /**
   * Takes a slot for a Job about to be created. False when `limit` Jobs are active already (the caller
   * requeues after scanJobsRetryDelay). Reserving a name that is already active succeeds without a new slot.
   */
  reserve(jobName: string, imageKeys: readonly string[]): boolean;
  /** The Job could not be created after reserve(): give its slot back. */
  release(jobName: string): void;
  /** workloadKey is waiting for the Job scanning imageKey; it is returned by finished() of that Job. */
  wait(imageKey: string, workloadKey: string): void;
  /** A Job ended (finished, deleted or gone): the workload keys waiting on its images, to be enqueued. */
  finished(jobName: string, imageKeys?: readonly string[]): string[];
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

  function snapshot(): { active: Map<string, readonly string[]> } {
    const active = new Map<string, readonly string[]>();
    const seen = new Set<string>();
    for (const job of options.jobs()) {
      const name = job.metadata?.name ?? '';
      seen.add(name);
      if (options.isActive(job) && !job.metadata?.deletionTimestamp) active.set(name, jobImageKeys(job));
    }
    const now = options.clock.now();
    for (const [name, entry] of pending) {
      if (seen.has(name) || now - entry.at > unseenGraceMs) pending.delete(name);
      else active.set(name, entry.imageKeys);
    }
    return { active };
  }

  return {
    jobForImage(imageKey) {
      for (const [name, keys] of snapshot().active) if (keys.includes(imageKey)) return name;
      return undefined;
    },
    reserve(jobName, imageKeys) {
      const { active } = snapshot();
      if (active.has(jobName)) return true;
      if (active.size >= options.limit) return false;
      pending.set(jobName, { imageKeys: [...imageKeys], at: options.clock.now() });
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
      const keys = new Set<string>();
      for (const imageKey of imageKeys ?? []) {
        for (const key of waiters.get(imageKey) ?? []) keys.add(key);
        waiters.delete(imageKey);
      }
      if (keys.size > 0)
        options.logger.debug('scan job ended: waking waiters', { job: jobName, count: keys.size });
      return [...keys];
    },
    activeCount() {
      return snapshot().active.size;
    },
  };
}
