import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { decodeScanOutput, ScanOutputError } from './decode.js';

const report = {
  SchemaVersion: 2,
  ArtifactName: 'nginx:1.25',
  ArtifactType: 'container_image',
  Results: [{ Target: 'nginx:1.25 (debian 12.5)', Vulnerabilities: [{ VulnerabilityID: 'CVE-2023-45853' }] }],
};
const json = JSON.stringify(report);
const encoded = gzipSync(Buffer.from(json)).toString('base64');

function rejects(text: string, pattern: RegExp): ScanOutputError {
  let caught: unknown;
  try {
    decodeScanOutput(text);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ScanOutputError, `expected ScanOutputError, got ${String(caught)}`);
  assert.match(caught.message, pattern);
  assert.ok(caught.message.length < 600, 'short: first bytes only');
  return caught;
}

describe('decodeScanOutput', () => {
  test('base64(gzip(JSON)), with the trailing newline, and wrapped at 76 columns', () => {
    assert.deepEqual(decodeScanOutput(`${encoded}\n`), report);
    const wrapped = encoded.replace(/(.{76})/g, '$1\n');
    assert.deepEqual(decodeScanOutput(wrapped), report);
  });

  test('plain JSON', () => {
    assert.deepEqual(decodeScanOutput(`${JSON.stringify(report, null, 2)}\n`), report);
  });

  test('stray lines before the report are left behind', () => {
    assert.deepEqual(decodeScanOutput(`2026-01-01T00:00:00Z WARN something odd\n${encoded}\n`), report);
  });

  test('truncated base64: says what arrived and that log rotation may be the cause', () => {
    const error = rejects(
      encoded.slice(0, Math.floor(encoded.length / 2)),
      /gzip stream ends early|truncated/,
    );
    assert.match(error.message, /log rotation/);
    assert.match(error.message, new RegExp(`starting "${encoded.slice(0, 32).replace(/[+/]/g, '\\$&')}"…`));
    assert.ok(!error.message.includes(encoded.slice(0, 40)), 'no more than the first 32 characters');
  });

  test('truncated plain JSON', () => {
    const error = rejects(json.slice(0, 50), /not complete JSON.*log rotation/);
    assert.match(error.received, /^50 bytes starting/);
  });

  test('gzip of garbage, base64 of non-gzip, bzip2, text, empty, JSON that is no report', () => {
    rejects(
      gzipSync(Buffer.from('not json at all')).toString('base64'),
      /decompressed text is not complete JSON/,
    );
    rejects(Buffer.from('plain bytes, no gzip').toString('base64'), /does not hold gzip data/);
    rejects(Buffer.from('BZh91AY&SY...').toString('base64'), /bzip2/);
    const corrupt = gzipSync(Buffer.from(json));
    corrupt[corrupt.length - 6] = (corrupt[corrupt.length - 6] ?? 0) ^ 0xff; // the CRC no longer matches
    rejects(corrupt.toString('base64'), /gzip data is corrupt|ends early/);
    rejects('vigil: cannot reach the registry: connect ECONNREFUSED\n', /neither JSON nor base64/);
    rejects('  \n', /empty/);
    rejects('{"hello": "world"}', /not a Trivy report/);
    rejects('[1,2]', /neither JSON nor base64/);
  });
});
