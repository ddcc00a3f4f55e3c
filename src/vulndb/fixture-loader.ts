import { readFile } from 'node:fs/promises';
import { BoltError } from './bolt/errors.js';
import {
  type BoltWriteOptions,
  type BoltWriteSummary,
  createMemoryBucket,
  type MemoryBucket,
  writeBolt,
} from './bolt/index.js';
import { VulnDbError } from './errors.js';
import { type GoValue, goJsonMarshal, goSprint } from './go-json.js';
import { parseGoYaml } from './go-yaml.js';

/**
 * Builds a trivy.db from YAML fixtures with the semantics of Trivy's loader (aquasecurity/bolt-fixtures):
 * each file is a list of `{bucket, pairs}`; a pair is a nested `{bucket, pairs}` or a `{key, value}`.
 * Files apply in order into the same database: buckets are merged (create-if-not-exists) and a later
 * key replaces an earlier one. Scalar values are stored as Go's fmt.Sprint prints them (strings raw,
 * not JSON-quoted); maps and lists as Go's json.Marshal writes them.
 */
export async function buildDbFromFixtures(
  files: readonly string[],
  dbPath: string,
  options: BoltWriteOptions = {},
): Promise<BoltWriteSummary> {
  const root = createMemoryBucket(dbPath);
  for (const file of files) applyFixtures(root, await readFile(file, 'utf8'), file);
  return writeBolt(dbPath, root, options);
}

interface Fixture {
  bucket: string;
  pairs: unknown[];
  key: string;
  value: GoValue;
}

/** Applies one fixture file's text to root; `source` names the file in errors. */
export function applyFixtures(root: MemoryBucket, text: string, source: string): void {
  let doc: GoValue;
  try {
    doc = parseGoYaml(text);
  } catch (error) {
    throw fixtureError(source, `invalid YAML: ${(error as Error).message}`, error);
  }
  if (doc === null || doc === undefined) return;
  if (!Array.isArray(doc)) throw fixtureError(source, 'the document must be a list of {bucket, pairs}');
  try {
    for (const item of doc) {
      const fixture = toFixture(item, source);
      if (fixture.bucket === '') throw fixtureError(source, 'a top-level entry has no bucket name');
      const bucket = root.bucket(fixture.bucket);
      for (const pair of fixture.pairs) load(bucket, pair, source);
    }
  } catch (error) {
    if (error instanceof BoltError) throw fixtureError(source, error.message, error);
    throw error;
  }
}

function load(bucket: MemoryBucket, item: unknown, source: string): void {
  const fixture = toFixture(item, source);
  if (fixture.bucket !== '') {
    const child = bucket.bucket(fixture.bucket);
    for (const pair of fixture.pairs) load(child, pair, source);
    return;
  }
  if (fixture.key === '') throw fixtureError(source, 'a pair has neither a bucket nor a key');
  bucket.put(fixture.key, encodeValue(fixture.value, source));
}

/** bolt-fixtures: bool, int, float and string via fmt.Sprint; anything else (maps, lists, nil) via JSON. */
function encodeValue(value: GoValue, source: string): string {
  try {
    switch (typeof value) {
      case 'string':
      case 'boolean':
      case 'number':
      case 'bigint':
        return goSprint(value);
      default:
        return goJsonMarshal(value);
    }
  } catch (error) {
    throw fixtureError(source, `cannot encode a value: ${(error as Error).message}`, error);
  }
}

function toFixture(item: unknown, source: string): Fixture {
  if (item === null || item === undefined) return { bucket: '', pairs: [], key: '', value: null };
  if (typeof item !== 'object' || Array.isArray(item)) {
    throw fixtureError(
      source,
      `expected a mapping with bucket/pairs or key/value, got ${JSON.stringify(String(item))}`,
    );
  }
  const record = item as Record<string, unknown>;
  const pairs = record.pairs ?? [];
  if (!Array.isArray(pairs)) throw fixtureError(source, '"pairs" must be a list');
  return {
    bucket: scalarString(record.bucket, 'bucket', source),
    pairs,
    key: scalarString(record.key, 'key', source),
    value: (record.value ?? null) as GoValue,
  };
}

function scalarString(value: unknown, field: string, source: string): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  throw fixtureError(source, `"${field}" must be a string`);
}

function fixtureError(source: string, detail: string, cause?: unknown): VulnDbError {
  return new VulnDbError('VULNDB_FIXTURE', `cannot load fixture ${source}: ${detail}`, { cause });
}
