/**
 * Parsers for the value syntaxes Trivy Operator's settings use (Go's strconv.ParseBool and
 * time.ParseDuration, Kubernetes quantities, `k=v,k2=v2` lists, JSON), each failing with a ConfigError that
 * names the variable or key.
 */
import { formatGoDuration as formatGoDurationScan, parseGoDuration } from '../../scan/go-duration.js';
import { ConfigError } from './errors.js';
import { GlobPatternError, validateGlob } from './glob.js';

const TRUE_WORDS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_WORDS = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go's strconv.ParseBool: 1, t, T, TRUE, true, True and their false counterparts. */
export function parseBool(key: string, value: string): boolean {
  if (TRUE_WORDS.has(value)) return true;
  if (FALSE_WORDS.has(value)) return false;
  throw new ConfigError('INVALID', key, `${JSON.stringify(value)} is not a boolean`, 'use "true" or "false"');
}

/** A non-negative Go duration in milliseconds ("5m", "24h", "1h30m0s"). */
export function parseDuration(key: string, value: string): number {
  let ms: number;
  try {
    ms = parseGoDuration(value.trim());
  } catch (error) {
    throw new ConfigError(
      'INVALID',
      key,
      `${JSON.stringify(value)} is not a Go duration`,
      'write it like 30s, 5m, 24h or 1h30m',
      error,
    );
  }
  if (ms < 0) throw new ConfigError('INVALID', key, `${JSON.stringify(value)} is negative`, 'use 0 or more');
  return ms;
}

/** Go's Duration.String for whole milliseconds: 24h → "24h0m0s", 90s → "1m30s", 0 → "0s". */
export function formatGoDuration(ms: number): string {
  return formatGoDurationScan(ms);
}

/** A whole number within [min, max]. */
export function parseInteger(key: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const text = value.trim();
  const n = /^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `between ${min} and ${max}`;
    throw new ConfigError(
      'INVALID',
      key,
      `${JSON.stringify(value)} is not a whole number ${range}`,
      `use ${range}`,
    );
  }
  return n;
}

/** Comma-separated list, entries trimmed, empty entries dropped. */
export function parseList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Comma-separated Go filepath.Match globs, each validated. */
export function parseGlobList(key: string, value: string | undefined): string[] {
  const patterns = parseList(value);
  for (const pattern of patterns) {
    try {
      validateGlob(pattern);
    } catch (error) {
      if (!(error instanceof GlobPatternError)) throw error;
      throw new ConfigError(
        'INVALID',
        key,
        error.message,
        'fix the pattern (Go filepath.Match syntax: *, ?, [a-z], [^x], \\ to escape)',
        error,
      );
    }
  }
  return patterns;
}

/**
 * `k=v,k2=v2` as Trivy Operator reads scanJob.annotations, scanJob.podTemplateLabels and report.additionalLabels:
 * every entry has exactly one `=`; a trailing comma is tolerated. Keys and values are trimmed.
 */
export function parseKeyValueList(key: string, value: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (value === undefined || value.trim() === '') return out;
  for (const entry of value.replace(/,\s*$/, '').split(',')) {
    const parts = entry.split('=');
    const name = parts[0]?.trim() ?? '';
    if (parts.length !== 2 || name === '') {
      throw new ConfigError(
        'INVALID',
        key,
        `entry ${JSON.stringify(entry)} is not key=value`,
        'write it as key1=value1,key2=value2',
      );
    }
    out[name] = parts[1]!.trim();
  }
  return out;
}

/** A JSON document of the expected shape, or undefined for an empty value. */
export function parseJson<T>(
  key: string,
  value: string | undefined,
  shape: 'object' | 'array',
  what: string,
): T | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new ConfigError(
      'INVALID',
      key,
      `not valid JSON (${(error as Error).message})`,
      `give ${what} as JSON`,
      error,
    );
  }
  const ok =
    shape === 'array'
      ? Array.isArray(parsed)
      : typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  if (!ok)
    throw new ConfigError('INVALID', key, `expected a JSON ${shape}`, `give ${what} as a JSON ${shape}`);
  return parsed as T;
}

// Kubernetes resource.Quantity: a signed decimal number, then a binary-SI (Ki…Ei), decimal-SI (n u m k M G T P E)
// or decimal-exponent (e3, E-2) suffix.
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

/** A non-negative Kubernetes quantity ("100m", "500M", "1Gi"), returned as written. */
export function parseQuantity(key: string, value: string): string {
  const text = value.trim();
  if (!QUANTITY.test(text) || text.startsWith('-')) {
    throw new ConfigError(
      'INVALID',
      key,
      `${JSON.stringify(value)} is not a Kubernetes quantity`,
      'write it like 100m, 0.5, 500M or 1Gi',
    );
  }
  return text;
}

/**
 * A value that must never reach a log line or a serialised object: JSON, String() and util.inspect all show
 * "[redacted]". Call reveal() where the value is really needed.
 */
export class SecretValue {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toJSON(): string {
    return '[redacted]';
  }
  toString(): string {
    return '[redacted]';
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'SecretValue([redacted])';
  }
}
