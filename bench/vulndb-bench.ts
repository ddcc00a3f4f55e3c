// Benchmark for src/vulndb: writes a trivy-db-shaped bbolt file of at least 500 MB with the TypeScript
// writer (streaming, so the generator itself stays small), then measures in a fresh child process, one
// phase at a time:
//
//   open                 openTrivyDb
//   random advisories    Trivy's GetAdvisories (root bucket → package → every advisory, decoded) for
//                        uniformly random packages across every advisory bucket: the decoded-result cache
//                        almost never helps, nearly every leaf page is a cache miss
//   random vulnerability getVulnerability for uniformly random IDs, decoded
//   image workload       ~400 packages of one image looked up over and over (decoded cache on, then off)
//   full walk            every key of the file: entries() with copies (as vigil db dump), and
//                        countBucket over every top-level bucket (as vigil db info)
//
// with the peak RSS of each phase and of the whole run. The file is read once before measuring so that
// it is in the OS page cache, as a database in regular use is.
//
//   node dist/bench/vulndb-bench.js [--size-mb 520] [--keep] [--db PATH] [--reuse]
//     --db PATH   write the database there (kept) instead of a temporary directory
//     --reuse     with --db: measure an existing file instead of writing it
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type BoltBucketSource,
  type BoltDb,
  type BoltWriteEntry,
  type Bucket,
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

function statusKiB(field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
    if (match?.[1] !== undefined) return Number(match[1]);
  } catch {
    // not Linux
  }
  return undefined;
}

/**
 * Peak RSS of this process in MiB since the last resetPeakRss. Linux's VmHWM starts afresh at exec
 * (getrusage's maxrss would still carry the high-water mark of the large writer process this one was
 * forked from), and writing 5 to clear_refs resets it to the current RSS.
 */
function peakRssMiB(): number {
  const kib = statusKiB('VmHWM');
  return Math.round((kib ?? process.resourceUsage().maxRSS) / 1024);
}

let canResetPeak = true;
function resetPeakRss(): void {
  if (!canResetPeak) return;
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    canResetPeak = false; // then every phase reports the peak so far
  }
}

interface Phase {
  name: string;
  /** Operations per second of wall-clock time, and what an operation is. */
  rate?: number;
  /**
   * Operations per second of CPU time used by this process (all its threads, so GC helper threads count
   * against it). On a machine shared with other work this is steadier than the wall-clock rate.
   */
  cpuRate?: number;
  unit?: string;
  /** Peak RSS during the phase (MiB). */
  peakRssMiB: number;
  note?: string;
}

async function measure(path: string, shape: Shape): Promise<{ phases: Phase[]; peakRssMiB: number }> {
  const buckets = [...shape.osBuckets, ...shape.langBuckets];
  const phases: Phase[] = [];
  let wholeRunPeak = peakRssMiB();
  const phase = async (
    name: string,
    unit: string | undefined,
    body: () => Promise<{ ops: number; note?: string } | undefined>,
  ) => {
    // Garbage from the previous phase should not count against this one.
    (globalThis as { gc?: () => void }).gc?.();
    wholeRunPeak = Math.max(wholeRunPeak, peakRssMiB());
    resetPeakRss();
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    const result = await body();
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const peak = peakRssMiB();
    wholeRunPeak = Math.max(wholeRunPeak, peak);
    phases.push({
      name,
      ...(result === undefined
        ? {}
        : {
            rate: Math.round(result.ops / seconds),
            cpuRate: Math.round(result.ops / cpuSeconds),
            unit,
          }),
      peakRssMiB: peak,
      ...(result?.note === undefined ? {} : { note: result.note }),
    });
  };

  let bolt!: BoltDb;
  let db!: TrivyDb;
  let undecoded!: TrivyDb;
  let openMs = 0;
  await phase('open', undefined, async () => {
    const t0 = performance.now();
    bolt = await openBolt(path);
    db = createTrivyDb(bolt);
    openMs = performance.now() - t0;
    // A second view on the same file and page cache, without the decoded-advisory cache.
    undecoded = createTrivyDb(bolt, { decodedCacheBytes: 0 });
    return { ops: 1, note: `${openMs.toFixed(2)} ms, ${bolt.stats().bytesRead} bytes read` };
  });
  const opened = phases.at(-1)!;
  opened.rate = undefined;
  opened.cpuRate = undefined;

  const rand = prng(987654321);
  const uniform = (): [string, string] => [
    buckets[rand(buckets.length)]!,
    pkgName(rand(shape.packagesPerBucket)),
  ];

  async function lookups(on: TrivyDb, count: number, concurrency: number, pick: () => [string, string]) {
    let advisories = 0;
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next++;
        const [bucket, pkg] = pick();
        // Not `advisories += await …`: that reads the sum before the await and loses concurrent updates.
        const found = await on.getAdvisories(bucket, pkg);
        advisories += found.size;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { ops: count, note: `${(advisories / count).toFixed(1)} advisories per lookup` };
  }

  // Compiles the hot paths, so that the first measured phase is not also the JIT's warm-up: lookups of
  // other packages than the measured phases (another seed), with the decoded cache on and off.
  const warmRand = prng(123456789);
  await phase('warm-up (not a measurement)', 'lookups/s', async () => {
    for (let i = 0; i < 20_000; i++) {
      await (i % 2 === 0 ? db : undecoded).getAdvisories(
        buckets[warmRand(buckets.length)]!,
        pkgName(warmRand(shape.packagesPerBucket)),
      );
      await db.getVulnerability(vulnId(warmRand(shape.vulnerabilities)));
    }
    return { ops: 40_000 };
  });

  await phase('random advisory lookups', 'lookups/s', () => lookups(db, 100_000, 1, uniform));
  await phase('random advisory lookups, decoded cache off', 'lookups/s', () =>
    lookups(undecoded, 100_000, 1, uniform),
  );
  await phase('random advisory lookups, 32 concurrent', 'lookups/s', () => lookups(db, 100_000, 32, uniform));
  await phase('random vulnerability lookups', 'lookups/s', async () => {
    let found = 0;
    for (let i = 0; i < 100_000; i++) {
      if ((await db.getVulnerability(vulnId(rand(shape.vulnerabilities)))) !== undefined) found++;
    }
    return { ops: 100_000, note: `${found} found` };
  });

  // An image's package list: a few hundred packages in one OS bucket and one ecosystem, looked up again
  // for every image sharing them (the server's common case).
  const imagePkgs = Array.from({ length: 400 }, () => pkgName(rand(shape.packagesPerBucket)));
  const image = (): [string, string] => {
    const i = rand(imagePkgs.length);
    return [i % 4 === 0 ? 'npm::' : 'debian 12', imagePkgs[i]!];
  };
  await phase('image workload (400 packages, decoded cache)', 'lookups/s', () =>
    lookups(db, 300_000, 16, image),
  );
  await phase('image workload, decoded cache off', 'lookups/s', () => lookups(undecoded, 100_000, 16, image));

  // The walks use the same open database (and page cache) as the lookups, as a server would.
  await phase('full walk, entries() with copies (db dump)', 'entries/s', async () => {
    let n = 0;
    let bytes = 0;
    const walk = async (bucket: Bucket): Promise<void> => {
      for await (const entry of bucket.entries()) {
        n++;
        if (entry.bucket !== undefined) await walk(entry.bucket);
        else bytes += entry.key.length + entry.value.length;
      }
    };
    await walk(bolt.root);
    return { ops: n, note: `${n} entries, ${(bytes / 1e6).toFixed(0)} MB of keys and values` };
  });
  await phase('full walk, countBucket of every top-level bucket (db info)', 'entries/s', async () => {
    let n = 0;
    for (const name of await db.rootBuckets()) {
      const counts = await db.countBucket(name);
      n += 1 + (counts?.values ?? 0) + (counts?.buckets ?? 0);
    }
    return { ops: n, note: `${n} entries (values and first-level buckets)` };
  });
  const stats = db.stats();
  phases.push({
    name: 'page cache at the end',
    peakRssMiB: peakRssMiB(),
    note: `${(stats.cacheBytes / 1024 / 1024).toFixed(1)} MiB cached of ${(stats.cacheMaxBytes / 1024 / 1024).toFixed(0)}, ${stats.cacheHits} hits, ${stats.cacheMisses} misses, ${(stats.bytesRead / 1024 / 1024).toFixed(0)} MiB read`,
  });
  await db.close();
  wholeRunPeak = Math.max(wholeRunPeak, peakRssMiB());
  return { phases, peakRssMiB: wholeRunPeak };
}

/** Reads the file once (in chunks, nothing kept) so that it is in the OS page cache. */
function warmOsCache(path: string): void {
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(8 * 1024 * 1024);
    let position = 0;
    for (
      let n = readSync(fd, chunk, 0, chunk.length, position);
      n > 0;
      n = readSync(fd, chunk, 0, chunk.length, position)
    ) {
      position += n;
    }
  } finally {
    closeSync(fd);
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const sizeMb = arg('--size-mb') ?? '520';
  const shape = shapeFor(Number(sizeMb));
  if (args[0] === '--measure') {
    process.stdout.write(`${JSON.stringify(await measure(args[1]!, shape))}\n`);
    return;
  }
  const dir = arg('--db') === undefined ? mkdtempSync(join(tmpdir(), 'vigil-vulndb-bench-')) : undefined;
  const path = arg('--db') ?? join(dir!, 'trivy.db');
  try {
    if (args.includes('--reuse') && existsSync(path)) {
      console.log(`measuring ${path}: ${(statSync(path).size / 1e6).toFixed(0)} MB (not rewritten)`);
    } else {
      const t0 = performance.now();
      const summary = await writeBolt(path, rootSource(shape));
      const writeSeconds = (performance.now() - t0) / 1000;
      const writerRss = Math.round(process.resourceUsage().maxRSS / 1024);
      console.log(
        `wrote ${path}: ${(statSync(path).size / 1e6).toFixed(0)} MB, ${summary.values} values, ${summary.buckets} buckets ` +
          `in ${writeSeconds.toFixed(1)} s (writer peak RSS ${writerRss} MiB)`,
      );
    }
    warmOsCache(path);
    const child = spawnSync(
      process.execPath,
      ['--expose-gc', fileURLToPath(import.meta.url), '--measure', path, '--size-mb', sizeMb],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    if (child.status !== 0) throw new Error(`measuring failed with status ${child.status}`);
    const { phases, peakRssMiB: peak } = JSON.parse(child.stdout) as Awaited<ReturnType<typeof measure>>;
    console.log('');
    console.log(
      `${'phase'.padEnd(60)} ${'wall-clock rate'.padStart(16)} ${'CPU-time rate'.padStart(16)}  ${'peak RSS'.padStart(9)}  notes`,
    );
    for (const p of phases) {
      const suffix = p.unit === 'entries/s' ? ' e/s' : ' /s';
      const rate = p.rate === undefined ? '' : `${p.rate.toLocaleString('en-US')}${suffix}`;
      const cpuRate = p.cpuRate === undefined ? '' : `${p.cpuRate.toLocaleString('en-US')}${suffix}`;
      console.log(
        `${p.name.padEnd(60)} ${rate.padStart(16)} ${cpuRate.padStart(16)}  ${`${p.peakRssMiB} MiB`.padStart(9)}  ${p.note ?? ''}`,
      );
    }
    console.log(`${'whole run'.padEnd(60)} ${''.padStart(33)}  ${`${peak} MiB`.padStart(9)}`);
    console.log('');
    const find = (name: string) => phases.find((p) => p.name === name);
    const openMs = Number.parseFloat(find('open')?.note ?? 'NaN');
    const random = find('random advisory lookups')?.rate ?? 0;
    const randomCpu = find('random advisory lookups')?.cpuRate ?? 0;
    const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
    console.log(
      `target open < 50 ms:                                  ${verdict(openMs < 50)} (${openMs} ms)`,
    );
    console.log(
      `target > 50,000 random advisory lookups/s (1 thread): ${verdict(random > 50_000)} ` +
        `(${random} wall-clock, ${randomCpu} per CPU-second)`,
    );
    console.log(
      `target peak RSS < 150 MB for the whole run:           ${verdict(peak * 1.048576 < 150)} ` +
        `(${peak} MiB = ${(peak * 1.048576).toFixed(0)} MB)`,
    );
    console.log(
      `load average after the run (the machine is shared):   ${loadavg()
        .map((l) => l.toFixed(2))
        .join(', ')}`,
    );
  } finally {
    if (dir !== undefined && !args.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
