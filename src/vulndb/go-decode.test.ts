// The advisory decoder's fast path against the generic one (Go's encoding/json rules) on generated input:
// where the fast path takes an input, both must give the same result; errors must stay the generic
// decoder's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scanAdvisory } from './advisory-scan.js';
import { decodeAdvisory, decodeAdvisoryGeneric } from './go-decode.js';
import { type GoValue, goJsonMarshal, goJsonString } from './go-json.js';
import type { Advisory } from './trivy-types.js';

function mulberry(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = [
  'VulnerabilityID',
  'VendorIDs',
  'OSes',
  'Arches',
  'Status',
  'Severity',
  'FixedVersion',
  'AffectedVersion',
  'VulnerableVersions',
  'PatchedVersions',
  'UnaffectedVersions',
  'DataSource',
  'Custom',
  // Go matches these case-insensitively; the fast path must leave them to the generic decoder.
  'fixedversion',
  'VENDORIDS',
  'status',
  // Unknown to types.Advisory: ignored.
  'State',
  'Title',
  '__proto__',
];

function randomValue(rnd: () => number, depth = 0): unknown {
  switch (Math.floor(rnd() * (depth > 1 ? 7 : 9))) {
    case 0:
      return null;
    case 1:
      return ['1.2.3', '<2.0', 'a"b\\c', '\u00e9\u4e2d', '\ud83d\ude00', ''][Math.floor(rnd() * 6)];
    case 2:
      return [0, 1, 3, 7, -1, 2.5, 1e21, 2 ** 53][Math.floor(rnd() * 8)];
    case 3:
      return rnd() < 0.5;
    case 4:
      return Array.from({ length: Math.floor(rnd() * 4) }, () =>
        rnd() < 0.8 ? `v${Math.floor(rnd() * 99)}` : null,
      );
    case 5:
      return [];
    case 6:
      return Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => `s${Math.floor(rnd() * 9)}`);
    case 7:
      return { ID: 'x', Name: rnd() < 0.5 ? 'y' : 3 };
    default:
      return [randomValue(rnd, depth + 1), randomValue(rnd, depth + 1)];
  }
}

function outcome(decode: (raw: string) => unknown, raw: string): { value?: unknown; error?: string } {
  try {
    return { value: decode(raw) };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

/** A value of the field's own type (what the fast path takes), or null. */
function typedValue(rnd: () => number, name: string): unknown {
  if (rnd() < 0.1) return null;
  if (name === 'Status' || name === 'Severity') return Math.floor(rnd() * 8);
  if (name === 'VulnerabilityID' || name === 'FixedVersion' || name === 'AffectedVersion') {
    return ['1.0', '2:1.1.1k-5.el8_5', '<3.0 || >=4', 'a\u003cb', 'é'][Math.floor(rnd() * 5)];
  }
  return Array.from({ length: Math.floor(rnd() * 3) }, (_, i) => `>=${i}.0, <${i}.9 \u003c`);
}

test('the fast path agrees with the generic decoder on generated advisories', () => {
  const rnd = mulberry(42);
  for (let i = 0; i < 20_000; i++) {
    const fields: string[] = [];
    // Half of the inputs have the shape the fast path takes (exact names, right types).
    const wellTyped = i % 2 === 0;
    for (let n = Math.floor(rnd() * 6); n > 0; n--) {
      const name = wellTyped ? NAMES[Math.floor(rnd() * 11)]! : NAMES[Math.floor(rnd() * NAMES.length)]!;
      const value = wellTyped ? typedValue(rnd, name) : randomValue(rnd);
      fields.push(`${JSON.stringify(name)}:${JSON.stringify(value)}`);
    }
    let raw = `{${fields.join(',')}}`;
    if (rnd() < 0.05) raw = ` ${raw.replace(/,/g, ' , ')}\n`; // whitespace: valid JSON, never from Go
    if (rnd() < 0.02) raw = raw.slice(0, Math.floor(rnd() * raw.length)); // broken JSON
    if (rnd() < 0.01) raw = `[${raw}]`;
    assert.deepEqual(outcome(decodeAdvisory, raw), outcome(decodeAdvisoryGeneric, raw), raw);
  }
});

test('escapes, non-ASCII text and Go HTML escaping decode as JSON.parse decodes them', () => {
  for (const raw of [
    '{"VulnerableVersions":["\\u003c 3.0.0"],"PatchedVersions":["3.0.0"]}',
    '{"FixedVersion":"1:1.1.1k-5.el8_5\\u0026x","VendorIDs":["RHSA-2021:4647"]}',
    '{"FixedVersion":"\u00e9\\ud83d\\ude00\\n","Status":3,"Severity":2}',
    '{"FixedVersion":"\\ud800"}',
    '{"Status":1.0,"Severity":1e0}',
    '{"Status":"fixed"}',
    '{"VendorIDs":[null,"a"]}',
    '{}',
    'null',
  ]) {
    assert.deepEqual(outcome(decodeAdvisory, raw), outcome(decodeAdvisoryGeneric, raw), raw);
  }
});

/** scanAdvisory on raw's UTF-8 bytes, placed inside a larger buffer as a value lies inside its page. */
function scanned(raw: string, after = '}]"x'): Advisory | undefined {
  const bytes = Buffer.from(`{"pad":1}${raw}${after}`, 'utf8');
  const start = Buffer.byteLength('{"pad":1}');
  return scanAdvisory(bytes, start, start + Buffer.byteLength(raw), raw);
}

/** Where the scanner takes an input, the generic decoder must give the same advisory, in the same order. */
function assertScanAgrees(raw: string): boolean {
  const fast = scanned(raw);
  if (fast === undefined) return false;
  const generic = decodeAdvisoryGeneric(raw);
  assert.deepEqual(fast, generic, raw);
  assert.deepEqual(Object.keys(fast), Object.keys(generic), raw);
  return true;
}

test('the byte scanner agrees with the generic decoder on generated advisories', () => {
  const rnd = mulberry(7);
  let taken = 0;
  for (let i = 0; i < 20_000; i++) {
    const fields: string[] = [];
    const wellTyped = i % 4 !== 0;
    for (let n = Math.floor(rnd() * 6); n > 0; n--) {
      const name = wellTyped ? NAMES[Math.floor(rnd() * 11)]! : NAMES[Math.floor(rnd() * NAMES.length)]!;
      const value = wellTyped ? typedValue(rnd, name) : randomValue(rnd);
      // Go's encoder escapes <, > and & as \u003c, \u003e, \u0026.
      fields.push(`${goJsonString(name)}:${value === null ? 'null' : goJsonMarshal(value as GoValue)}`);
    }
    let raw = `{${fields.join(',')}}`;
    if (rnd() < 0.05) raw = ` ${raw.replace(/,/g, ' ,\t').replace(/:/g, '\n:\r')} `;
    if (rnd() < 0.05) raw = raw.slice(0, Math.floor(rnd() * raw.length)); // broken JSON
    if (assertScanAgrees(raw)) taken++;
  }
  assert.ok(taken > 5_000, `the scanner took only ${taken} inputs`);
});

test('the byte scanner leaves everything but valid JSON of the common shape to the generic decoder', () => {
  for (const raw of [
    '{"FixedVersion":"1.0"',
    '{"FixedVersion":"1.0"}}',
    '{"FixedVersion":"1.0"},',
    '{"FixedVersion":"1.0",}',
    '{"FixedVersion" "1.0"}',
    '{"FixedVersion":"1.0" "Status":1}',
    '{"FixedVersion":"1\u0001"}',
    '{"FixedVersion":"1\\x"}',
    '{"FixedVersion":"1\\u00g0"}',
    '{"FixedVersion":"é"}',
    '{"FixedVersion":null}',
    '{"fixedversion":"1"}',
    '{"Fixed\\u0056ersion":"1"}',
    '{"FixedVersionX":"1"}',
    '{"Status":01}',
    '{"Status":-0}',
    '{"Status":1.0}',
    '{"Status":1e0}',
    '{"Status":1234567890123456}',
    '{"Status":"1"}',
    '{"VendorIDs":["a",]}',
    '{"VendorIDs":["a" "b"]}',
    '{"VendorIDs":["a",null]}',
    '{"VendorIDs":"a"}',
    '{"Custom":{}}',
    '\ufeff{}',
    '[]',
    '',
  ]) {
    assert.equal(scanned(raw), undefined, raw);
  }
  // The value ends where its bytes end, whatever the page holds after them.
  assert.equal(scanned('{"FixedVersion":"1"', '}'), undefined);
  assert.equal(scanned('{"VendorIDs":["a"', ']}'), undefined);
  assert.equal(scanned('{"Status":1', '2}'), undefined);
});

test('the byte scanner resolves escapes and takes whitespace, duplicates and large integers as JSON.parse does', () => {
  for (const raw of [
    '{"VulnerableVersions":["\\u003e= 1.0, \\u003c 3.0.0"],"PatchedVersions":["3.0.0"]}',
    '{"FixedVersion":"a\\"b\\\\c\\/d\\b\\f\\n\\r\\te"}',
    '{"FixedVersion":"\\ud83d\\ude00\\ud800x\\u00E9"}',
    '{"FixedVersion":"1","FixedVersion":"2","Status":3,"Status":4}',
    '{"VulnerabilityID":"CVE-1","Status":0,"Severity":123456789012345}',
    ' {\t"OSes" : [ ] , "Arches":[ "x86_64" ,"aarch64" ] }\r\n',
    '{}',
  ]) {
    assert.ok(assertScanAgrees(raw), `the scanner should take ${raw}`);
  }
});
