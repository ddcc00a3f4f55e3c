// Benchmark for src/vulndb: writes a trivy-db-shaped bbolt file of at least 500 MB with the TypeScript
// writer (streaming, so the generator itself stays small), then measures in a fresh child process: open
// time, advisory lookups per second (Trivy's GetAdvisories: root bucket → package → all advisories,
// decoded) and peak RSS.
//
//   node dist/bench/vulndb-bench.js [--size-mb 520] [--keep] [--db PATH]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type BoltBucketSource,
  type BoltWriteEntry,
  createTrivyDb,
  type GoValue,
  goJsonMarshal,
  openBolt,
  type TrivyDb,
  writeBolt,
} from '../src/vulndb/index.js';

interface Shape {
  osBuckets: string[];
  langBuckets: string[];
  packagesPerBucket: number;
  vulnerabilities: number;
}

const OS = [
  'alpine 3.18',
  'alpine 3.19',
  'alpine 3.20',
  'amazon linux 2',
  'amazon linux 2023',
  'debian 10',
  'debian 11',
  'debian 12',
  'ubuntu 18.04',
  'ubuntu 20.04',
  'ubuntu 22.04',
  'ubuntu 24.04',
  'Oracle Linux 8',
  'Oracle Linux 9',
  'alma 8',
  'alma 9',
  'rocky 8',
  'rocky 9',
  'SUSE Linux Enterprise 15.5',
  'openSUSE Leap 15.5',
  'Photon OS 5.0',
  'CBL-Mariner 2.0',
  'Azure Linux 3.0',
  'wolfi',
];
const LANG = [
  'cargo::GitHub Security Advisory Rust',
  'composer::GitHub Security Advisory Composer',
  'go::GitHub Security Advisory Go',
  'go::The Go Vulnerability Database',
  'maven::GitHub Security Advisory Maven',
  'npm::GitHub Security Advisory npm',
  'npm::Node.js Ecosystem Security Working Group',
  'nuget::GitHub Security Advisory NuGet',
  'pip::GitHub Security Advisory pip',
  'rubygems::GitHub Security Advisory RubyGems',
  'rubygems::Ruby Advisory Database',
];

function shapeFor(sizeMb: number): Shape {
  // Calibrated on this writer: ~1.2 KB per vulnerability entry and ~0.15 KB per advisory, page overhead included.
  const scale = sizeMb / 520;
  return {
    osBuckets: OS,
    langBuckets: LANG,
    packagesPerBucket: Math.round(9000 * scale),
    vulnerabilities: Math.round(260_000 * scale),
  };
}

function pkgName(i: number): string {
  return `pkg-${String(i).padStart(6, '0')}`;
}

function vulnId(i: number): string {
  return `CVE-${2000 + (i % 25)}-${String(i).padStart(7, '0')}`;
}

/** Advisories per package: mostly a few (inline buckets, as in the real DB), some packages with many. */
function advisoryCount(bucket: number, pkg: number): number {
  const h = Math.imul(bucket * 7919 + pkg, 2654435761) >>> 0;
  if (h % 50 === 0) return 40 + (h % 160);
  return 1 + (h % 6);
}

const enc = (s: string) => Buffer.from(s, 'utf8');

function advisoryBucket(bucket: number, isLang: boolean, shape: Shape): BoltBucketSource {
  return {
    *entries(): Iterable<BoltWriteEntry> {
      for (let p = 0; p < shape.packagesPerBucket; p++) {
        const n = advisoryCount(bucket, p);
        yield {
          key: enc(pkgName(p)),
          bucket: {
            *entries() {
              const ids = Array.from({ length: n }, (_, i) =>
                vulnId((p * 31 + i * 977 + bucket) % shape.vulnerabilities),
              );
              for (const id of [...new Set(ids)].sort()) {
                const value: GoValue = isLang
                  ? {
                      PatchedVersions: [`${p % 9}.${n}.1`],
                      VulnerableVersions: [`>=${p % 9}.0.0, <${p % 9}.${n}.1`],
                    }
                  : { FixedVersion: `${p % 7}.${n}-${bucket}+deb${p % 13}u1`, VendorIDs: [`DSA-${p}-1`] };
                yield { key: enc(id), value: enc(goJsonMarshal(value)) };
              }
            },
          },
        };
      }
    },
  };
}

function vulnerabilityBucket(shape: Shape): BoltBucketSource {
  const filler =
    'A flaw was found in the handling of crafted input that may allow a remote attacker to cause a denial of service or execute code. ';
  return {
    *entries() {
      const ids = Array.from({ length: shape.vulnerabilities }, (_, i) => vulnId(i)).sort();
      for (const [i, id] of ids.entries()) {
        const value = {
          CVSS: {
            nvd: { V3Score: (i % 100) / 10, V3Vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
          },
          CweIDs: [`CWE-${i % 900}`],
          Description: filler.repeat(5).slice(0, 500 + (i % 300)),
          LastModifiedDate: '2024-01-02T03:04:05Z',
          PublishedDate: '2023-01-02T03:04:05Z',
          References: [
            `https://nvd.nist.gov/vuln/detail/${id}`,
            `https://security-tracker.debian.org/tracker/${id}`,
          ],
          Severity: 'HIGH',
          Title: `package: issue ${id}`,
          VendorSeverity: { nvd: i % 5, redhat: (i + 1) % 5 },
        };
        yield { key: enc(id), value: enc(JSON.stringify(value)) };
      }
    },
  };
}

function rootSource(shape: Shape): BoltBucketSource {
  const buckets = [
    ...shape.osBuckets.map((name) => ({ name, lang: false })),
    ...shape.langBuckets.map((name) => ({ name, lang: true })),
  ];
  const entries: { name: string; source: BoltBucketSource }[] = buckets.map((b, i) => ({
    name: b.name,
    source: advisoryBucket(i, b.lang, shape),
  }));
  entries.push({
    name: 'data-source',
    source: {
      *entries() {
        for (const b of [...buckets].sort((x, y) => Buffer.compare(enc(x.name), enc(y.name)))) {
          yield {
            key: enc(b.name),
            value: enc(
              JSON.stringify({ ID: b.name.split(/[ :]/)[0], Name: b.name, URL: 'https://example.org/' }),
            ),
          };
        }
      },
    },
  });
  entries.push({ name: 'vulnerability', source: vulnerabilityBucket(shape) });
  entries.sort((a, b) => Buffer.compare(enc(a.name), enc(b.name)));
  return {
    *entries() {
      for (const e of entries) yield { key: enc(e.name), bucket: e.source };
    },
  };
}

/** xorshift32: deterministic lookups. */
function prng(seed: number): (n: number) => number {
  let x = seed;
  return (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

/**
 * Peak RSS of this process. Linux's VmHWM starts afresh at exec; getrusage's maxrss would still carry
 * the high-water mark of the (large) writer process this one was forked from.
 */
function peakRssMiB(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match?.[1] !== undefined) return Math.round(Number(match[1]) / 1024);
  } catch {
    // not Linux
  }
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

async function measure(path: string, shape: Shape): Promise<Record<string, number>> {
  const buckets = [...shape.osBuckets, ...shape.langBuckets];
  const rssBeforeOpenMiB = Math.round(process.memoryUsage().rss / 1024 / 1024);
  const t0 = performance.now();
  const bolt = await openBolt(path);
  const db = createTrivyDb(bolt);
  const openMs = performance.now() - t0;
  // A second view on the same file and page cache, without the decoded-advisory cache.
  const undecoded = createTrivyDb(bolt, { decodedCacheBytes: 0 });
  const figures: Record<string, number> = {
    rssBeforeOpenMiB,
    openMs: Math.round(openMs * 100) / 100,
    openBytesRead: bolt.stats().bytesRead,
  };

  async function run(
    label: string,
    on: TrivyDb,
    count: number,
    concurrency: number,
    pick: () => [string, string],
  ) {
    let advisories = 0;
    let next = 0;
    const start = performance.now();
    const worker = async () => {
      while (next < count) {
        next++;
        const [bucket, pkg] = pick();
        const found = await on.getAdvisories(bucket, pkg);
        advisories += found.size;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = (performance.now() - start) / 1000;
    figures[`${label}LookupsPerSec`] = Math.round(count / seconds);
    figures[`${label}AdvisoriesPerLookup`] = Math.round((advisories / count) * 10) / 10;
  }

  const rand = prng(987654321);
  const uniform = (): [string, string] => [
    buckets[rand(buckets.length)]!,
    pkgName(rand(shape.packagesPerBucket)),
  ];
  // An image's package list: a few hundred packages in one OS bucket and one ecosystem, looked up again
  // for every image sharing them (the server's common case).
  const imagePkgs = Array.from({ length: 400 }, () => pkgName(rand(shape.packagesPerBucket)));
  const image = (): [string, string] => {
    const i = rand(imagePkgs.length);
    return [i % 4 === 0 ? 'npm::' : 'debian 12', imagePkgs[i]!];
  };
  const rss = (label: string) => {
    figures[`${label}RssMiB`] = Math.round(process.memoryUsage().rss / 1024 / 1024);
  };
  await run('warmup', db, 2000, 8, image);
  await run('image', db, 100_000, 16, image);
  await run('imageDecodeEveryTime', undecoded, 50_000, 16, image);
  rss('afterImageWorkloads');
  figures.peakRssImageWorkloadsMiB = peakRssMiB();
  await run('uniformRandom', db, 20_000, 1, uniform);
  await run('uniformRandomParallel', db, 50_000, 32, uniform);
  rss('afterUniformRandom');

  const vStart = performance.now();
  for (let i = 0; i < 20_000; i++) await db.getVulnerability(vulnId(rand(shape.vulnerabilities)));
  figures.vulnerabilityLookupsPerSec = Math.round(20_000 / ((performance.now() - vStart) / 1000));
  const stats = bolt.stats();
  figures.pageCacheMiB = Math.round((stats.cacheBytes / 1024 / 1024) * 10) / 10;
  figures.bytesReadMiB = Math.round(stats.bytesRead / 1024 / 1024);
  figures.peakRssMiB = peakRssMiB();
  await db.close();
  return figures;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const shape = shapeFor(Number(arg('--size-mb') ?? 520));
  if (args[0] === '--measure') {
    process.stdout.write(`${JSON.stringify(await measure(args[1]!, shape))}\n`);
    return;
  }
  const dir = arg('--db') === undefined ? mkdtempSync(join(tmpdir(), 'vigil-vulndb-bench-')) : undefined;
  const path = arg('--db') ?? join(dir!, 'trivy.db');
  try {
    const t0 = performance.now();
    const summary = await writeBolt(path, rootSource(shape));
    const writeSeconds = (performance.now() - t0) / 1000;
    const writerRss = Math.round(process.resourceUsage().maxRSS / 1024);
    console.log(
      `wrote ${path}: ${(statSync(path).size / 1e6).toFixed(0)} MB, ${summary.values} values, ${summary.buckets} buckets ` +
        `in ${writeSeconds.toFixed(1)} s (writer peak RSS ${writerRss} MiB)`,
    );
    const child = spawnSync(
      process.execPath,
      [fileURLToPath(import.meta.url), '--measure', path, '--size-mb', arg('--size-mb') ?? '520'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    if (child.status !== 0) throw new Error(`measuring failed with status ${child.status}`);
    const figures = JSON.parse(child.stdout) as Record<string, number>;
    for (const [k, v] of Object.entries(figures)) console.log(`${k.padEnd(32)} ${v}`);
    const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
    console.log(`target open < 50 ms: ${verdict(figures.openMs! < 50)}`);
    console.log(
      `target > 50,000 lookups/s (image workload): ${verdict(figures.imageLookupsPerSec! > 50_000)}`,
    );
    console.log(`target RSS < 150 MB (image workloads): ${verdict(figures.peakRssImageWorkloadsMiB! < 150)}`);
    console.log(
      `target RSS < 150 MB (whole run, incl. uniform random churn): ${verdict(figures.peakRssMiB! < 150)}`,
    );
  } finally {
    if (dir !== undefined && !args.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
