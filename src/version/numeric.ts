import { type Ordering, sign } from './types.js';

/**
 * Orders two runs of ASCII digits by value without converting them, so runs longer than any machine
 * integer (dates, build numbers glued together) still compare the way dpkg and rpm compare them.
 * An empty run counts as zero.
 */
export function compareDigitRuns(a: string, b: string): Ordering {
  const x = stripLeadingZeros(a);
  const y = stripLeadingZeros(b);
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

function stripLeadingZeros(s: string): string {
  let i = 0;
  while (i < s.length && s.charCodeAt(i) === 48) i++;
  return s.slice(i);
}

export function isAsciiDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

export function isAsciiLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

export function compareBigInt(a: bigint, b: bigint): Ordering {
  return sign(a - b);
}

/** Lexicographic order of strings by UTF-16 code units, as Go's and C's byte order for ASCII input. */
export function compareStrings(a: string, b: string): Ordering {
  return a < b ? -1 : a > b ? 1 : 0;
}
