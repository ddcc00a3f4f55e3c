// How a scan Job ended, read from the Job's conditions and its pod's container statuses (Trivy Operator §3.7,
// §3.10), and a one-line reason for a failure that people can act on.
import type { ContainerStatus, Job, Pod } from './types.js';

export type JobOutcome = 'active' | 'succeeded' | 'failed';

/**
 * From the first true terminal condition: Complete / SuccessCriteriaMet → succeeded, Failed / FailureTarget →
 * failed (the *Target conditions come before the pods are gone, so the result is known early). No terminal
 * condition → active.
 */
export function jobOutcome(job: Pick<Job, 'status'>): JobOutcome {
  for (const condition of job.status?.conditions ?? []) {
    if (condition.status !== 'True') continue;
    if (condition.type === 'Complete' || condition.type === 'SuccessCriteriaMet') return 'succeeded';
    if (condition.type === 'Failed' || condition.type === 'FailureTarget') return 'failed';
  }
  return 'active';
}

export interface ContainerOutcome {
  exitCode: number;
  reason?: string;
  message?: string;
  /** An init container (the Standalone DB download). */
  init: boolean;
}

/** Terminated containers of the pod by name (init containers included, flagged); running ones are absent. */
export function containerOutcomes(pod: Pick<Pod, 'status'>): Map<string, ContainerOutcome> {
  const out = new Map<string, ContainerOutcome>();
  const add = (statuses: ContainerStatus[] | undefined, init: boolean) => {
    for (const status of statuses ?? []) {
      const terminated = status.state?.terminated;
      if (!terminated) continue;
      out.set(status.name, {
        exitCode: terminated.exitCode,
        ...(terminated.reason ? { reason: terminated.reason } : {}),
        ...(terminated.message ? { message: terminated.message } : {}),
        init,
      });
    }
  };
  add(pod.status?.initContainerStatuses, true);
  add(pod.status?.containerStatuses, false);
  return out;
}

const PULL_FAILURES = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);

/**
 * One line saying why a scan Job failed, most specific first: the scanner image could not be pulled, a
 * container could not be configured, a container was OOMKilled, a container exited with an error (its
 * termination message: vigil's own "vigil: …" line), the deadline passed, else the Job's failure condition.
 */
export function failureReason(job: Pick<Job, 'status' | 'spec'>, pod?: Pick<Pod, 'status' | 'spec'>): string {
  const failed = (job.status?.conditions ?? []).find(
    (c) => c.status === 'True' && (c.type === 'Failed' || c.type === 'FailureTarget'),
  );
  const deadline = failed?.reason === 'DeadlineExceeded';
  const timedOut = `scan timed out after ${humanDuration(job.spec.activeDeadlineSeconds)}`;
  const statuses = [...(pod?.status?.initContainerStatuses ?? []), ...(pod?.status?.containerStatuses ?? [])];

  for (const status of statuses) {
    const waiting = status.state?.waiting;
    if (!waiting?.reason) continue;
    let why: string | undefined;
    if (PULL_FAILURES.has(waiting.reason)) {
      why = `cannot pull the scanner image ${status.image ?? imageOf(pod, status.name) ?? ''} (${waiting.reason}${
        waiting.message ? `: ${oneLine(waiting.message)}` : ''
      }); check scannerImage and its pull secret`;
    } else if (waiting.reason === 'CreateContainerConfigError') {
      why = `container ${status.name} cannot start (${oneLine(waiting.message ?? waiting.reason)})`;
    }
    if (why) return deadline ? `${timedOut}: ${why}` : why;
  }
  for (const status of statuses) {
    const terminated = status.state?.terminated;
    if (terminated?.reason !== 'OOMKilled') continue;
    const limit = limitOf(pod, status.name);
    return `container ${status.name} ran out of memory (OOMKilled${limit ? `, limit ${limit}` : ''}); raise trivy.resources.limits.memory`;
  }
  for (const status of statuses) {
    const terminated = status.state?.terminated;
    if (!terminated || terminated.exitCode === 0) continue;
    const message = terminated.message ? errorLine(terminated.message) : undefined;
    const what = init(pod, status.name) ? 'the DB download' : `the scan of container ${status.name}`;
    return `${what} failed (exit ${terminated.exitCode}${terminated.reason ? `, ${terminated.reason}` : ''})${
      message ? `: ${message}` : ''
    }`;
  }
  if (deadline) return timedOut;
  if (failed) {
    return `scan Job failed${failed.reason ? ` (${failed.reason})` : ''}${failed.message ? `: ${oneLine(failed.message)}` : ''}${
      pod ? '' : '; its pod is gone'
    }`;
  }
  return 'scan Job failed without a reason';
}

function init(pod: Pick<Pod, 'status' | 'spec'> | undefined, name: string): boolean {
  return (pod?.status?.initContainerStatuses ?? []).some((s) => s.name === name);
}

function imageOf(pod: Pick<Pod, 'spec'> | undefined, name: string): string | undefined {
  return [...(pod?.spec?.initContainers ?? []), ...(pod?.spec?.containers ?? [])].find((c) => c.name === name)
    ?.image;
}

function limitOf(pod: Pick<Pod, 'spec'> | undefined, name: string): string | undefined {
  return [...(pod?.spec?.initContainers ?? []), ...(pod?.spec?.containers ?? [])].find((c) => c.name === name)
    ?.resources?.limits?.memory;
}

/** The line of a log tail that says what went wrong: vigil's "vigil: …" line, else the last non-empty one. */
function errorLine(message: string): string {
  const lines = message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const line = lines.filter((l) => l.startsWith('vigil: ')).at(-1) ?? lines.at(-1) ?? '';
  return oneLine(line.replace(/^vigil: /, ''));
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 299)}…` : flat;
}

/** 300 → "5m", 90 → "1m30s", 3600 → "1h". */
export function humanDuration(seconds: number | undefined): string {
  if (seconds === undefined) return 'its deadline';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const text = `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
  return text === '' ? '0s' : text;
}
