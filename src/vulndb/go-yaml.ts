// Decodes YAML into untyped values the way github.com/goccy/go-yaml (the YAML library of Trivy's
// fixture loader) decodes into interface{}: YAML 1.2 keywords only (yes/on stay strings), integers with
// underscores, 0x/0o/0b prefixes and C-style leading-zero octal, floats only when the scalar has a dot
// ("1e3" is a string), out-of-range numbers as strings, and timestamps left as strings.
import { type Document, isAlias, isMap, isScalar, isSeq, parseDocument, type Scalar } from 'yaml';
import type { GoValue } from './go-json.js';

export class GoYamlError extends Error {
  override name = 'GoYamlError';
}

/** Parses a single YAML document into Go-typed values (bigint for integers, number for floats). */
export function parseGoYaml(text: string): GoValue {
  // The failsafe schema leaves every scalar a string, so that resolution below is entirely ours.
  const doc = parseDocument(text, { schema: 'failsafe', uniqueKeys: false });
  const first = doc.errors[0];
  if (first !== undefined) throw new GoYamlError(first.message);
  return toGo(doc.contents, doc, 0);
}

const MAX_ALIAS_DEPTH = 64;

function toGo(node: unknown, doc: Document, depth: number): GoValue {
  if (node === null || node === undefined) return null;
  if (depth > MAX_ALIAS_DEPTH * 4) throw new GoYamlError('YAML nesting (or alias chain) is too deep');
  if (isAlias(node)) return toGo(node.resolve(doc), doc, depth + 1);
  if (isSeq(node)) return node.items.map((item) => toGo(item, doc, depth + 1));
  if (isMap(node)) {
    const out: Record<string, GoValue> = Object.create(null);
    const merges: GoValue[] = [];
    for (const pair of node.items) {
      const key = keyString(pair.key, doc);
      if (key === '<<' && isScalar(pair.key) && pair.key.type === 'PLAIN') {
        merges.push(toGo(pair.value, doc, depth + 1));
        continue;
      }
      out[key] = toGo(pair.value, doc, depth + 1);
    }
    // Merge keys fill in what the mapping itself does not set.
    for (const merged of merges.flat()) {
      if (merged === null || typeof merged !== 'object' || Array.isArray(merged)) continue;
      for (const [k, v] of Object.entries(merged)) if (!(k in out)) out[k] = v;
    }
    return out;
  }
  if (isScalar(node)) return resolveScalar(node);
  throw new GoYamlError('unsupported YAML node');
}

function keyString(key: unknown, doc: Document): string {
  if (key === null || key === undefined) return '';
  if (isAlias(key)) return keyString(key.resolve(doc), doc);
  if (isScalar(key)) return String(key.value ?? '');
  throw new GoYamlError('a mapping key must be a scalar');
}

const NULLS = new Set(['null', 'Null', 'NULL', '~']);
const TRUES = new Set(['true', 'True', 'TRUE']);
const FALSES = new Set(['false', 'False', 'FALSE']);
const INFINITIES = new Map([
  ['.inf', Number.POSITIVE_INFINITY],
  ['.Inf', Number.POSITIVE_INFINITY],
  ['.INF', Number.POSITIVE_INFINITY],
  ['-.inf', Number.NEGATIVE_INFINITY],
  ['-.Inf', Number.NEGATIVE_INFINITY],
  ['-.INF', Number.NEGATIVE_INFINITY],
]);
const NANS = new Set(['.nan', '.NaN', '.NAN']);

function resolveScalar(node: Scalar): GoValue {
  const text = String(node.value ?? '');
  // Quoted and block scalars, and explicit !!str, are always strings.
  if (node.type !== 'PLAIN' || node.tag === 'tag:yaml.org,2002:str') return text;
  if (text === '' || NULLS.has(text)) return null;
  if (TRUES.has(text)) return true;
  if (FALSES.has(text)) return false;
  const inf = INFINITIES.get(text);
  if (inf !== undefined) return inf;
  if (NANS.has(text)) return Number.NaN;
  return goNumber(text) ?? text;
}

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;
const DIGITS: Record<number, RegExp> = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ };
const FLOAT = /^-?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$/;

/** The number a plain scalar denotes for goccy/go-yaml, or undefined when it stays a string. */
export function goNumber(text: string): bigint | number | undefined {
  if (text === '' || text.startsWith('_')) return undefined;
  const dots = text.split('.').length - 1;
  if (dots > 1) return undefined;
  const negative = text.startsWith('-');
  let body = text.startsWith('+') ? text.slice(1) : text;
  if (body.startsWith('-')) body = body.slice(1);
  body = body.replaceAll('_', '');

  let base: number;
  if (body.startsWith('0x')) [base, body] = [16, body.slice(2)];
  else if (body.startsWith('0o')) [base, body] = [8, body.slice(2)];
  else if (body.startsWith('0b')) [base, body] = [2, body.slice(2)];
  else if (body.startsWith('0') && body.length > 1 && dots === 0) base = 8;
  else if (dots === 1) {
    const literal = (negative ? '-' : '') + body;
    if (!FLOAT.test(literal)) return undefined;
    const value = Number(literal);
    return Number.isFinite(value) ? value : undefined; // out of float64 range stays a string
  } else base = 10;

  if (!DIGITS[base]!.test(body)) return undefined;
  const prefix = base === 16 ? '0x' : base === 8 ? '0o' : base === 2 ? '0b' : '';
  const magnitude = BigInt(prefix + body);
  const value = negative ? -magnitude : magnitude;
  if (negative ? value < INT64_MIN : value > UINT64_MAX) return undefined;
  return value;
}
