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
  const parsed = parse(raw);
  return (
    fastAdvisory(parsed) ??
    advisory(parsed, 'types.Advisory') ?? { VulnerabilityID: '', Status: 0, Severity: 0 }
  );
}

/** decodeAdvisory without its fast path: what the fast path must agree with (for tests). */
export function decodeAdvisoryGeneric(raw: string): Advisory {
  return advisory(parse(raw), 'types.Advisory') ?? { VulnerabilityID: '', Status: 0, Severity: 0 };
}

// A fast path for the advisories a lookup decodes by the thousand: after JSON.parse, the generic field
// matching above (a Map lookup and a case-folding fallback per key, a decoder call per value) costs as much
// again as the parse. Here the common shape — exact field names, strings, arrays of strings, integers —
// is copied with a switch. Anything else (a name that matches only case-insensitively, an unknown field,
// a nested object, null inside an array, a wrong type) returns undefined, and the generic decoder gives
// the result, or the error, from the same parsed value. For what the fast path accepts, both give the
// same result; go-decode.test.ts checks that.

function plainStrings(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== 'string') return undefined;
  return value as string[];
}

function fastAdvisory(parsed: unknown): Advisory | undefined {
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const object = parsed as Record<string, unknown>;
  const out: Advisory = { VulnerabilityID: '', Status: 0, Severity: 0 };
  for (const key in object) {
    const value = object[key];
    // null leaves any field at its zero value, as in the generic decoder.
    if (value === null) {
      if (!EXACT_ADVISORY_FIELDS.has(key)) return undefined;
      continue;
    }
    switch (key) {
      case 'FixedVersion':
        if (typeof value !== 'string') return undefined;
        out.FixedVersion = value;
        break;
      case 'VendorIDs': {
        const strings = plainStrings(value);
        if (strings === undefined) return undefined;
        out.VendorIDs = strings;
        break;
      }
      case 'VulnerableVersions': {
        const strings = plainStrings(value);
        if (strings === undefined) return undefined;
        out.VulnerableVersions = strings;
        break;
      }
      case 'PatchedVersions': {
        const strings = plainStrings(value);
        if (strings === undefined) return undefined;
        out.PatchedVersions = strings;
        break;
      }
      case 'UnaffectedVersions': {
        const strings = plainStrings(value);
        if (strings === undefined) return undefined;
        out.UnaffectedVersions = strings;
        break;
      }
      case 'Arches': {
        const strings = plainStrings(value);
        if (strings === undefined) return undefined;
        out.Arches = strings;
        break;
      }
      case 'OSes': {
        const strings = plainStrings(value);
        if (strings === undefined) return undefined;
        out.OSes = strings;
        break;
      }
      case 'Status':
        if (typeof value !== 'number' || !Number.isSafeInteger(value)) return undefined;
        out.Status = value;
        break;
      case 'Severity':
        if (typeof value !== 'number' || !Number.isSafeInteger(value)) return undefined;
        out.Severity = value;
        break;
      case 'AffectedVersion':
        if (typeof value !== 'string') return undefined;
        out.AffectedVersion = value;
        break;
      case 'VulnerabilityID':
        if (typeof value !== 'string') return undefined;
        out.VulnerabilityID = value;
        break;
      default:
        return undefined;
    }
  }
  return out;
}

/** The advisory fields the fast path knows by their exact names (DataSource and Custom go generic). */
const EXACT_ADVISORY_FIELDS = new Set([
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
]);

export function decodeAdvisories(raw: string): Advisories {
  return advisories(parse(raw), 'types.Advisories') ?? {};
}

export function decodeDataSource(raw: string): DataSource {
  return dataSource(parse(raw), 'types.DataSource') ?? {};
}

export function decodeVulnerability(raw: string): Vulnerability {
  return vulnerability(parse(raw), 'types.Vulnerability') ?? {};
}
