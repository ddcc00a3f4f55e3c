// A scanner for the stored advisory JSON that nearly every trivy-db value is: one object whose fields have
// the exact names of types.Advisory and whose values are strings, arrays of strings or small
// non-negative integers, e.g. {"FixedVersion":"1.2-3+deb12u1","VendorIDs":["DSA-5512-1"]}.
//
// Why not JSON.parse: for such 60-byte values it costs about a microsecond each (Node 20), the largest
// share of a random advisory lookup, which decodes some six of them. This scanner reads the value's bytes
// where they lie (the cached page) and takes the field values as slices of the value's string, which the
// record keeps anyway. It reads bytes, not the string: charCodeAt costs several times a typed-array load,
// and a scanner over the string measured slower than JSON.parse.
//
// It is exact by construction: it accepts only ASCII input that is valid JSON *and* whose JSON.parse
// result the fast path of go-decode.ts would decode, and then gives the same Advisory (same fields, same
// values, same property order). Anything else — non-ASCII bytes, an unknown or case-folded field name,
// null, a number that is not a plain integer, an escape in a field name, nested objects, invalid JSON of
// any kind — returns undefined, and the caller decodes the string with JSON.parse and the Go-rules
// decoder, which also produces the error message. go-decode.test.ts checks the agreement on generated
// and hand-made input.
import type { Advisory } from './trivy-types.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

// The fields scanAdvisory takes, by their exact names.
const VULNERABILITY_ID = 0;
const VENDOR_IDS = 1;
const OSES = 2;
const ARCHES = 3;
const STATUS = 4;
const SEVERITY = 5;
const FIXED_VERSION = 6;
const AFFECTED_VERSION = 7;
const VULNERABLE_VERSIONS = 8;
const PATCHED_VERSIONS = 9;
const UNAFFECTED_VERSIONS = 10;

/**
 * The scanner's input: the value's bytes buf[start, end) and its string (ASCII, so byte i is character
 * i - start). Reads past `end` give -1: the page goes on after the value.
 */
interface Input {
  buf: Uint8Array;
  start: number;
  end: number;
  raw: string;
}

function at(input: Input, i: number): number {
  return i < input.end ? input.buf[i]! : -1;
}

/** JSON's whitespace: space, tab, line feed, carriage return. */
function skipSpace(input: Input, i: number): number {
  for (;;) {
    const c = at(input, i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

/** field when the name at start is name (its first byte already matched), else -1. */
function named(input: Input, start: number, name: string, field: number): number {
  const buf = input.buf;
  for (let k = 1; k < name.length; k++) if (buf[start + k] !== name.charCodeAt(k)) return -1;
  return field;
}

/**
 * The field whose name starts at start and ends with the quote at end, or -1. Names are told apart by
 * first byte and length, then compared in full.
 */
function fieldOf(input: Input, start: number, end: number): number {
  const length = end - start;
  switch (input.buf[start]) {
    case 0x56: // V
      if (length === 15) return named(input, start, 'VulnerabilityID', VULNERABILITY_ID);
      if (length === 9) return named(input, start, 'VendorIDs', VENDOR_IDS);
      return length === 18 ? named(input, start, 'VulnerableVersions', VULNERABLE_VERSIONS) : -1;
    case 0x4f: // O
      return length === 4 ? named(input, start, 'OSes', OSES) : -1;
    case 0x41: // A
      if (length === 6) return named(input, start, 'Arches', ARCHES);
      return length === 15 ? named(input, start, 'AffectedVersion', AFFECTED_VERSION) : -1;
    case 0x53: // S
      if (length === 6) return named(input, start, 'Status', STATUS);
      return length === 8 ? named(input, start, 'Severity', SEVERITY) : -1;
    case 0x46: // F
      return length === 12 ? named(input, start, 'FixedVersion', FIXED_VERSION) : -1;
    case 0x50: // P
      return length === 15 ? named(input, start, 'PatchedVersions', PATCHED_VERSIONS) : -1;
    case 0x55: // U
      return length === 18 ? named(input, start, 'UnaffectedVersions', UNAFFECTED_VERSIONS) : -1;
    default:
      return -1;
  }
}

/**
 * The end of the JSON string whose opening quote is at `open`: 2 × (index of the closing quote), plus 1
 * when the string holds an escape; -1 when it is not a valid JSON string of ASCII (a control character,
 * a byte above 0x7f, a bad escape, no closing quote). One number, so that the caller needs no object or
 * shared state for two.
 */
function stringEnd(input: Input, open: number): number {
  const buf = input.buf;
  const end = input.end;
  let escaped = 0;
  for (let i = open + 1; i < end; i++) {
    const c = buf[i]!;
    if (c === QUOTE) return 2 * i + escaped;
    if (c < 0x20 || c >= 0x80) return -1;
    if (c === BACKSLASH) {
      escaped = 1;
      const e = at(input, ++i);
      if (e === 0x75) {
        // \uXXXX
        for (let k = 1; k <= 4; k++) if (hexValue(at(input, i + k)) < 0) return -1;
        i += 4;
      } else if (
        e !== QUOTE &&
        e !== BACKSLASH &&
        e !== 0x2f && // /
        e !== 0x62 && // b
        e !== 0x66 && // f
        e !== 0x6e && // n
        e !== 0x72 && // r
        e !== 0x74 // t
      ) {
        return -1;
      }
    }
  }
  return -1;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** The text of [from, to) with its (already validated) escapes resolved, as JSON.parse gives it. */
function resolveEscapes(input: Input, from: number, to: number): string {
  const { buf, raw, start } = input;
  let out = '';
  let i = from;
  while (i < to) {
    if (buf[i] !== BACKSLASH) {
      let j = i + 1;
      while (j < to && buf[j] !== BACKSLASH) j++;
      out += raw.slice(i - start, j - start);
      i = j;
      continue;
    }
    const e = buf[i + 1]!;
    if (e === 0x75) {
      let code = 0;
      for (let k = 2; k <= 5; k++) code = code * 16 + hexValue(buf[i + k]!);
      // Lone surrogates stay lone and pairs join when concatenated, as in JSON.parse.
      out += String.fromCharCode(code);
      i += 6;
      continue;
    }
    switch (e) {
      case 0x62:
        out += '\b';
        break;
      case 0x66:
        out += '\f';
        break;
      case 0x6e:
        out += '\n';
        break;
      case 0x72:
        out += '\r';
        break;
      case 0x74:
        out += '\t';
        break;
      default:
        out += String.fromCharCode(e); // " \ /
    }
    i += 2;
  }
  return out;
}

/** The JSON string opening at `open` and ending as stringEnd said. */
function stringValue(input: Input, open: number, end: number): string {
  const close = end >>> 1;
  if ((end & 1) !== 0) return resolveEscapes(input, open + 1, close);
  return input.raw.slice(open + 1 - input.start, close - input.start);
}

/**
 * The array of strings opening at `open` (its elements appended to out), and the index after its closing
 * bracket; -1 for anything else.
 */
function scanStrings(input: Input, open: number, out: string[]): number {
  let i = skipSpace(input, open + 1);
  if (at(input, i) === CLOSE_BRACKET) return i + 1;
  for (;;) {
    if (at(input, i) !== QUOTE) return -1;
    const end = stringEnd(input, i);
    if (end < 0) return -1;
    out.push(stringValue(input, i, end));
    i = skipSpace(input, (end >>> 1) + 1);
    const c = at(input, i);
    if (c === CLOSE_BRACKET) return i + 1;
    if (c !== COMMA) return -1;
    i = skipSpace(input, i + 1);
  }
}

/**
 * Decodes the advisory stored as buf[start, end), whose text is raw, when it has the common shape (see
 * the top of this file) — exactly as JSON.parse(raw) followed by go-decode's fast path would; undefined
 * when it has not, and the caller must decode raw the general way.
 */
export function scanAdvisory(buf: Uint8Array, start: number, end: number, raw: string): Advisory | undefined {
  // Byte offsets are character offsets only if every byte is one character.
  if (raw.length !== end - start) return undefined;
  const input: Input = { buf, start, end, raw };
  let i = skipSpace(input, start);
  if (at(input, i) !== OPEN_BRACE) return undefined;
  const out: Advisory = { VulnerabilityID: '', Status: 0, Severity: 0 };
  i = skipSpace(input, i + 1);
  if (at(input, i) === CLOSE_BRACE) return skipSpace(input, i + 1) === end ? out : undefined;
  for (;;) {
    // A field name: no escapes (a name spelt with escapes is left to JSON.parse).
    if (at(input, i) !== QUOTE) return undefined;
    const nameEnd = stringEnd(input, i);
    if (nameEnd < 0 || (nameEnd & 1) !== 0) return undefined;
    const field = fieldOf(input, i + 1, nameEnd >>> 1);
    if (field < 0) return undefined;
    i = skipSpace(input, (nameEnd >>> 1) + 1);
    if (at(input, i) !== COLON) return undefined;
    i = skipSpace(input, i + 1);
    const c = at(input, i);
    if (field === STATUS || field === SEVERITY) {
      // A plain non-negative integer of at most 15 digits (a safe integer); "-0", fractions, exponents
      // and leading zeros go the general way (the byte after the digits is checked below).
      if (c < 0x30 || c > 0x39) return undefined;
      let value = c - 0x30;
      let j = i + 1;
      if (c !== 0x30) {
        for (let d = at(input, j); d >= 0x30 && d <= 0x39; d = at(input, ++j)) {
          if (j - i >= 15) return undefined;
          value = value * 10 + (d - 0x30);
        }
      }
      if (field === STATUS) out.Status = value;
      else out.Severity = value;
      i = j;
    } else if (field === VULNERABILITY_ID || field === FIXED_VERSION || field === AFFECTED_VERSION) {
      if (c !== QUOTE) return undefined;
      const close = stringEnd(input, i);
      if (close < 0) return undefined;
      const value = stringValue(input, i, close);
      if (field === FIXED_VERSION) out.FixedVersion = value;
      else if (field === AFFECTED_VERSION) out.AffectedVersion = value;
      else out.VulnerabilityID = value;
      i = (close >>> 1) + 1;
    } else {
      if (c !== OPEN_BRACKET) return undefined;
      const values: string[] = [];
      i = scanStrings(input, i, values);
      if (i < 0) return undefined;
      switch (field) {
        case VENDOR_IDS:
          out.VendorIDs = values;
          break;
        case OSES:
          out.OSes = values;
          break;
        case ARCHES:
          out.Arches = values;
          break;
        case VULNERABLE_VERSIONS:
          out.VulnerableVersions = values;
          break;
        case PATCHED_VERSIONS:
          out.PatchedVersions = values;
          break;
        default:
          out.UnaffectedVersions = values;
      }
    }
    i = skipSpace(input, i);
    const next = at(input, i);
    if (next === CLOSE_BRACE) return skipSpace(input, i + 1) === end ? out : undefined;
    if (next !== COMMA) return undefined;
    i = skipSpace(input, i + 1);
  }
}
