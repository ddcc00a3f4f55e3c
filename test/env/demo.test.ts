import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { vigilCli } from './paths.js';

test('vigil demo --once brings the environment up, runs the sample workload, prints how to reach it and cleans up', async () => {
  const child = spawn(process.execPath, [vigilCli(), 'demo', '--once'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const timer = setTimeout(() => child.kill('SIGTERM'), 300_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  assert.equal(code, 0, `demo failed:\n${stdout}\n${stderr}`);

  const kubeconfig = /KUBECONFIG=(\S+)/.exec(stdout)?.[1];
  assert.ok(kubeconfig, stdout);
  assert.match(stdout, /API server: +https:\/\/127\.0\.0\.1:\d+/);
  assert.match(
    stdout,
    /Registry: +http:\/\/127\.0\.0\.1:\d+ \(image 127\.0\.0\.1:\d+\/library\/debian:bookworm, sha256:[0-9a-f]{64}\)/,
  );
  assert.match(stdout, /Sample: +deployment\/debian in namespace demo/);
  // --once stops everything and removes the working directory with the kubeconfig.
  assert.equal(existsSync(kubeconfig), false);
});
