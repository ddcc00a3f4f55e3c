/**
 * `vigil scan image --output-encoding gzip+base64`, as a real process against Debian's docker-registry on
 * loopback with the test trivy-db pushed to it: the encoded output decodes to exactly what the plain output
 * says (JSON and table, stdout and --output), errors still go to stderr with the same exit codes.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { debianBase, type PushedImage, pushImage } from '../../test/env/image-builder.js';
import type { LocalRegistry } from '../../test/env/registry.js';
import { scratchDir, startTestRegistry } from '../image/testkit.js';
import { pushScanDb, runVigil } from '../scan/testkit.js';

// biome-ignore lint/suspicious/noExplicitAny: reports are checked as parsed JSON
type Json = any;

const BASE64_LINE = /^[A-Za-z0-9+/]+={0,2}$/;

function decode(text: string): string {
  return gunzipSync(Buffer.from(text, 'base64')).toString('utf8');
}

/** The report without the fields that differ from run to run. */
function stable(text: string): Json {
  const report = JSON.parse(text);
  delete report.CreatedAt;
  delete report.ReportID;
  return report;
}

describe('vigil scan image --output-encoding', () => {
  const scratch = scratchDir('scan-encoding');
  const cache = join(scratch.dir, 'cache');
  let registry: LocalRegistry;
  let dbRepository: string;
  let image: PushedImage;

  const scan = (args: string[]) =>
    runVigil(['scan', 'image', '--cache-dir', cache, '--db-repository', dbRepository, '--quiet', ...args], {
      DOCKER_CONFIG: join(scratch.dir, 'docker'),
    });

  before(async () => {
    const work = join(scratch.dir, 'work');
    mkdirSync(work, { recursive: true });
    mkdirSync(join(scratch.dir, 'docker'));
    const base = await debianBase();
    registry = await startTestRegistry();
    dbRepository = await pushScanDb(registry, work);
    image = await pushImage(registry, 'vigil/debian', 'bookworm', [base.layer]);
  });

  after(async () => {
    await registry?.stop();
    scratch.cleanup();
  });

  test('JSON on stdout: one base64 line that gunzips to the plain report', async () => {
    const plain = await scan(['--format', 'json', image.reference]);
    assert.equal(plain.code, 0, plain.stderr);
    const encoded = await scan(['--format', 'json', '--output-encoding', 'gzip+base64', image.reference]);
    assert.equal(encoded.code, 0, encoded.stderr);
    assert.equal(encoded.stderr, '', '--quiet: nothing on stderr');
    assert.ok(encoded.stdout.endsWith('\n'));
    const line = encoded.stdout.slice(0, -1);
    assert.match(line, BASE64_LINE, 'a single line of base64, no 76-column wrapping');
    assert.ok(line.length < plain.stdout.length / 3, 'compressed well below the plain size');
    const report = stable(decode(line));
    assert.deepEqual(report, stable(plain.stdout));
    assert.ok(
      report.Results[0].Vulnerabilities.some((v: Json) => v.VulnerabilityID === 'CVE-2023-45853'),
      'the decoded report carries the findings',
    );
  });

  test('table to --output: the file holds the encoded table, nothing on stdout', async () => {
    const plain = await scan(['--format', 'table', image.reference]);
    assert.equal(plain.code, 0, plain.stderr);
    const file = join(scratch.dir, 'report.b64');
    const encoded = await scan([
      '--format',
      'table',
      '--output',
      file,
      '--output-encoding',
      'gzip+base64',
      image.reference,
    ]);
    assert.equal(encoded.code, 0, encoded.stderr);
    assert.equal(encoded.stdout, '');
    const text = readFileSync(file, 'utf8');
    assert.match(text, BASE64_LINE, 'the file is the base64 stream alone');
    assert.equal(decode(text), plain.stdout);
    assert.match(plain.stdout, /CVE-2023-45853/);
  });

  test('--exit-code still applies to the findings', async () => {
    const run = await scan([
      '--format',
      'json',
      '--output-encoding',
      'gzip+base64',
      '--exit-code',
      '5',
      image.reference,
    ]);
    assert.equal(run.code, 5, run.stderr);
    assert.ok(stable(decode(run.stdout.trim())).Results.length > 0);
  });

  test('an error goes to stderr as plain text, exit 1, stdout empty', async () => {
    const run = await scan([
      '--format',
      'json',
      '--output-encoding',
      'gzip+base64',
      `${registry.host}/vigil/missing:1`,
    ]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /vigil\/missing/);
  });

  test('an unknown encoding is bad usage (exit 2) naming the choices', async () => {
    const run = await scan(['--output-encoding', 'bzip2', image.reference]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--output-encoding/);
    assert.match(run.stderr, /gzip\+base64/);
    assert.equal(run.stdout, '');
  });
});
