// Helpers shared by the vulndb tests: locating the repository and the shared fixtures, building and
// running tools/bolt-check (the real bbolt), and rendering a database in bolt-check's dump format.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BoltDb, Bucket } from './bolt/index.js';

const run = promisify(execFile);

/** The repository root: the nearest ancestor of this module holding package.json and tools/. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tools'))) return dir;
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error('cannot find the repository root above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** `<repoRoot>/../shared/fixtures/trivy-db-yaml`, the YAML fixtures of Trivy's integration tests. */
export function trivyDbFixturesDir(): string {
  const dir = resolve(repoRoot(), '..', 'shared', 'fixtures', 'trivy-db-yaml');
  if (!existsSync(dir)) {
    throw new Error(
      `the shared fixtures are missing: expected ${dir} (a copy of shared/ must sit beside the repository clone)`,
    );
  }
  return dir;
}

/**
 * Builds tools/bolt-check through tools/build-bolt-check.sh and returns its path. The script caches the
 * binary outside the repository and returns at once when it is already built.
 */
export async function boltCheck(): Promise<string> {
  const { stdout } = await run('bash', [join(repoRoot(), 'tools', 'build-bolt-check.sh')], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const path = stdout.trim().split('\n').at(-1) ?? '';
  if (!existsSync(path))
    throw new Error(`build-bolt-check.sh did not produce a binary (got ${JSON.stringify(path)})`);
  return path;
}

/** Runs bolt-check with args; rejects with its stderr when it fails. */
export async function runBoltCheck(...args: string[]): Promise<string> {
  const bin = await boltCheck();
  try {
    const { stdout } = await run(bin, args, { maxBuffer: 512 * 1024 * 1024, encoding: 'utf8' });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`bolt-check ${args.join(' ')} failed: ${stderr || String(error)}`, { cause: error });
  }
}

/** A temporary directory removed by the returned cleanup function. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `vigil-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The database rendered exactly as `bolt-check dump` prints it (header line, then depth-first entries). */
export async function dumpLines(db: BoltDb): Promise<string[]> {
  const stats = db.stats();
  const lines = [
    JSON.stringify({
      pageSize: stats.pageSize,
      txid: Number(stats.txid),
      size: stats.pageCount * stats.pageSize,
      kind: 'meta',
    }),
  ];
  async function walk(bucket: Bucket, path: string[]): Promise<void> {
    for await (const entry of bucket.entries()) {
      const key = entry.key.toString('hex');
      const p = JSON.stringify(path);
      if (entry.bucket !== undefined) {
        lines.push(`{"path":${p},"key":"${key}","bucket":true,"seq":${entry.bucket.sequence}}`);
        await walk(entry.bucket, [...path, key]);
      } else {
        lines.push(`{"path":${p},"key":"${key}","value":"${entry.value.toString('hex')}"}`);
      }
    }
  }
  await walk(db.root, []);
  return lines;
}

/** Splits command output into lines, dropping the final empty one. */
export function outputLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** First index where two line lists differ, with both lines, for a readable assertion message. */
export function firstDifference(actual: string[], expected: string[]): string | undefined {
  const n = Math.max(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (actual[i] !== expected[i]) {
      const cut = (s: string | undefined) => (s === undefined ? '(missing)' : s.slice(0, 300));
      return `line ${i} differs (actual ${actual.length} lines, expected ${expected.length}):\n  actual:   ${cut(actual[i])}\n  expected: ${cut(expected[i])}`;
    }
  }
  return undefined;
}
