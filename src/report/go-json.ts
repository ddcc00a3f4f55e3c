/**
 * A JSON value as Go's encoding/json writes it: objects keep the order they are built in (struct field
 * order) unless they are Go maps (sorted by key bytes), strings escape <, > and & (and U+2028/U+2029) as
 * \u003c \u003e \u0026, and json.MarshalIndent lays it out with empty objects and arrays kept as {} and [].
 */
import { goJsonFloat, goJsonString } from '../vulndb/go-json.js';

export type GoJson =
  | { readonly kind: 'object'; readonly entries: readonly (readonly [string, GoJson])[] }
  | { readonly kind: 'array'; readonly items: readonly GoJson[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'int'; readonly value: number | bigint }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'null' };

export const jsonNull: GoJson = Object.freeze({ kind: 'null' });

export function str(value: string): GoJson {
  return { kind: 'string', value };
}

export function int(value: number | bigint): GoJson {
  return { kind: 'int', value };
}

export function float(value: number): GoJson {
  return { kind: 'float', value };
}

export function bool(value: boolean): GoJson {
  return { kind: 'bool', value };
}

export function arr(items: readonly GoJson[]): GoJson {
  return { kind: 'array', items };
}

/** A struct: fields in the given order; entries whose value is undefined are left out (omitted fields). */
export function struct(fields: readonly (readonly [string, GoJson | undefined])[]): GoJson {
  const entries: (readonly [string, GoJson])[] = [];
  for (const [key, value] of fields) if (value !== undefined) entries.push([key, value]);
  return { kind: 'object', entries };
}

/** A Go map: keys sorted by their UTF-8 bytes. */
export function goMap<T>(record: Readonly<Record<string, T>>, encode: (value: T) => GoJson): GoJson {
  const keys = Object.keys(record).sort((a, b) =>
    Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')),
  );
  return { kind: 'object', entries: keys.map((k) => [k, encode(record[k] as T)] as const) };
}

/**
 * A decoded JSON value of unknown shape (Go's `any`): objects become maps (sorted keys), numbers floats.
 * Undefined means absent.
 */
export function anyValue(value: unknown): GoJson {
  if (value === null || value === undefined) return jsonNull;
  switch (typeof value) {
    case 'string':
      return str(value);
    case 'number':
      return float(value);
    case 'bigint':
      return int(value);
    case 'boolean':
      return bool(value);
  }
  if (Array.isArray(value)) return arr(value.map(anyValue));
  return goMap(value as Record<string, unknown>, anyValue);
}

function scalar(value: GoJson): string {
  switch (value.kind) {
    case 'string':
      return goJsonString(value.value);
    case 'float':
      return goJsonFloat(value.value);
    case 'int':
      return typeof value.value === 'bigint' ? value.value.toString() : String(Math.trunc(value.value));
    case 'bool':
      return value.value ? 'true' : 'false';
    default:
      return 'null';
  }
}

/** json.MarshalIndent(v, "", indent) */
export function marshalIndent(value: GoJson, indent = '  '): string {
  const out: string[] = [];
  const write = (v: GoJson, depth: number): void => {
    if (v.kind === 'object') {
      if (v.entries.length === 0) {
        out.push('{}');
        return;
      }
      out.push('{');
      v.entries.forEach(([key, child], i) => {
        out.push(i === 0 ? '\n' : ',\n', indent.repeat(depth + 1), goJsonString(key), ': ');
        write(child, depth + 1);
      });
      out.push('\n', indent.repeat(depth), '}');
      return;
    }
    if (v.kind === 'array') {
      if (v.items.length === 0) {
        out.push('[]');
        return;
      }
      out.push('[');
      v.items.forEach((child, i) => {
        out.push(i === 0 ? '\n' : ',\n', indent.repeat(depth + 1));
        write(child, depth + 1);
      });
      out.push('\n', indent.repeat(depth), ']');
      return;
    }
    out.push(scalar(v));
  };
  write(value, 0);
  return out.join('');
}

/** json.Marshal (compact). */
export function marshal(value: GoJson): string {
  if (value.kind === 'object') {
    return `{${value.entries.map(([k, v]) => `${goJsonString(k)}:${marshal(v)}`).join(',')}}`;
  }
  if (value.kind === 'array') return `[${value.items.map(marshal).join(',')}]`;
  return scalar(value);
}
