// Decoding stored trivy-db JSON with the rules of Go's encoding/json into trivy-db's structs: object keys
// match field names exactly or else case-insensitively, unknown keys are ignored, JSON null leaves a
// field at its zero value, and a value of the wrong type is an error (Trivy fails the lookup then too).
import type { Advisories, Advisory, CVSS, DataSource, Vulnerability } from './trivy-types.js';

export class GoDecodeError extends Error {
  override name = 'GoDecodeError';
}

/** Returns the decoded value, or undefined to leave the field at its zero value. */
type Decoder<T> = (value: unknown, at: string) => T | undefined;

function typeError(value: unknown, at: string, goType: string): GoDecodeError {
  const kind = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  return new GoDecodeError(`json: cannot unmarshal ${kind} into Go value ${at} of type ${goType}`);
}

const str: Decoder<string> = (value, at) => {
  if (value === null) return undefined;
  if (typeof value !== 'string') throw typeError(value, at, 'string');
  return value;
};

/** Go int (64-bit). JSON numbers arrive as doubles, so only safe integers are accepted. */
const int: Decoder<number> = (value, at) => {
  if (value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw typeError(value, at, 'int');
  return value;
};

const float: Decoder<number> = (value, at) => {
  if (value === null) return undefined;
  if (typeof value !== 'number') throw typeError(value, at, 'float64');
  return value;
};

const anyValue: Decoder<unknown> = (value) => (value === null ? undefined : value);

function sliceOf<T>(element: Decoder<T>, zero: T, goType: string): Decoder<T[]> {
  return (value, at) => {
    if (value === null) return undefined;
    if (!Array.isArray(value)) throw typeError(value, at, goType);
    return value.map((item, i) => element(item, `${at}[${i}]`) ?? zero);
  };
}

function mapOf<T>(element: Decoder<T>, zero: T, goType: string): Decoder<Record<string, T>> {
  return (value, at) => {
    if (value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) throw typeError(value, at, goType);
    const out: Record<string, T> = Object.create(null);
    for (const [k, v] of Object.entries(value)) out[k] = element(v, `${at}[${JSON.stringify(k)}]`) ?? zero;
    return out;
  };
}

function struct<T>(
  goType: string,
  fields: { [K in keyof T]-?: Decoder<T[K]> },
  zero: () => Partial<T> = () => ({}),
): Decoder<Partial<T>> {
  type Field = { name: keyof T & string; decode: Decoder<unknown> };
  const exact = new Map<string, Field>();
  for (const name of Object.keys(fields) as (keyof T & string)[]) {
    exact.set(name, { name, decode: fields[name] as Decoder<unknown> });
  }
  const folded = new Map([...exact.values()].map((f) => [f.name.toLowerCase(), f]));
  return (value, at) => {
    if (value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) throw typeError(value, at, goType);
    const out = zero() as Record<string, unknown>;
    const object = value as Record<string, unknown>;
    for (const key in object) {
      const field = exact.get(key) ?? folded.get(key.toLowerCase());
      if (field === undefined) continue;
      const decoded = field.decode(object[key], `${goType}.${field.name}`);
      if (decoded !== undefined) out[field.name] = decoded;
    }
    return out as Partial<T>;
  };
}

const strings = sliceOf(str, '', '[]string');
/** *time.Time: RFC 3339 strings only, kept as stored. */
const time: Decoder<string> = (value, at) => {
  const s = str(value, at);
  if (s !== undefined && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s)) {
    throw new GoDecodeError(`parsing time ${JSON.stringify(s)} as RFC 3339 failed (${at})`);
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
  return advisory(parse(raw), 'types.Advisory') ?? { VulnerabilityID: '', Status: 0, Severity: 0 };
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
