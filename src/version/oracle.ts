// Test support (not a test): asks the real dpkg and rpm tools to order many version pairs, cheaply.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ordering } from './types.js';

export type Pair = readonly [string, string];

export function toolAvailable(command: string, args: string[]): boolean {
  const run = spawnSync(command, args, { encoding: 'utf8' });
  return run.status === 0;
}

function runWithInput(command: string, args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${command} exited ${code}: ${err.slice(0, 2000)}`));
    });
    child.stdin.end(input);
  });
}

// One bash loop per worker reads "a<TAB>b" lines and prints dpkg's verdict: spawning bash once per pair
// would dominate the run time, dpkg itself has no batch mode.
const DPKG_LOOP = `
while IFS=$'\\t' read -r a b; do
  if dpkg --compare-versions "$a" lt "$b"; then echo -1
  elif dpkg --compare-versions "$a" eq "$b"; then echo 0
  else echo 1; fi
done`;

/** `dpkg --compare-versions` for every pair, split over `workers` shell loops. */
export async function dpkgOrder(pairs: readonly Pair[], workers = 2): Promise<Ordering[]> {
  const chunks: Pair[][] = Array.from({ length: workers }, () => []);
  for (const [i, pair] of pairs.entries()) chunks[i % workers]?.push(pair);
  const outputs = await Promise.all(
    chunks.map((chunk) =>
      runWithInput('bash', ['-c', DPKG_LOOP], chunk.map(([a, b]) => `${a}\t${b}\n`).join('')),
    ),
  );
  const perChunk = outputs.map((o) => o.trim().split('\n').map(Number));
  return pairs.map((_, i) => {
    const value = perChunk[i % workers]?.[Math.floor(i / workers)];
    if (value !== -1 && value !== 0 && value !== 1) throw new Error(`dpkg gave no verdict for pair ${i}`);
    return value;
  });
}

/** rpm's own `rpm.vercmp` (EVR-aware) for every pair, in one rpm process running a Lua script. */
export function rpmOrder(pairs: readonly Pair[]): Ordering[] {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-rpm-'));
  try {
    const script = join(dir, 'pairs.lua');
    const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
    const lines = pairs.map(([a, b]) => `{${quote(a)},${quote(b)}},`);
    writeFileSync(
      script,
      `local pairs_ = {\n${lines.join('\n')}\n}\nlocal out = {}\n` +
        'for i, p in ipairs(pairs_) do out[i] = tostring(rpm.vercmp(p[1], p[2])) end\n' +
        'print(table.concat(out, "\\n"))\n',
    );
    const run = spawnSync('rpm', ['--eval', `%{lua: dofile('${script}')}`], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (run.status !== 0) throw new Error(`rpm --eval failed: ${run.stderr}`);
    const values = run.stdout.trim().split('\n').map(Number);
    if (values.length !== pairs.length)
      throw new Error(`rpm returned ${values.length} verdicts for ${pairs.length}`);
    return values.map((v) => {
      if (v !== -1 && v !== 0 && v !== 1) throw new Error(`rpm gave verdict ${v}`);
      return v;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
