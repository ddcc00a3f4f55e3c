// Benchmark for `vigil scan image`: wall time and peak RSS of scanning the debootstrapped Debian bookworm
// image (one ~47 MiB gzip layer, ~90 packages) from the local registry, each run a fresh `vigil` process:
//   cold        an empty --cache-dir: the (small test) DB is downloaded, the layer pulled and analysed
//   cold-layers the DB already in place (--skip-db-update), the layer cache empty
//   warm        the layer cache holds the layer: only manifest and config are fetched
// Figures are printed, never asserted. Runs: node dist/bench/scan-bench.js [--runs 3]
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { scratchDir, startTestRegistry } from '../src/image/testkit.js';
import { pushScanDb, runVigil } from '../src/scan/testkit.js';
import { debianBase, pushImage } from '../test/env/image-builder.js';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;
// Preloaded into each child: reports its peak RSS (getrusage ru_maxrss, KiB) on stderr when it exits.
const RSS_HOOK = `process.on('exit', () => process.stderr.write('\\nVIGIL_MAXRSS_KB ' + process.resourceUsage().maxRSS + '\\n'));\n`;

interface Sample {
  ms: number;
  rssMiB: number;
}

async function main(): Promise<void> {
  const scratch = scratchDir('scan-bench');
  const registry = await startTestRegistry();
  try {
    const base = await debianBase();
    const dbRepository = await pushScanDb(registry, scratch.dir);
    const hook = join(scratch.dir, 'rss-hook.mjs');
    writeFileSync(hook, RSS_HOOK);
    const image = await pushImage(registry, 'bench/debian', 'bookworm', [base.layer]);
    const scan = async (cacheDir: string, extra: string[] = []): Promise<Sample> => {
      const run = await runVigil(
        [
          'scan',
          'image',
          '--cache-dir',
          cacheDir,
          '--db-repository',
          dbRepository,
          '--format',
          'json',
          '--quiet',
          ...extra,
          image.reference,
        ],
        { NODE_OPTIONS: `--import=${pathToFileURL(hook).href}` },
      );
      if (run.code !== 0) throw new Error(`vigil failed: ${run.stderr}`);
      const kib = Number(/VIGIL_MAXRSS_KB (\d+)/.exec(run.stderr)?.[1] ?? Number.NaN);
      return { ms: run.ms, rssMiB: kib / 1024 };
    };

    const seedDir = join(scratch.dir, 'seed');
    await scan(seedDir); // also checks that the whole path works before measuring
    const samples: Record<string, Sample[]> = { cold: [], 'cold-layers': [], warm: [] };
    for (let i = 0; i < RUNS; i++) {
      const coldDir = join(scratch.dir, `cold-${i}`);
      samples.cold?.push(await scan(coldDir));
      const layersDir = join(scratch.dir, `layers-${i}`);
      mkdirSync(layersDir);
      cpSync(join(seedDir, 'db'), join(layersDir, 'db'), { recursive: true });
      samples['cold-layers']?.push(await scan(layersDir, ['--skip-db-update']));
      samples.warm?.push(await scan(layersDir, ['--skip-db-update']));
    }
    console.log(
      `scan of ${image.reference} (${(base.layer.size / 1024 ** 2).toFixed(1)} MiB gzip layer, ${base.packages.length} packages), ${RUNS} runs each, median:`,
    );
    for (const [name, list] of Object.entries(samples)) {
      const ms = median(list.map((s) => s.ms));
      const rss = median(list.map((s) => s.rssMiB));
      const all = list.map((s) => `${Math.round(s.ms)} ms/${s.rssMiB.toFixed(0)} MiB`).join(', ');
      console.log(
        `  ${name.padEnd(12)} ${String(Math.round(ms)).padStart(6)} ms  peak RSS ${rss.toFixed(1).padStart(6)} MiB   (${all})`,
      );
    }
  } finally {
    await registry.stop();
    scratch.cleanup();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

await main();
