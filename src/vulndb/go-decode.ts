// Decoding stored trivy-db JSON with the rules of Go's encoding/json into trivy-db's structs: object keys
// match field names exactly or else case-insensitively, unknown keys are ignored, JSON null leaves a
// field at its zero value, and a value of the wrong type is an error (Trivy fails the lookup then too).
import type { Advisories, Advisory, CVSS, DataSource, Vulnerability } from './trivy-types.js';

export class GoDecodeError extends Error {
  override name = 'GoDecodeError';
}

/**
 * Returns the decoded value, or undefined to leave the field at its zero value. The Go path of the value
 * is `at`, or `at[key]` when key is given: it is only put together for an error message, so that a
 * successful decode allocates nothing but its result.
 */
type Decoder<T> = (value: unknown, at: string, key?: number | string) => T | undefined;

function path(at: string, key: number | string | undefined): string {
  if (key === undefined) return at;
  return typeof key === 'number' ? `${at}[${key}]` : `${at}[${JSON.stringify(key)}]`;
}

function typeError(
  value: unknown,
  at: string,
  key: number | string | undefined,
  goType: string,
): GoDecodeError {
  const kind = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  return new GoDecodeError(`json: cannot unmarshal ${kind} into Go value ${path(at, key)} of type ${goType}`);
}

const str: Decoder<string> = (value, at, key) => {
  if (typeof value === 'string') return value;
  if (value === null) return undefined;
  throw typeError(value, at, key, 'string');
};

/** Go int (64-bit). JSON numbers arrive as doubles, so only safe integers are accepted. */
const int: Decoder<number> = (value, at, key) => {
  if (value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw typeError(value, at, key, 'int');
  return value;
};

const float: Decoder<number> = (value, at, key) => {
  if (value === null) return undefined;
  if (typeof value !== 'number') throw typeError(value, at, key, 'float64');
  return value;
};

const anyValue: Decoder<unknown> = (value) => (value === null ? undefined : value);

function sliceOf<T>(element: Decoder<T>, zero: T, goType: string): Decoder<T[]> {
  return (value, at, key) => {
    if (value === null) return undefined;
    if (!Array.isArray(value)) throw typeError(value, at, key, goType);
    const self = path(at, key);
    const out = new Array<T>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = element(value[i], self, i) ?? zero;
    return out;
  };
}

function mapOf<T>(element: Decoder<T>, zero: T, goType: string): Decoder<Record<string, T>> {
  return (value, at, key) => {
    if (value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) throw typeError(value, at, key, goType);
    const self = path(at, key);
    const out: Record<string, T> = Object.create(null);
    const object = value as Record<string, unknown>;
    for (const k in object) out[k] = element(object[k], self, k) ?? zero;
    return out;
  };
}

function struct<T>(
  goType: string,
  fields: { [K in keyof T]-?: Decoder<T[K]> },
  zero: () => Partial<T> = () => ({}),
): Decoder<Partial<T>> {
  // `at` is the Go path a field error names: Go reports the struct type and field, not the full path.
  type Field = { name: keyof T & string; decode: Decoder<unknown>; at: string };
  const exact = new Map<string, Field>();
  for (const name of Object.keys(fields) as (keyof T & string)[]) {
    exact.set(name, { name, decode: fields[name] as Decoder<unknown>, at: `${goType}.${name}` });
  }
  const folded = new Map([...exact.values()].map((f) => [f.name.toLowerCase(), f]));
  return (value, at, key) => {
    if (value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) throw typeError(value, at, key, goType);
    const out = zero() as Record<string, unknown>;
    const object = value as Record<string, unknown>;
    for (const name in object) {
      const field = exact.get(name) ?? folded.get(name.toLowerCase());
      if (field === undefined) continue;
      const decoded = field.decode(object[name], field.at);
      if (decoded !== undefined) out[field.name] = decoded;
    }
    return out as Partial<T>;
  };
}

const strings = sliceOf(str, '', '[]string');
/** *time.Time: RFC 3339 strings only, kept as stored. */
const time: Decoder<string> = (value, at, key) => {
  const s = str(value, at, key);
  if (s !== undefined && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s)) {
    throw new GoDecodeError(`parsing time ${JSON.stringify(s)} as RFC 3339 failed (${path(at, key)})`);
  }
  return s;
};

const dataSource = struct<DataSource>('types.DataSource', { ID: str, Name: str, URL: str, BaseID: str });

const advisoryFields = struct<Advisory>(
  'types.Advisory',
  {
    VulnerabilityID: str,
    VendorIDs: strings,
    OSes: strings,
    Arches: strings,
    Status: int,
    Severity: int,
    FixedVersion: str,
    AffectedVersion: str,
    VulnerableVersions: strings,
    PatchedVersions: strings,
    UnaffectedVersions: strings,
    DataSource: dataSource,
    Custom: anyValue,
  },
  () => ({ VulnerabilityID: '', Status: 0, Severity: 0 }),
);

const advisory = advisoryFields as Decoder<Advisory>;

const advisories = struct<Advisories>('types.Advisories', {
  FixedVersion: str,
  Entries: sliceOf(advisory, { VulnerabilityID: '', Status: 0, Severity: 0 }, '[]types.Advisory'),
  Custom: anyValue,
});

const cvss = struct<CVSS>('types.CVSS', {
  V2Vector: str,
  V3Vector: str,
  V40Vector: str,
  V2Score: float,
  V3Score: float,
  V40Score: float,
});

const vulnerability = struct<Vulnerability>('types.Vulnerability', {
  Title: str,
  Description: str,
  Severity: str,
  CweIDs: strings,
  VendorSeverity: mapOf(int, 0, 'types.VendorSeverity'),
  CVSS: mapOf(cvss, {}, 'types.VendorCVSS'),
  References: strings,
  PublishedDate: time,
  LastModifiedDate: time,
  Custom: anyValue,
});

function parse(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw new GoDecodeError(`invalid JSON: ${(error as Error).message}`);
  }
}

export function decodeAdvisory(raw: string): Advisory {
  return (
    fastAdvisory(raw) ??
    advisory(parse(raw), 'types.Advisory') ?? { VulnerabilityID: '', Status: 0, Severity: 0 }
  );
}

// A fast path for the advisories a lookup decodes by the thousand. JSON.parse followed by the generic
// field matching above costs several times more than scanning the few fields an advisory has, so the
// common shape is decoded here in one pass over the string. Anything outside that shape — a field name
// that matches only case-insensitively, an unknown or repeated field, null inside an array, a nested
// object, a number that is not a plain non-negative integer, an escape for a lone surrogate, a syntax or
// type error — returns undefined, and the generic decoder above gives the result (or the error) as
// before. The two must agree on every input the fast path accepts; go-decode.test.ts checks that.

// Field ids of the fast path; bit (1 << id) marks a field as seen.
const F_VULNERABILITY_ID = 0;
const F_FIXED_VERSION = 1;
const F_AFFECTED_VERSION = 2;
const F_VENDOR_IDS = 3;
const F_OSES = 4;
const F_ARCHES = 5;
const F_VULNERABLE_VERSIONS = 6;
const F_PATCHED_VERSIONS = 7;
const F_UNAFFECTED_VERSIONS = 8;
const F_STATUS = 9;
const F_SEVERITY = 10;

/**
 * The fast-path field whose exact name is the string literal s[i + 1, q) (q at its closing quote), or -1.
 * Compared in place: no string is made for the name.
 */
function fieldAt(s: string, i: number, q: number): number {
  const from = i + 1;
  switch (q - from) {
    case 4:
      return s.startsWith('OSes', from) ? F_OSES : -1;
    case 6:
      if (s.startsWith('Status', from)) return F_STATUS;
      return s.startsWith('Arches', from) ? F_ARCHES : -1;
    case 8:
      return s.startsWith('Severity', from) ? F_SEVERITY : -1;
    case 9:
      return s.startsWith('VendorIDs', from) ? F_VENDOR_IDS : -1;
    case 12:
      return s.startsWith('FixedVersion', from) ? F_FIXED_VERSION : -1;
    case 15:
      if (s.startsWith('PatchedVersions', from)) return F_PATCHED_VERSIONS;
      if (s.startsWith('VulnerabilityID', from)) return F_VULNERABILITY_ID;
      return s.startsWith('AffectedVersion', from) ? F_AFFECTED_VERSION : -1;
    case 18:
      if (s.startsWith('VulnerableVersions', from)) return F_VULNERABLE_VERSIONS;
      return s.startsWith('UnaffectedVersions', from) ? F_UNAFFECTED_VERSIONS : -1;
    default:
      return -1;
  }
}

/** Scanner state: the position after the last token read. -1 marks "not for the fast path". */
let at = 0;

function skipSpace(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** The string literal starting at s[i] (a quote); sets `at` past it, or to -1. */
function fastString(s: string, i: number): string {
  const start = i + 1;
  let j = start;
  for (;;) {
    const c = s.charCodeAt(j);
    if (c === 0x22) {
      at = j + 1;
      return s.slice(start, j);
    }
    if (c === 0x5c) break;
    if (c < 0x20 || Number.isNaN(c)) {
      at = -1; // a raw control character, or the end of the input: invalid JSON
      return '';
    }
    j++;
  }
  // Escapes: decoded piece by piece.
  let out = s.slice(start, j);
  for (;;) {
    const c = s.charCodeAt(j);
    if (c === 0x22) {
      at = j + 1;
      return out;
    }
    if (c < 0x20 || Number.isNaN(c)) {
      at = -1;
      return '';
    }
    if (c !== 0x5c) {
      const from = j;
      while (j < s.length) {
        const d = s.charCodeAt(j);
        if (d === 0x22 || d === 0x5c || d < 0x20) break;
        j++;
      }
      out += s.slice(from, j);
      continue;
    }
    const e = s.charCodeAt(j + 1);
    j += 2;
    switch (e) {
      case 0x22:
        out += '"';
        break;
      case 0x5c:
        out += '\\';
        break;
      case 0x2f:
        out += '/';
        break;
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
      case 0x75: {
        const a = hexDigit(s.charCodeAt(j));
        const b = hexDigit(s.charCodeAt(j + 1));
        const c2 = hexDigit(s.charCodeAt(j + 2));
        const d = hexDigit(s.charCodeAt(j + 3));
        if ((a | b | c2 | d) < 0) {
          at = -1;
          return '';
        }
        const unit = (a << 12) | (b << 8) | (c2 << 4) | d;
        // Surrogates are left to the generic path, which treats pairs and lone halves as JSON.parse does.
        if (unit >= 0xd800 && unit <= 0xdfff) {
          at = -1;
          return '';
        }
        out += String.fromCharCode(unit);
        j += 4;
        break;
      }
      default:
        at = -1;
        return '';
    }
  }
}

function fastStrings(s: string, i: number): string[] | undefined {
  // i is at '['
  const out: string[] = [];
  let j = skipSpace(s, i + 1);
  if (s.charCodeAt(j) === 0x5d) {
    at = j + 1;
    return out;
  }
  for (;;) {
    if (s.charCodeAt(j) !== 0x22) {
      at = -1;
      return undefined;
    }
    out.push(fastString(s, j));
    if (at < 0) return undefined;
    j = skipSpace(s, at);
    const c = s.charCodeAt(j);
    if (c === 0x5d) {
      at = j + 1;
      return out;
    }
    if (c !== 0x2c) {
      at = -1;
      return undefined;
    }
    j = skipSpace(s, j + 1);
  }
}

function fastInt(s: string, i: number): number {
  let j = i;
  let n = 0;
  const first = s.charCodeAt(j);
  if (first === 0x30) j++;
  else {
    while (j - i < 15) {
      const c = s.charCodeAt(j);
      if (c < 0x30 || c > 0x39) break;
      n = n * 10 + (c - 0x30);
      j++;
    }
  }
  const next = s.charCodeAt(j);
  // Fractions, exponents, leading zeros and long numbers go to the generic path.
  if (j === i || (next >= 0x30 && next <= 0x39) || next === 0x2e || next === 0x65 || next === 0x45) {
    at = -1;
    return 0;
  }
  at = j;
  return n;
}

function fastAdvisory(s: string): Advisory | undefined {
  let i = skipSpace(s, 0);
  if (s.charCodeAt(i) !== 0x7b) return undefined;
  const out: Advisory = { VulnerabilityID: '', Status: 0, Severity: 0 };
  let seen = 0;
  i = skipSpace(s, i + 1);
  if (s.charCodeAt(i) === 0x7d) return skipSpace(s, i + 1) === s.length ? out : undefined;
  for (;;) {
    if (s.charCodeAt(i) !== 0x22) return undefined;
    const q = s.indexOf('"', i + 1);
    if (q < 0) return undefined;
    // Names with escapes (a backslash before q) are not known exact names: fieldAt rejects them.
    const field = fieldAt(s, i, q);
    if (field < 0 || (seen & (1 << field)) !== 0) return undefined;
    seen |= 1 << field;
    i = skipSpace(s, q + 1);
    if (s.charCodeAt(i) !== 0x3a) return undefined;
    i = skipSpace(s, i + 1);
    const c = s.charCodeAt(i);
    if (c === 0x6e) {
      // null: the field keeps its zero value
      if (!s.startsWith('null', i)) return undefined;
      at = i + 4;
    } else if (field <= F_AFFECTED_VERSION) {
      if (c !== 0x22) return undefined;
      const value = fastString(s, i);
      if (field === F_FIXED_VERSION) out.FixedVersion = value;
      else if (field === F_AFFECTED_VERSION) out.AffectedVersion = value;
      else out.VulnerabilityID = value;
    } else if (field <= F_UNAFFECTED_VERSIONS) {
      if (c !== 0x5b) return undefined;
      const value = fastStrings(s, i);
      if (value === undefined) return undefined;
      switch (field) {
        case F_VENDOR_IDS:
          out.VendorIDs = value;
          break;
        case F_OSES:
          out.OSes = value;
          break;
        case F_ARCHES:
          out.Arches = value;
          break;
        case F_VULNERABLE_VERSIONS:
          out.VulnerableVersions = value;
          break;
        case F_PATCHED_VERSIONS:
          out.PatchedVersions = value;
          break;
        default:
          out.UnaffectedVersions = value;
      }
    } else {
      const value = fastInt(s, i);
      if (field === F_STATUS) out.Status = value;
      else out.Severity = value;
    }
    if (at < 0) return undefined;
    i = skipSpace(s, at);
    const sep = s.charCodeAt(i);
    if (sep === 0x7d) return skipSpace(s, i + 1) === s.length ? out : undefined;
    if (sep !== 0x2c) return undefined;
    i = skipSpace(s, i + 1);
  }
}

export function decodeAdvisories(raw: string): Advisories {
  return advisories(parse(raw), 'types.Advisories') ?? {};
}

export function decodeDataSource(raw: string): DataSource {
  return dataSource(parse(raw), 'types.DataSource') ?? {};
}

export function decodeVulnerability(raw: string): Vulnerability {
  return vulnerability(parse(raw), 'types.Vulnerability') ?? {};
}
