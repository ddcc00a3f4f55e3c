import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, normalize, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeApiError } from '../../../src/k8s/errors.js';
import { type KubeClient, MERGE_PATCH } from '../../../src/k8s/kube-client.js';
import { repoRoot } from '../paths.js';
import type { SupervisedProcess, Supervisor } from '../supervisor.js';
import { ContainerLog } from './container-log.js';
import { type ImagePrograms, ImageUnavailableError } from './image-programs.js';
import {
  ContainerConfigError,
  createObjectSource,
  expandReferences,
  materializeVolumes,
  resolveEnv,
} from './pod-inputs.js';
import type { Container, ContainerStateTerminated, ContainerStatus, Pod } from './pod-types.js';

export interface PodRunContext {
  client: KubeClient;
  supervisor: Supervisor;
  programs: ImagePrograms;
  /** Directory for this pod's volumes and logs. */
  dir: string;
  /** What containerStatuses[].imageID says for an image (a digest reference when it can be known). */
  imageId(image: string): Promise<string>;
  /** Environment every container gets, before its own (in-cluster API address, say). */
  baseEnv: Record<string, string>;
  log(message: string): void;
}

type Phase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';
const CONDITIONS = ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'] as const;
const RESTART_BACKOFF_MS = [1000, 2000, 4000, 8000, 16000];

/**
 * One pod on the process node, from creation to deletion, as a kubelet would run it: volumes and env resolved
 * (waiting with CreateContainerConfigError while a Secret or key is missing), init containers in order, then
 * the containers as local processes, restarts per restartPolicy, activeDeadlineSeconds, and a graceful stop
 * when the pod is deleted. Every change is written to pods/status.
 */
export class PodRun {
  private pod: Pod;
  private readonly ctx: PodRunContext;
  private phase: Phase = 'Pending';
  private podReason: string | undefined;
  private podMessage: string | undefined;
  private readonly startTime = new Date().toISOString();
  private readonly initStatuses: ContainerStatus[];
  private readonly statuses: ContainerStatus[];
  private readonly conditionTimes = new Map<string, { status: boolean; time: string }>();
  private readonly processes = new Map<string, SupervisedProcess>();
  private readonly logs = new Map<string, ContainerLog[]>();
  private readonly createdHostDirs = new Set<string>();
  private readonly abort = new AbortController();
  private statusWrites: Promise<void> = Promise.resolve();
  private terminating: Promise<void> | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;

  constructor(pod: Pod, ctx: PodRunContext) {
    this.pod = pod;
    this.ctx = ctx;
    const waiting = (c: Container, reason: string): ContainerStatus => ({
      name: c.name,
      image: c.image,
      imageID: '',
      ready: false,
      started: false,
      restartCount: 0,
      state: { waiting: { reason } },
      lastState: {},
    });
    this.initStatuses = (pod.spec.initContainers ?? []).map((c) => waiting(c, 'PodInitializing'));
    this.statuses = pod.spec.containers.map((c) =>
      waiting(c, pod.spec.initContainers?.length ? 'PodInitializing' : 'ContainerCreating'),
    );
  }

  get uid(): string {
    return this.pod.metadata.uid;
  }

  get key(): string {
    return `${this.pod.metadata.namespace}/${this.pod.metadata.name}`;
  }

  /**
   * The log of a container's current run, or with previous=true of the instance before it. During a restart
   * back-off the previous instance is the one that just exited, as the kubelet has it.
   */
  containerLog(container: string, previous: boolean): ContainerLog | undefined {
    const runs = this.logs.get(container) ?? [];
    const status = [...this.initStatuses, ...this.statuses].find((s) => s.name === container);
    const restarts = status?.restartCount ?? 0;
    if (previous) return restarts > 0 ? runs[restarts - 1] : undefined;
    return runs[Math.min(restarts, runs.length - 1)];
  }

  /** Starts the pod; resolves when it has reached a terminal phase or was stopped. */
  async start(): Promise<void> {
    await mkdir(this.ctx.dir, { recursive: true });
    const deadline = this.pod.spec.activeDeadlineSeconds;
    if (deadline !== undefined) {
      this.deadlineTimer = setTimeout(() => void this.exceedDeadline(deadline), deadline * 1000);
    }
    this.pushStatus();
    try {
      const prepared = await this.prepare();
      if (!prepared) return;
      for (const [index, container] of (this.pod.spec.initContainers ?? []).entries()) {
        const ok = await this.runToCompletion(container, this.initStatuses[index]!);
        if (!ok) return;
      }
      await Promise.all(this.pod.spec.containers.map((c, i) => this.runContainer(c, this.statuses[i]!)));
      if (!this.abort.signal.aborted) {
        this.phase = this.statuses.every((s) => s.state.terminated?.exitCode === 0) ? 'Succeeded' : 'Failed';
        this.pushStatus();
      }
    } catch (error) {
      if (!this.abort.signal.aborted)
        this.ctx.log(`pod ${this.key}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      clearTimeout(this.deadlineTimer);
    }
  }

  /** A newer version of the pod arrived; a deletionTimestamp starts the graceful stop. */
  update(pod: Pod): void {
    this.pod = pod;
    if (pod.metadata.deletionTimestamp && !this.terminating) {
      const grace = pod.metadata.deletionGracePeriodSeconds;
      this.terminating = this.terminate(
        typeof grace === 'number' ? grace : (pod.spec.terminationGracePeriodSeconds ?? 30),
      );
    }
  }

  /** The pod is gone from the API: stop everything now and clean up. */
  async forget(): Promise<void> {
    this.abort.abort();
    clearTimeout(this.deadlineTimer);
    await Promise.all([...this.processes.values()].map((p) => p.stop(1000)));
    await this.cleanup();
  }

  private async prepare(): Promise<
    { env: Map<string, Map<string, string>>; volumes: Map<string, string> } | undefined
  > {
    for (let attempt = 0; !this.abort.signal.aborted; attempt++) {
      try {
        const objects = createObjectSource(this.ctx.client, this.pod.metadata.namespace);
        const volumes = await materializeVolumes(this.pod, this.ctx.dir, objects, (sa, audience, seconds) =>
          this.requestToken(sa, audience, seconds),
        );
        const env = new Map<string, Map<string, string>>();
        for (const c of [...(this.pod.spec.initContainers ?? []), ...this.pod.spec.containers]) {
          this.ctx.programs.resolve(c);
          env.set(c.name, await resolveEnv(this.pod, c, objects));
        }
        this.prepared = { env, volumes };
        return this.prepared;
      } catch (error) {
        let reason: string;
        if (error instanceof ContainerConfigError) reason = 'CreateContainerConfigError';
        else if (error instanceof ImageUnavailableError)
          reason = attempt === 0 ? 'ErrImagePull' : 'ImagePullBackOff';
        else throw error;
        const message = error.message;
        for (const s of [...this.initStatuses, ...this.statuses]) s.state = { waiting: { reason, message } };
        this.pushStatus();
        await sleep(Math.min(10_000, 1000 * 2 ** attempt), undefined, { signal: this.abort.signal }).catch(
          () => undefined,
        );
      }
    }
    return undefined;
  }
  private prepared: { env: Map<string, Map<string, string>>; volumes: Map<string, string> } | undefined;

  /** Runs an init container until it succeeds (restarting on failure unless restartPolicy is Never). */
  private async runToCompletion(container: Container, status: ContainerStatus): Promise<boolean> {
    for (let attempt = 0; !this.abort.signal.aborted; attempt++) {
      const exitCode = await this.runOnce(container, status);
      if (exitCode === 0) return true;
      if (this.pod.spec.restartPolicy === 'Never') {
        this.phase = 'Failed';
        this.pushStatus();
        return false;
      }
      await this.backoff(attempt, status);
    }
    return false;
  }

  /** Runs a main container, restarting it as the pod's restartPolicy says. */
  private async runContainer(container: Container, status: ContainerStatus): Promise<void> {
    const policy = this.pod.spec.restartPolicy ?? 'Always';
    for (let attempt = 0; !this.abort.signal.aborted; attempt++) {
      const exitCode = await this.runOnce(container, status);
      if (this.abort.signal.aborted || this.terminating) return;
      if (policy === 'Never' || (policy === 'OnFailure' && exitCode === 0)) return;
      await this.backoff(attempt, status);
    }
  }

  private async backoff(attempt: number, status: ContainerStatus): Promise<void> {
    const delay = RESTART_BACKOFF_MS[Math.min(attempt, RESTART_BACKOFF_MS.length - 1)]!;
    status.lastState = status.state.terminated ? { terminated: status.state.terminated } : {};
    status.state = {
      waiting: {
        reason: 'CrashLoopBackOff',
        message: `back-off ${delay / 1000}s restarting failed container=${status.name}`,
      },
    };
    status.restartCount += 1;
    this.pushStatus();
    await sleep(delay, undefined, { signal: this.abort.signal }).catch(() => undefined);
  }

  /** One run of one container as a process; resolves with its exit code. */
  private async runOnce(container: Container, status: ContainerStatus): Promise<number> {
    const prepared = this.prepared!;
    const program = this.ctx.programs.resolve(container);
    const podEnv = prepared.env.get(container.name) ?? new Map<string, string>();
    const env: Record<string, string> = {
      PATH: [...program.pathPrefix, process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'].join(':'),
      HOME: '/root',
      HOSTNAME: this.pod.spec.hostname ?? this.pod.metadata.name,
      ...this.ctx.baseEnv,
      ...Object.fromEntries(podEnv),
    };
    const args = program.args.map((a) => expandReferences(a, podEnv));
    const file = expandReferences(program.file, podEnv);
    const { launcher, launcherArgs } = await this.mountWrapper(container, prepared.volumes, file, args, [
      repoRoot(),
      dirname(process.execPath),
      ...program.pathPrefix,
    ]);

    const runs = this.logs.get(container.name) ?? [];
    const log = new ContainerLog(join(this.ctx.dir, `${container.name}-${runs.length}.log`));
    runs.push(log);
    this.logs.set(container.name, runs);

    const proc = this.ctx.supervisor.spawn(
      `pod-${this.pod.metadata.name}-${container.name}`,
      launcher,
      launcherArgs,
      {
        env,
        pipeOutput: true,
      },
    );
    proc.child.stdout?.on('data', (chunk: Buffer) => log.write('stdout', chunk));
    proc.child.stderr?.on('data', (chunk: Buffer) => log.write('stderr', chunk));
    this.processes.set(container.name, proc);
    const startedAt = new Date().toISOString();
    const containerID = `vigil-process://${proc.child.pid ?? 0}`;
    status.imageID = await this.ctx.imageId(container.image);
    status.containerID = containerID;
    status.state = { running: { startedAt } };
    status.started = true;
    status.ready = true;
    if (this.phase === 'Pending' && this.initStatuses.includes(status) === false) this.phase = 'Running';
    this.pushStatus();

    const exitCode = await proc.exited;
    await new Promise((resolve) => setImmediate(resolve));
    log.end();
    this.processes.delete(container.name);
    const terminated: ContainerStateTerminated = {
      exitCode,
      reason:
        exitCode === 0
          ? 'Completed'
          : this.terminating
            ? 'Error'
            : exitCode === 137 && this.oomHint(log)
              ? 'OOMKilled'
              : 'Error',
      startedAt,
      finishedAt: new Date().toISOString(),
      containerID,
    };
    const message = await this.terminationMessage(container, prepared.volumes, log, exitCode);
    if (message) terminated.message = message;
    status.state = { terminated };
    status.ready = false;
    status.started = false;
    this.pushStatus();
    return exitCode;
  }

  private oomHint(log: ContainerLog): boolean {
    return /out of memory|heap limit/i.test(log.tail(5, 1024));
  }

  /** The termination message: the file at terminationMessagePath when it is on a volume, else the log tail on error. */
  private async terminationMessage(
    container: Container,
    volumes: Map<string, string>,
    log: ContainerLog,
    exitCode: number,
  ): Promise<string> {
    const path = container.terminationMessagePath ?? '/dev/termination-log';
    for (const mount of container.volumeMounts ?? []) {
      if (path.startsWith(`${mount.mountPath}/`)) {
        const host = join(
          volumes.get(mount.name) ?? '',
          mount.subPath ?? '',
          path.slice(mount.mountPath.length),
        );
        const text = await readFile(host, 'utf8').catch(() => '');
        if (text) return text.slice(0, 4096);
      }
    }
    if (container.terminationMessagePolicy === 'FallbackToLogsOnError' && exitCode !== 0)
      return log.tail(80, 2048);
    return '';
  }

  /**
   * Volume mounts need a private mount namespace: the process is started under unshare, which bind-mounts each
   * volume at its mountPath (deepest last) and changes to workingDir before exec'ing the program. A volume
   * mounted over a host directory the program itself lives in (the checkout, node, the vigil shim — e.g. an
   * emptyDir at /tmp while the checkout is under /tmp) would hide it, so such paths are bound into the volume at
   * the same place first and the volume is mounted recursively: the program stays reachable, the host is untouched.
   */
  private async mountWrapper(
    container: Container,
    volumes: Map<string, string>,
    file: string,
    args: string[],
    keep: readonly string[],
  ): Promise<{ launcher: string; launcherArgs: string[] }> {
    const mounts = [...(container.volumeMounts ?? [])].sort(
      (a, b) => a.mountPath.split('/').length - b.mountPath.split('/').length,
    );
    if (mounts.length === 0 && !container.workingDir) return { launcher: file, launcherArgs: args };
    const lines = ['set -e'];
    const mounted: string[] = [];
    for (const mount of mounts) {
      const target = normalize(mount.mountPath);
      if (target === '/' || !target.startsWith('/'))
        throw new ContainerConfigError(`mountPath ${mount.mountPath} is not allowed`);
      const volumeDir = volumes.get(mount.name);
      if (!volumeDir) throw new ContainerConfigError(`volumeMount ${mount.name} names no volume of the pod`);
      const source = mount.subPath ? join(volumeDir, mount.subPath) : volumeDir;
      if (!mounted.some((m) => target.startsWith(`${m}/`))) await this.noteHostPath(target);
      if (mount.subPath && !existsSync(source)) await mkdir(source, { recursive: true });
      const isFile = mount.subPath !== undefined && existsSync(source) && !(await isDirectory(source));
      lines.push(
        isFile
          ? `mkdir -p ${q(dirname(target))}; [ -e ${q(target)} ] || : > ${q(target)}`
          : `mkdir -p ${q(target)}`,
      );
      const hidden = keep.filter((path) => path.startsWith(`${target}/`));
      for (const path of hidden) {
        const inVolume = join(source, relative(target, path));
        lines.push(`mkdir -p ${q(inVolume)}`, `mount --bind ${q(path)} ${q(inVolume)}`);
      }
      lines.push(`mount ${hidden.length > 0 ? '--rbind' : '--bind'} ${q(source)} ${q(target)}`);
      if (mount.readOnly) lines.push(`mount -o remount,bind,ro ${q(target)}`);
      mounted.push(target);
    }
    if (container.workingDir)
      lines.push(`mkdir -p ${q(container.workingDir)}`, `cd ${q(container.workingDir)}`);
    lines.push('exec "$@"');
    return {
      launcher: 'unshare',
      launcherArgs: [
        '--mount',
        '--propagation',
        'private',
        '--',
        '/bin/sh',
        '-c',
        lines.join('\n'),
        'vigil-pod',
        file,
        ...args,
      ],
    };
  }

  /** Remembers the first ancestor of a mount point that does not exist on the host, to remove it afterwards. */
  private async noteHostPath(target: string): Promise<void> {
    let missing: string | undefined;
    for (let dir = target; dir !== '/' && !existsSync(dir); dir = dirname(dir)) missing = dir;
    if (missing) this.createdHostDirs.add(missing);
  }

  private async exceedDeadline(seconds: number): Promise<void> {
    if (this.phase === 'Succeeded' || this.phase === 'Failed' || this.terminating) return;
    this.abort.abort();
    await Promise.all([...this.processes.values()].map((p) => p.stop(1000)));
    this.phase = 'Failed';
    this.podReason = 'DeadlineExceeded';
    this.podMessage = `Pod was active on the node longer than the specified deadline (${seconds}s)`;
    this.pushStatus();
  }

  private async terminate(graceSeconds: number): Promise<void> {
    this.abort.abort();
    await Promise.all([...this.processes.values()].map((p) => p.stop(Math.max(0, graceSeconds) * 1000)));
    await this.statusWrites;
    try {
      await this.ctx.client.delete(
        `/api/v1/namespaces/${this.pod.metadata.namespace}/pods/${this.pod.metadata.name}`,
        {
          body: {
            apiVersion: 'v1',
            kind: 'DeleteOptions',
            gracePeriodSeconds: 0,
            preconditions: { uid: this.uid },
          },
        },
      );
    } catch (error) {
      if (!(error instanceof KubeApiError && (error.status === 404 || error.status === 409))) {
        this.ctx.log(`pod ${this.key}: final delete failed: ${(error as Error).message}`);
      }
    }
  }

  private async cleanup(): Promise<void> {
    for (const dir of this.createdHostDirs) await removeEmptyTree(dir);
    await rm(this.ctx.dir, { recursive: true, force: true }).catch(() => undefined);
  }

  private async requestToken(
    serviceAccount: string,
    audience: string | undefined,
    seconds: number,
  ): Promise<string> {
    const response = await this.ctx.client.create<{ status: { token: string } }>(
      `/api/v1/namespaces/${this.pod.metadata.namespace}/serviceaccounts/${serviceAccount}/token`,
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          expirationSeconds: Math.max(600, seconds),
          ...(audience ? { audiences: [audience] } : {}),
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: this.pod.metadata.name, uid: this.uid },
        },
      },
    );
    return response.status.token;
  }

  /** Queues a write of the whole status; writes happen one at a time, in order. */
  private pushStatus(): void {
    const status = this.buildStatus();
    this.statusWrites = this.statusWrites.then(async () => {
      try {
        await this.ctx.client.patch(
          `/api/v1/namespaces/${this.pod.metadata.namespace}/pods/${this.pod.metadata.name}/status`,
          { status },
          MERGE_PATCH,
        );
      } catch (error) {
        if (!(error instanceof KubeApiError && error.status === 404))
          this.ctx.log(`pod ${this.key}: status update failed: ${(error as Error).message}`);
      }
    });
  }

  private buildStatus(): Record<string, unknown> {
    const initialized = this.initStatuses.every((s) => s.state.terminated?.exitCode === 0);
    const ready = this.phase === 'Running' && this.statuses.every((s) => s.ready);
    const values: Record<(typeof CONDITIONS)[number], boolean> = {
      PodScheduled: true,
      Initialized: initialized,
      ContainersReady: ready,
      Ready: ready,
    };
    const now = new Date().toISOString();
    const conditions = CONDITIONS.map((type) => {
      const previous = this.conditionTimes.get(type);
      if (!previous || previous.status !== values[type])
        this.conditionTimes.set(type, { status: values[type], time: now });
      return {
        type,
        status: values[type] ? 'True' : 'False',
        lastProbeTime: null,
        lastTransitionTime: this.conditionTimes.get(type)!.time,
      };
    });
    const clone = (s: ContainerStatus) => JSON.parse(JSON.stringify(s)) as ContainerStatus;
    return {
      phase: this.phase,
      reason: this.podReason ?? null,
      message: this.podMessage ?? null,
      startTime: this.startTime,
      hostIP: '127.0.0.1',
      hostIPs: [{ ip: '127.0.0.1' }],
      podIP: '127.0.0.1',
      podIPs: [{ ip: '127.0.0.1' }],
      conditions,
      ...(this.initStatuses.length > 0 ? { initContainerStatuses: this.initStatuses.map(clone) } : {}),
      containerStatuses: this.statuses.map(clone),
    };
  }
}

function q(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path)).isDirectory();
}

/** Removes a directory tree made only of empty directories (what bind-mount targets leave behind). */
/**
 * Removes a host directory this pod created for its mount points: empty directories, and the empty files made
 * as mount points for single-file (subPath) mounts. Anything else in it stays, and so does the directory.
 */
async function removeEmptyTree(dir: string): Promise<void> {
  try {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await removeEmptyTree(path);
      else if (entry.isFile() && (await stat(path)).size === 0) await rm(path);
    }
    await rmdir(dir);
  } catch {
    // not empty or already gone: leave it
  }
}
