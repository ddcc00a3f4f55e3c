// metadata.json beside trivy.db (trivy-db's pkg/metadata): {"Version":2,"NextUpdate":…,"UpdatedAt":…,
// "DownloadedAt":…} with Go's time.Time JSON (RFC 3339 with up to nine fractional digits; the zero time
// "0001-01-01T00:00:00Z" for unset). The file is kept as published; only DownloadedAt is rewritten after a
// download, the other fields byte for byte.
import { readFile } from 'node:fs/promises';

/** The trivy-db schema this reader understands (tdb db.SchemaVersion). */
export const SCHEMA_VERSION = 2;

/** Milliseconds since the epoch of Go's zero time.Time, 0001-01-01T00:00:00Z. */
export const GO_ZERO_TIME_MS = (() => {
  const date = new Date(0);
  date.setUTCFullYear(1, 0, 1);
  date.setUTCHours(0, 0, 0, 0);
  return date.getTime();
})();

export interface DbMetadata {
  version: number;
  /** Milliseconds since the epoch; GO_ZERO_TIME_MS when unset. */
  nextUpdate: number;
  updatedAt: number;
  downloadedAt: number;
  /** The JSON as read, so that rewriting keeps fields and their exact text. */
  raw: Record<string, unknown>;
}

export type MetadataRead =
  | { ok: true; metadata: DbMetadata }
  | { ok: false; missing: boolean; reason: string };

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Go's time.Time UnmarshalJSON for RFC 3339 text; throws on anything else. Sub-millisecond digits are cut. */
export function parseGoTime(text: string): number {
  const m = RFC3339.exec(text);
  if (!m) throw new Error(`${JSON.stringify(text)} is not an RFC 3339 time`);
  const [, y, mo, d, h, mi, s, fraction = '', zone = 'Z'] = m;
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s), Math.floor(Number(`0${fraction || '.0'}`) * 1000));
  let ms = date.getTime();
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const [zh = '0', zm = '0'] = zone.slice(1).split(':');
    ms -= sign * (Number(zh) * 60 + Number(zm)) * 60_000;
  }
  if (Number.isNaN(ms)) throw new Error(`${JSON.stringify(text)} is not a valid date`);
  return ms;
}

/** Go's RFC3339Nano rendering of a UTC time: trailing fractional zeros dropped. */
export function formatGoTime(ms: number): string {
  if (ms === GO_ZERO_TIME_MS) return '0001-01-01T00:00:00Z';
  const iso = new Date(ms).toISOString(); // 2026-08-21T06:04:47.120Z
  return iso.replace(/\.(\d*?)0*Z$/, (_, digits: string) => (digits === '' ? 'Z' : `.${digits}Z`));
}

export function isZeroTime(ms: number): boolean {
  return ms === GO_ZERO_TIME_MS;
}

/** Parses metadata.json text as Go's encoding/json would fill trivy-db's Metadata struct. */
export function parseMetadata(text: string): DbMetadata {
  const json: unknown = JSON.parse(text);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('not a JSON object');
  const raw = json as Record<string, unknown>;
  // encoding/json matches field names case-insensitively.
  const field = (name: string) => {
    const key = Object.keys(raw).find((k) => k.toLowerCase() === name.toLowerCase());
    return key === undefined ? undefined : raw[key];
  };
  const time = (name: string): number => {
    const value = field(name);
    if (value === undefined || value === null) return GO_ZERO_TIME_MS;
    if (typeof value !== 'string') throw new Error(`${name} is not a string`);
    return parseGoTime(value);
  };
  const version = field('Version');
  if (version !== undefined && version !== null && !Number.isInteger(version)) {
    throw new Error('Version is not an integer');
  }
  return {
    version: typeof version === 'number' ? version : 0,
    nextUpdate: time('NextUpdate'),
    updatedAt: time('UpdatedAt'),
    downloadedAt: time('DownloadedAt'),
    raw,
  };
}

export async function readMetadata(path: string): Promise<MetadataRead> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    return { ok: false, missing, reason: missing ? `${path} does not exist` : (error as Error).message };
  }
  try {
    return { ok: true, metadata: parseMetadata(text) };
  } catch (error) {
    return {
      ok: false,
      missing: false,
      reason: `${path} is not valid metadata: ${(error as Error).message}`,
    };
  }
}

/** The metadata JSON with DownloadedAt set, every other field kept as it was. */
export function withDownloadedAt(metadata: DbMetadata, ms: number): string {
  const key = Object.keys(metadata.raw).find((k) => k.toLowerCase() === 'downloadedat') ?? 'DownloadedAt';
  return JSON.stringify({ ...metadata.raw, [key]: formatGoTime(ms) });
}
