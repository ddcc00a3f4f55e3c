// The scan pipeline's small parts on their own: PURLs (expected strings from Trivy's golden reports and
// packageurl-go's encoding rules), the file layer cache (corruption, bounds, eviction), reference matching,
// Go durations, the progress line and the cache-miss error of the detecting half.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { BlobInfo } from '../analyze/index.js';
import type { Detector } from '../detect/index.js';
import { scratchDir } from '../image/testkit.js';
import { createMemoryCache } from './artifact-cache.js';
import { calcKey } from './cache-key.js';
import { ScanError } from './errors.js';
import { createFsCache } from './fs-cache.js';
import { formatGoDuration, parseGoDuration } from './go-duration.js';
import { matchReference } from './image-metadata.js';
import { createdByOf } from './inspect-image.js';
import { mapLimit } from './limit.js';
import { createProgress } from './progress.js';
import { packageUrl } from './purl.js';
import { scanCachedBlobs } from './scan-blobs.js';

describe('packageUrl', () => {
  const os = (Family: string, Name: string) => ({ Family, Name });
  test('OS packages: namespace, distro, arch and epoch qualifiers sorted, reserved characters encoded', () => {
    assert.equal(
      packageUrl(
        'debian',
        { Name: 'libidn2-0', Version: '2.0.5', Release: '1', Arch: 'amd64' },
        os('debian', '10.1'),
      ),
      'pkg:deb/debian/libidn2-0@2.0.5-1?arch=amd64&distro=debian-10.1',
    );
    assert.equal(
      packageUrl(
        'alma',
        { Name: 'openssl-libs', Version: '1.1.1k', Release: '4.el8', Epoch: 1, Arch: 'x86_64' },
        os('alma', '8.5'),
      ),
      'pkg:rpm/alma/openssl-libs@1.1.1k-4.el8?arch=x86_64&distro=alma-8.5&epoch=1',
    );
    assert.equal(
      packageUrl(
        'amazon',
        { Name: 'curl', Version: '7.61.1', Release: '9.amzn2.0.1', Arch: 'x86_64' },
        os('amazon', '2 (Karoo)'),
      ),
      'pkg:rpm/amazon/curl@7.61.1-9.amzn2.0.1?arch=x86_64&distro=amazon-2%20%28Karoo%29',
    );
    assert.equal(
      packageUrl('alpine', { Name: 'musl', Version: '1.1.20-r4', Arch: 'x86_64' }, os('alpine', '3.9.4')),
      'pkg:apk/alpine/musl@1.1.20-r4?arch=x86_64&distro=3.9.4',
    );
    assert.equal(
      packageUrl(
        'debian',
        { Name: 'base-files', Version: '12.4+deb12u15', Arch: 'amd64' },
        os('debian', '12.15'),
      ),
      'pkg:deb/debian/base-files@12.4%2Bdeb12u15?arch=amd64&distro=debian-12.15',
    );
    assert.equal(
      packageUrl(
        'sles',
        { Name: 'bash', Version: '4.4', Release: '150400.25.22', Arch: 'x86_64' },
        os('sles', '15.4'),
      ),
      'pkg:rpm/suse/bash@4.4-150400.25.22?arch=x86_64&distro=sles-15.4',
    );
  });

  test('language packages: ecosystem names and namespaces as Trivy splits them', () => {
    assert.equal(
      packageUrl('node-pkg', { Name: '@sindresorhus/is', Version: '4.0.0' }),
      'pkg:npm/%40sindresorhus/is@4.0.0',
    );
    assert.equal(
      packageUrl('python-pkg', { Name: 'oauth2_client', Version: '4.0.0' }),
      'pkg:pypi/oauth2-client@4.0.0',
    );
    assert.equal(
      packageUrl('jar', { Name: 'org.apache:commons-text', Version: '1.9' }),
      'pkg:maven/org.apache/commons-text@1.9',
    );
    assert.equal(
      packageUrl('composer-vendor', { Name: 'guzzlehttp/psr7', Version: '1.8.3' }),
      'pkg:composer/guzzlehttp/psr7@1.8.3',
    );
    assert.equal(
      packageUrl('dotnet-core', { Name: 'Newtonsoft.Json', Version: '12.0.3' }),
      'pkg:nuget/Newtonsoft.Json@12.0.3',
    );
    assert.equal(
      packageUrl('gemspec', { Name: 'activesupport', Version: '6.0.2.1' }),
      'pkg:gem/activesupport@6.0.2.1',
    );
    assert.equal(
      packageUrl('rustbinary', { Name: 'smallvec', Version: '1.6.0' }),
      'pkg:cargo/smallvec@1.6.0',
    );
    assert.equal(
      packageUrl('gobinary', { Name: 'github.com/Foo/Bar', Version: 'v1.0.0' }),
      'pkg:golang/github.com/foo/bar@v1.0.0',
    );
    assert.equal(packageUrl('gobinary', { Name: '../localdep', Version: '' }), undefined);
    assert.equal(packageUrl('node-pkg', { Name: '', Version: '1.0.0' }), undefined);
  });
});

describe('the file layer cache', () => {
  const blob = (n: number, pad = 0): BlobInfo => ({
    SchemaVersion: 2,
    DiffID: `sha256:${String(n).padStart(64, '0')}`,
    Size: n,
    ...(pad > 0 ? { CreatedBy: 'x'.repeat(pad) } : {}),
  });
  const key = (n: number) => calcKey(`sha256:${String(n).padStart(64, '0')}`, { analyzers: [] });

  test('round trip; unreadable, foreign, tampered and wrong-schema entries are misses and are deleted', async () => {
    const { dir, cleanup } = scratchDir('fs-cache');
    try {
      const cache = createFsCache({ dir });
      await cache.putBlob(key(1), blob(1));
      assert.deepEqual(await cache.getBlob(key(1)), blob(1));
      const blobDir = join(dir, 'vigil', 'blob');
      const [file] = readdirSync(blobDir);
      assert.ok(file);
      const path = join(blobDir, file);
      const good = readFileSync(path, 'utf8');
      const variants = [
        good.slice(0, good.length - 5),
        good.replace(key(1), key(2)),
        good.replace('"Size":1', '"Size":2'),
        JSON.stringify({ ...JSON.parse(good), value: { SchemaVersion: 1 } }),
      ];
      for (const variant of variants) {
        writeFileSync(path, variant);
        assert.equal(await cache.getBlob(key(1)), undefined, variant.slice(0, 80));
        assert.deepEqual(readdirSync(blobDir), [], 'the bad entry is removed');
        await cache.putBlob(key(1), blob(1));
      }
      assert.equal(cache.stats().corrupt, variants.length);
      const missing = await cache.missingBlobs('sha256:image', [key(1), key(2)]);
      assert.deepEqual(missing, { missingArtifact: true, missingBlobIds: [key(2)] });
    } finally {
      cleanup();
    }
  });

  test('stays within its bound, evicting the least recently used entries of other processes', async () => {
    const { dir, cleanup } = scratchDir('fs-cache-bound');
    try {
      const earlier = createFsCache({ dir });
      for (const n of [1, 2, 3, 4]) await earlier.putBlob(key(n), blob(n, 3000));
      const blobDir = join(dir, 'vigil', 'blob');
      const files = readdirSync(blobDir).map((f) => join(blobDir, f));
      const size = statSync(files[0] ?? '').size;
      // Entry 1 was used most recently, 2 longest ago.
      const times: Record<string, number> = { [key(1)]: 4, [key(2)]: 1, [key(3)]: 2, [key(4)]: 3 };
      for (const [k, t] of Object.entries(times)) {
        const f = join(blobDir, `${k.replace(':', '-')}.json`);
        utimesSync(f, t * 1000, t * 1000);
      }
      const later = createFsCache({ dir, maxBytes: Math.floor(size * 3.5) });
      await later.putBlob(key(5), blob(5, 3000));
      const left = readdirSync(blobDir).sort();
      assert.deepEqual(left, [key(1), key(4), key(5)].map((k) => `${k.replace(':', '-')}.json`).sort());
      assert.equal(later.stats().evicted, 2);
    } finally {
      cleanup();
    }
  });
});

test('an unwritable cache directory costs re-analysis, never the scan', async () => {
  const { dir, cleanup } = scratchDir('fs-cache-ro');
  try {
    writeFileSync(join(dir, 'fanal'), 'a file where the cache directory should be');
    const warnings: string[] = [];
    const cache = createFsCache({
      dir: join(dir, 'fanal'),
      logger: { debug: () => {}, info: () => {}, warn: (m) => warnings.push(m) },
    });
    await cache.putBlob('sha256:x', { SchemaVersion: 2 });
    assert.equal(await cache.getBlob('sha256:x'), undefined);
    assert.ok(warnings.includes('cannot write a layer cache entry'));
  } finally {
    cleanup();
  }
});

describe('the detecting half', () => {
  test('a blob the cache lacks is Trivy\'s "layer cache missing"', async () => {
    const cache = createMemoryCache();
    await cache.putBlob('sha256:a', { SchemaVersion: 2 });
    const detector: Detector = {
      scanTarget: async () => assert.fail('no detection without all blobs'),
    };
    await assert.rejects(
      scanCachedBlobs(cache, 'img', 'sha256:img', ['sha256:a', 'sha256:b'], { detector }),
      (error: unknown) =>
        ScanError.is(error, 'SCAN_CACHE') && /layer cache missing: sha256:b/.test(error.message),
    );
  });
});

test('matchReference: the RepoTag or RepoDigest naming the artifact, else the first; contexts as ggcr prints them', () => {
  assert.deepEqual(matchReference('alpine:3.10', ['alpine:3.10'], ['alpine@sha256:' + 'a'.repeat(64)]), {
    reference: 'alpine:3.10',
    context: 'index.docker.io/library/alpine',
  });
  const digest = `sha256:${'b'.repeat(64)}`;
  assert.deepEqual(matchReference(`r.io/app@${digest}`, ['r.io/app:1'], [`r.io/app@${digest}`]), {
    reference: `r.io/app@${digest}`,
    context: 'r.io/app',
  });
  assert.equal(matchReference('/tmp/image.tar', ['app:1', 'app:2'], [])?.reference, 'app:1');
  assert.equal(matchReference('app:3', ['app:1', 'app:2'], [])?.reference, 'app:1');
  assert.equal(matchReference('app:1', [], []), undefined);
});

test('createdByOf: history without empty layers, shell prefixes trimmed, nothing when counts differ', () => {
  const history = [
    { created_by: '/bin/sh -c #(nop) ADD file:abc in / ' },
    { created_by: '/bin/sh -c #(nop)  CMD ["bash"]', empty_layer: true },
    { created_by: '/bin/sh -c apt-get update' },
  ];
  assert.deepEqual(createdByOf(history, 2), ['ADD file:abc in / ', 'apt-get update']);
  assert.deepEqual(createdByOf(history, 3), [undefined, undefined, undefined]);
});

test('Go durations parse and print as Go does', () => {
  assert.equal(parseGoDuration('5m0s'), 300_000);
  assert.equal(parseGoDuration('1h30m'), 5_400_000);
  assert.equal(parseGoDuration('1.5s'), 1500);
  assert.equal(parseGoDuration('250ms'), 250);
  assert.equal(parseGoDuration('0'), 0);
  for (const bad of ['', '5', '5x', 'm', '1h 2m'])
    assert.throws(() => parseGoDuration(bad), /invalid duration/);
  assert.equal(formatGoDuration(300_000), '5m0s');
  assert.equal(formatGoDuration(3_600_000), '1h0m0s');
  assert.equal(formatGoDuration(1500), '1.5s');
  assert.equal(formatGoDuration(250), '250ms');
});

test('the progress line: quiet at first, then rate-limited lines (redrawn in place on a terminal)', () => {
  let now = 0;
  const plain: string[] = [];
  const progress = createProgress({ write: (t) => plain.push(t), tty: false, now: () => now });
  progress.start(2, 100 * 1024 ** 2);
  progress.add(10 * 1024 ** 2);
  now = 1900;
  progress.add(10 * 1024 ** 2);
  assert.deepEqual(plain, [], 'nothing during the first two seconds');
  now = 2000;
  progress.add(10 * 1024 ** 2);
  now = 5000;
  progress.layerDone();
  now = 12_100;
  progress.add(10 * 1024 ** 2);
  progress.finish();
  assert.deepEqual(plain, [
    'Pulling layers: 30.0 MiB of 100.0 MiB (30%), 0/2 layers analysed, 15.0 MiB/s\n',
    'Pulling layers: 40.0 MiB of 100.0 MiB (40%), 1/2 layers analysed, 3.3 MiB/s\n',
  ]);

  now = 0;
  const tty: string[] = [];
  const redrawn = createProgress({ write: (t) => tty.push(t), tty: true, now: () => now });
  redrawn.start(1, 10);
  now = 2500;
  redrawn.add(5);
  now = 2600;
  redrawn.add(5);
  redrawn.finish();
  assert.equal(tty.length, 2, 'a line every 200 ms at most, then the last one');
  assert.ok(tty.every((t) => t.startsWith('\r\u001b[K')));
  assert.ok(tty[1]?.endsWith('\n'));
});

test('mapLimit: bounded concurrency; the first failure in time is thrown and reported at once', async () => {
  let running = 0;
  let peak = 0;
  const results = await mapLimit([5, 1, 3, 2, 4], 2, async (ms) => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((resolve) => setTimeout(resolve, ms));
    running--;
    return ms * 10;
  });
  assert.deepEqual(results, [50, 10, 30, 20, 40]);
  assert.equal(peak, 2);

  const reported: unknown[] = [];
  const started: number[] = [];
  await assert.rejects(
    mapLimit(
      [30, 5, 1, 1],
      2,
      async (ms, i) => {
        started.push(i);
        await new Promise((resolve) => setTimeout(resolve, ms));
        throw new Error(`item ${i}`);
      },
      (error) => reported.push(error),
    ),
    /item 1/,
  );
  assert.equal(reported.length, 1);
  assert.deepEqual(started, [0, 1], 'nothing new starts after a failure');
});
