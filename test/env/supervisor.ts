import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface SupervisedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Resolves with the exit code (or 128+signal) once the process has exited. */
  readonly exited: Promise<number>;
  /** SIGTERM to the whole process group, SIGKILL after graceMs; resolves when it has exited. */
  stop(graceMs?: number): Promise<number>;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Where stdout and stderr go; default <dir>/<name>.log. */
  logFile?: string;
  /** Give the caller child.stdout and child.stderr as pipes instead of writing a log file. */
  pipeOutput?: boolean;
}

/**
 * Starts and tracks the harness's child processes, each in its own process group, and makes sure none
 * outlives the harness: stopAll() on a normal stop, an 'exit' hook for crashes, and a detached watchdog that
 * kills every recorded group within a second if this Node process dies by SIGKILL (as a test runner's timeout
 * may do).
 */
export interface Supervisor {
  readonly dir: string;
  spawn(name: string, file: string, args: string[], options?: SpawnOptions): SupervisedProcess;
  /** The processes that have not exited yet. */
  running(): SupervisedProcess[];
  stopAll(): Promise<void>;
}

export function createSupervisor(dir: string): Supervisor {
  const running = new Map<number, SupervisedProcess>();
  const groupsFile = join(dir, 'process-groups');
  writeFileSync(groupsFile, '');
  let stopped = false;

  const recordGroups = () => writeFileSync(groupsFile, [...running.keys()].map((pid) => `${pid}\n`).join(''));
  const killAllNow = () => {
    for (const pid of running.keys()) killGroup(pid, 'SIGKILL');
  };
  process.on('exit', killAllNow);

  // The watchdog polls this process; when it is gone it kills every group listed in the file, then itself.
  const watchdog = spawn(
    'sh',
    [
      '-c',
      'while kill -0 "$1" 2>/dev/null; do sleep 1; done; for g in $(cat "$2" 2>/dev/null); do kill -s KILL -- "-$g" 2>/dev/null; done',
      'vigil-harness-watchdog',
      String(process.pid),
      groupsFile,
    ],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.unref();

  return {
    dir,
    spawn(name, file, args, options = {}) {
      if (stopped) throw new Error(`cannot start ${name}: the supervisor has been stopped`);
      const logFile = options.logFile ?? join(dir, `${name}.log`);
      const fd = options.pipeOutput ? undefined : openSync(logFile, 'a');
      const child = spawn(file, args, {
        detached: true,
        stdio: fd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', fd, fd],
        env: options.env ?? process.env,
        ...(options.cwd ? { cwd: options.cwd } : {}),
      });
      if (fd !== undefined) closeSync(fd);
      const pid = child.pid;
      const exited = new Promise<number>((resolve) => {
        child.on('exit', (code, signal) => {
          if (pid !== undefined) running.delete(pid);
          resolve(code ?? 128 + signalNumber(signal));
        });
        child.on('error', () => {
          if (pid !== undefined) running.delete(pid);
          resolve(127);
        });
      });
      const proc: SupervisedProcess = {
        name,
        child,
        logFile,
        exited,
        async stop(graceMs = 5000) {
          if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return exited;
          killGroup(pid, 'SIGTERM');
          // The grace timer is cancelled once the process exits, so it never keeps the event loop alive.
          const grace = new AbortController();
          const timer = sleep(graceMs, 'timeout' as const, { signal: grace.signal }).catch(
            () => 'exited' as const,
          );
          if ((await Promise.race([exited, timer])) === 'timeout') killGroup(pid, 'SIGKILL');
          const code = await exited;
          grace.abort();
          // Children the process left in its group (e.g. shells' subprocesses) go too.
          killGroup(pid, 'SIGKILL');
          return code;
        },
      };
      if (pid !== undefined) {
        running.set(pid, proc);
        recordGroups();
      }
      return proc;
    },
    running: () => [...running.values()],
    async stopAll() {
      stopped = true;
      // Newest first, one at a time: clients (pods, controller manager) before the API server before etcd, so
      // no process waits out its grace period for connections to one that is already stopping.
      for (const proc of [...running.values()].reverse()) await proc.stop();
      recordGroups();
      process.off('exit', killAllNow);
      if (watchdog.pid !== undefined) killGroup(watchdog.pid, 'SIGKILL');
    },
  };
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  if (!signal) return 0;
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return numbers[signal] ?? 1;
}

/** Whether a process is running (a zombie waiting to be reaped counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
