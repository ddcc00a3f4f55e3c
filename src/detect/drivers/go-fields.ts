/**
 * Reading stored JSON objects into Go structs the way encoding/json does, for the few shapes src/vulndb does
 * not decode (Red Hat OVAL entries): keys match a field exactly or else case-insensitively, a later key for
 * the same field wins, unknown keys and nulls are ignored, and a value of the wrong type is an error.
 */

export class GoShapeError extends Error {
  override name = 'GoShapeError';
}

function kind(value: unknown): string {
  return Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
}

/** The object's values by field name (only fields that are present and not null). */
export function goFields<K extends string>(
  value: unknown,
  fields: readonly K[],
  at: string,
): Partial<Record<K, unknown>> {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new GoShapeError(`json: cannot unmarshal ${kind(value)} into Go value of type ${at}`);
  }
  const folded = new Map(fields.map((f) => [f.toLowerCase(), f]));
  const exact = new Set<string>(fields);
  const out: Partial<Record<K, unknown>> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const field = (exact.has(key) ? key : folded.get(key.toLowerCase())) as K | undefined;
    if (field === undefined) continue;
    if (v === null) continue;
    out[field] = v;
  }
  return out;
}

export function goString(value: unknown, at: string): string {
  if (value === undefined) return '';
  if (typeof value !== 'string')
    throw new GoShapeError(`json: cannot unmarshal ${kind(value)} into ${at} (string)`);
  return value;
}

export function goInt(value: unknown, at: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new GoShapeError(`json: cannot unmarshal ${kind(value)} into ${at} (int)`);
  }
  return value;
}

export function goList<T>(value: unknown, at: string, element: (v: unknown, at: string) => T): T[] {
  if (value === undefined) return [];
  if (!Array.isArray(value))
    throw new GoShapeError(`json: cannot unmarshal ${kind(value)} into ${at} (slice)`);
  return value.map((v, i) => element(v === null ? undefined : v, `${at}[${i}]`));
}
