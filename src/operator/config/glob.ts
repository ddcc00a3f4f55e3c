/**
 * Go's path/filepath.Match on Linux, which Trivy Operator uses for OPERATOR_EXCLUDE_NAMESPACES and
 * scanJob.excludeImages: `*` (any run of characters except `/`), `?` (one character except `/`),
 * `[...]` / `[^...]` classes with ranges, and `\` escapes. Characters are Unicode code points, as Go's runes.
 * A malformed pattern is an error, whatever the value (Go validates the whole pattern too).
 */

export class GlobPatternError extends Error {
  constructor(pattern: string, problem: string) {
    super(`bad glob pattern ${JSON.stringify(pattern)}: ${problem}`);
    this.name = 'GlobPatternError';
  }
}

type Token =
  | { kind: 'star' }
  | { kind: 'any' }
  | { kind: 'char'; cp: number }
  | { kind: 'class'; negate: boolean; ranges: Array<[number, number]> };

const SEPARATOR = 0x2f; // '/'

function compile(pattern: string): Token[] {
  const cps = Array.from(pattern, (c) => c.codePointAt(0)!);
  const tokens: Token[] = [];
  const fail = (problem: string): never => {
    throw new GlobPatternError(pattern, problem);
  };
  let i = 0;
  // One class member: a plain character or an escaped one; `-` and `]` must be escaped here (Go's getEsc).
  const classChar = (): number => {
    const c = cps[i];
    if (c === undefined) return fail('unterminated character class');
    if (c === 0x2d || c === 0x5d) return fail(`unescaped ${String.fromCodePoint(c)} in a character class`);
    if (c === 0x5c) {
      i++;
      const escaped = cps[i];
      if (escaped === undefined) return fail('trailing backslash');
      i++;
      return escaped;
    }
    i++;
    return c;
  };
  while (i < cps.length) {
    const c = cps[i]!;
    if (c === 0x2a) {
      tokens.push({ kind: 'star' });
      i++;
    } else if (c === 0x3f) {
      tokens.push({ kind: 'any' });
      i++;
    } else if (c === 0x5c) {
      const escaped = cps[i + 1];
      if (escaped === undefined) fail('trailing backslash');
      tokens.push({ kind: 'char', cp: escaped! });
      i += 2;
    } else if (c === 0x5b) {
      i++;
      let negate = false;
      if (cps[i] === 0x5e) {
        negate = true;
        i++;
      }
      const ranges: Array<[number, number]> = [];
      for (;;) {
        if (cps[i] === 0x5d && ranges.length > 0) {
          i++;
          break;
        }
        const lo = classChar();
        let hi = lo;
        if (cps[i] === 0x2d) {
          i++;
          hi = classChar();
        }
        if (hi < lo) fail('character range out of order');
        ranges.push([lo, hi]);
      }
      tokens.push({ kind: 'class', negate, ranges });
    } else {
      tokens.push({ kind: 'char', cp: c });
      i++;
    }
  }
  return tokens;
}

function matchOne(token: Token, cp: number): boolean {
  switch (token.kind) {
    case 'any':
      return cp !== SEPARATOR;
    case 'char':
      return cp === token.cp;
    case 'class': {
      const inside = token.ranges.some(([lo, hi]) => cp >= lo && cp <= hi);
      return inside !== token.negate;
    }
    case 'star':
      return false;
  }
}

/** Throws GlobPatternError when Go's filepath.Match would return ErrBadPattern. */
export function validateGlob(pattern: string): void {
  compile(pattern);
}

/** True when value matches pattern as Go's filepath.Match decides; throws GlobPatternError on a bad pattern. */
export function matchGlob(pattern: string, value: string): boolean {
  const tokens = compile(pattern);
  const text = Array.from(value, (c) => c.codePointAt(0)!);
  // reachable[j]: the tokens consumed so far can match text[0..j). Patterns and values are short.
  let reachable = new Array<boolean>(text.length + 1).fill(false);
  reachable[0] = true;
  for (const token of tokens) {
    const next = new Array<boolean>(text.length + 1).fill(false);
    if (token.kind === 'star') {
      for (let j = 0; j <= text.length; j++) {
        if (reachable[j]) next[j] = true;
        else if (j > 0 && next[j - 1] && text[j - 1] !== SEPARATOR) next[j] = true;
      }
    } else {
      for (let j = 0; j < text.length; j++) if (reachable[j] && matchOne(token, text[j]!)) next[j + 1] = true;
    }
    reachable = next;
  }
  return reachable[text.length] === true;
}
