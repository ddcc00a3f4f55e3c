import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitFor } from './net.js';
import { isAlive as alive, createSupervisor } from './supervisor.js';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

test('stopAll stops every process group, grandchildren included', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-sup-'));
  dirs.push(dir);
  const supervisor = createSupervisor(dir);
  // A shell whose child (sleep) is in the same group: both must go.
  const shell = supervisor.spawn('shell', '/bin/sh', ['-c', 'sleep 300 & echo $! > child.pid; wait'], {
    cwd: dir,
  });
  // The shell creates child.pid before it writes the number: wait for a whole line, not the file.
  const pidFile = join(dir, 'child.pid');
  const readPid = () =>
    existsSync(pidFile) ? /^(\d+)\n/.exec(readFileSync(pidFile, 'utf8'))?.[1] : undefined;
  await waitFor('the grandchild pid', async () => readPid() !== undefined, { timeoutMs: 5000 });
  const grandchild = Number(readPid());
  assert.ok(alive(grandchild));
  await supervisor.stopAll();
  assert.equal(alive(shell.child.pid!), false);
  await waitFor('the grandchild to exit', async () => !alive(grandchild), { timeoutMs: 5000 });
});

test('if the harness process is killed with SIGKILL, the watchdog kills what it started', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-sup-'));
  dirs.push(dir);
  const supervisorModule = fileURLToPath(new URL('./supervisor.js', import.meta.url));
  const script = `
    const { createSupervisor } = await import(${JSON.stringify(supervisorModule)});
    const s = createSupervisor(${JSON.stringify(dir)});
    const p = s.spawn('sleeper', 'sleep', ['300']);
    console.log(p.child.pid);
    setInterval(() => {}, 1000);
  `;
  const harness = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const pid = await new Promise<number>((resolve) =>
    harness.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))),
  );
  assert.ok(alive(pid), 'the supervised sleep is running');
  harness.kill('SIGKILL');
  await waitFor('the watchdog to kill the orphaned sleep', async () => !alive(pid), {
    timeoutMs: 5000,
    intervalMs: 100,
  });
});
