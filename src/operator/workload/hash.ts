// ComputeHash in Trivy Operator's shape (§1.2): FNV-32a, the uint32 in decimal, each byte mapped through
// k8s SafeEncodeString's alphabet. Go hashes a spew dump of the struct, which TypeScript cannot reproduce, so
// we hash a canonical JSON instead: the values differ from Trivy Operator's (one full re-scan after switching,
// accepted), but they are stable across key order, processes and restarts.
import type { PodSpec } from './types.js';

/** k8s.io/apimachinery/pkg/util/rand: no vowels (no words) and no look-alikes (0/o, 1/l, 3/e). */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

const FNV32_OFFSET = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;

export function fnv32a(bytes: Uint8Array): number {
  let hash = FNV32_OFFSET;
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, FNV32_PRIME) >>> 0;
  }
  return hash >>> 0;
}

/** SafeEncodeString: byte i → alphabet[byte % 27]. Only ever given ASCII digits here. */
export function safeEncodeString(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) out += SAFE_ALPHABET[byte % SAFE_ALPHABET.length];
  return out;
}

/**
 * JSON with object keys sorted (by UTF-16 code unit, as Array.sort does) and undefined members left out,
 * so two objects that are equal as JSON hash alike whatever order their keys arrived in. Arrays keep their
 * order (it is meaningful in a pod spec); undefined in an array becomes null, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  const out = canonical(value, new Set());
  return out === undefined ? 'null' : out;
}

function canonical(value: unknown, seen: Set<object>): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'bigint':
      throw new TypeError('canonicalJson: a bigint has no JSON form; convert it to a string or number first');
  }
  const object = value as { toJSON?: () => unknown };
  if (typeof object.toJSON === 'function') return canonical(object.toJSON(), seen);
  if (seen.has(object)) throw new TypeError('canonicalJson: the value contains a cycle');
  seen.add(object);
  try {
    if (Array.isArray(object)) return `[${object.map((item) => canonical(item, seen) ?? 'null').join(',')}]`;
    const members: string[] = [];
    for (const key of Object.keys(object).sort()) {
      const member = canonical((object as Record<string, unknown>)[key], seen);
      if (member !== undefined) members.push(`${JSON.stringify(key)}:${member}`);
    }
    return `{${members.join(',')}}`;
  } finally {
    seen.delete(object);
  }
}

/** Trivy Operator's ComputeHash shape over any JSON-like value: short, lower-case, label-safe. */
export function computeHash(value: unknown): string {
  return safeEncodeString(String(fnv32a(Buffer.from(canonicalJson(value), 'utf8'))));
}

/** The `resource-spec-hash` of a workload: computeHash of its pod template's spec (not its metadata). */
export function specHash(podSpec: PodSpec): string {
  return computeHash(podSpec);
}
