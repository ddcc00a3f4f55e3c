import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { vigilCli } from './paths.js';

/** The rows of `kubectl get … -o wide` output, as objects keyed by the header's column names. */
function parseTable(text: string): Record<string, string>[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = lines[0] ?? '';
  // Column starts are where a header word begins; values are cut at the same offsets (kubectl pads columns).
  const starts = [...header.matchAll(/\S+/g)].map((m) => ({ name: m[0], at: m.index ?? 0 }));
  return lines
    .slice(1)
    .map((line) =>
      Object.fromEntries(
        starts.map((col, i) => [col.name, line.slice(col.at, starts[i + 1]?.at ?? line.length).trim()]),
      ),
    );
}

test('vigil demo --once scans the sample workloads and prints a report row per in-scope container, none for the excluded namespace', async () => {
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
  const timer = setTimeout(() => child.kill('SIGTERM'), 600_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  assert.equal(code, 0, `demo failed:\n${stdout}\n${stderr}`);

  // Progress lines go to stderr while the reports arrive.
  assert.match(stderr, /demo: reports \d\/5; waiting for /);
  assert.match(stderr, /demo: reports 5\/5\n/);

  const start = stdout.indexOf('$ kubectl get vulnerabilityreports -A -o wide\n');
  assert.ok(start >= 0, stdout);
  const tableText = stdout.slice(start).split('\n').slice(1).join('\n').split('\n\n')[0] ?? '';
  const rows = parseTable(tableText);
  const names = rows.map((r) => `${r.NAMESPACE}/${r.NAME}`).sort();
  assert.equal(rows.length, 5, tableText);
  assert.deepEqual(
    names.map((n) =>
      n.replace(/^demo-apps\/replicaset-web-[a-z0-9]+-web$/, 'demo-apps/replicaset-web-*-web'),
    ),
    [
      'demo-apps/pod-toolbox-shell',
      'demo-apps/replicaset-web-*-web',
      'demo-data/cronjob-backup-backup',
      'demo-data/statefulset-db-db',
      'demo-data/statefulset-db-metrics',
    ],
  );
  assert.equal(
    rows.some((r) => r.NAMESPACE === 'demo-skip'),
    false,
  );
  const count = (r: Record<string, string>) =>
    ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'].reduce((sum, k) => sum + Number(r[k] ?? 'NaN'), 0);
  for (const row of rows) {
    assert.equal(row.SCANNER, 'Trivy', JSON.stringify(row));
    const repository = row.REPOSITORY ?? '';
    if (repository.endsWith('debian')) {
      assert.equal(row.TAG, 'bookworm', JSON.stringify(row));
      assert.ok(count(row) > 0, `the Debian image has findings: ${JSON.stringify(row)}`);
    } else {
      assert.match(repository, /vigil\/alpine$/, JSON.stringify(row));
      // musl CVE-2019-14697 and OpenSSL CVE-2019-1549/1551 for libssl and libcrypto.
      assert.ok(count(row) > 0, `the Alpine image has findings: ${JSON.stringify(row)}`);
    }
  }
  assert.match(stdout, /demo-skip\/deployment\/legacy .*no report: namespace excluded/);

  const kubeconfig = /KUBECONFIG=(\S+)/.exec(stdout)?.[1];
  assert.ok(kubeconfig, stdout);
  assert.match(stdout, /API server: +https:\/\/127\.0\.0\.1:\d+/);
  assert.match(stdout, /Metrics: +http:\/\/127\.0\.0\.1:\d+\/metrics/);
  assert.match(stdout, /source \S+\/env\.sh/);
  // --once stops everything and removes the working directory with the kubeconfig.
  assert.equal(existsSync(kubeconfig), false);
});
