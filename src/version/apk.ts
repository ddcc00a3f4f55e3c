/**
 * Alpine package versions, ordered as apk-tools orders them (src/version.c). Trivy reads them with
 * knqyf263/go-apk-version (pinned by Trivy at commit 041fdbb8563f) for Alpine, Wolfi and Chainguard.
 *
 * A version is a sequence of tokens: numbers separated by dots, at most one lower-case letter right after a
 * number, suffixes `_alpha`, `_beta`, `_pre`, `_rc` (before the release) and `_cvs`, `_svn`, `_git`, `_hg`,
 * `_p` (after it), each with an optional number, and finally `-rN`. A number after a dot that has leading
 * zeros is compared as a fraction (1.01 < 1.1); a quirk of that rule, shared by apk-tools and go-apk-version,
 * is that a zero component followed by a suffix sorts after the bare version (1.0_rc1 > 1.0, 1.2_rc1 < 1.2).
 * Like apk-tools, comparison also works on strings that break these rules (it compares up to the first bad
 * token); `validate` rejects them. Where go-apk-version departs from apk-tools (any character after `-` is
 * taken as the `r`; a suffix cut off by the end, as in `1_`, is lower than anything), Vigil follows
 * go-apk-version so that it finds what Trivy finds.
 */
import { invalidVersion } from './errors.js';
import { isAsciiDigit } from './numeric.js';
import { satisfiesRelational } from './relational.js';
import { type Ordering, type VersionScheme, validatorsFrom } from './types.js';

const SCHEME = 'apk';

// Token kinds, in apk-tools' order: the order matters, a version may only move to a later kind (with the
// few exceptions in `nextKind`), and at the end the kinds themselves are compared.
const INVALID = -1;
const DIGIT_OR_ZERO = 0;
const DIGIT = 1;
const LETTER = 2;
const SUFFIX = 3;
const SUFFIX_NO = 4;
const REVISION_NO = 5;
const END = 6;

const PRE_SUFFIXES = ['alpha', 'beta', 'pre', 'rc'];
const POST_SUFFIXES = ['cvs', 'svn', 'git', 'hg', 'p'];

function isLower(code: number): boolean {
  return code >= 97 && code <= 122;
}

/** A cursor over one version string: `kind` is the kind of the token that starts at `pos`. */
interface Cursor {
  readonly text: string;
  pos: number;
  kind: number;
}

/** Decides the kind of the next token after one of kind `cursor.kind`, consuming its separator. */
function advanceKind(cursor: Cursor): void {
  const { text } = cursor;
  const previous = cursor.kind;
  let next = INVALID;
  const code = text.charCodeAt(cursor.pos);
  if (cursor.pos >= text.length) {
    next = END;
  } else if ((previous === DIGIT || previous === DIGIT_OR_ZERO) && isLower(code)) {
    next = LETTER;
  } else if (previous === LETTER && isAsciiDigit(code)) {
    next = DIGIT;
  } else if (previous === SUFFIX && isAsciiDigit(code)) {
    next = SUFFIX_NO;
  } else {
    const ch = text.charAt(cursor.pos);
    if (ch === '.') next = DIGIT_OR_ZERO;
    else if (ch === '_') next = SUFFIX;
    // apk-tools wants "-r"; go-apk-version takes any character after the hyphen as the "r".
    else if (ch === '-' && cursor.pos + 1 < text.length) {
      next = REVISION_NO;
      cursor.pos++;
    }
    cursor.pos++;
  }
  if (next < previous) {
    const allowed =
      (next === DIGIT_OR_ZERO && previous === DIGIT) ||
      (next === SUFFIX && previous === SUFFIX_NO) ||
      (next === DIGIT && previous === LETTER);
    if (!allowed) next = INVALID;
  }
  cursor.kind = next;
}

/** Reads the value of the token at the cursor and moves to the next one. */
function takeToken(cursor: Cursor): bigint {
  const { text } = cursor;
  if (cursor.pos >= text.length) {
    // go-apk-version reads a suffix that is cut off by the end ("1_") as an invalid one, lower than any
    // value (apk-tools would read it as 0).
    if (cursor.kind === SUFFIX) {
      cursor.kind = INVALID;
      return -1n;
    }
    cursor.kind = END;
    return 0n;
  }
  let value = 0n;
  let length = 0;
  let forcedNext = INVALID;
  const kind = cursor.kind;
  if (kind === DIGIT_OR_ZERO && text.charAt(cursor.pos) === '0') {
    while (cursor.pos + length < text.length && text.charAt(cursor.pos + length) === '0') length++;
    // Leading zeros make the number a fraction: each zero lowers it below every plain number.
    value = BigInt(-length);
    forcedNext = DIGIT;
  } else {
    switch (kind) {
      case DIGIT_OR_ZERO:
      case DIGIT:
      case SUFFIX_NO:
      case REVISION_NO:
        while (cursor.pos + length < text.length && isAsciiDigit(text.charCodeAt(cursor.pos + length)))
          length++;
        value = length === 0 ? 0n : BigInt(text.slice(cursor.pos, cursor.pos + length));
        break;
      case LETTER:
        value = BigInt(text.charCodeAt(cursor.pos));
        length = 1;
        break;
      case SUFFIX: {
        const rest = text.slice(cursor.pos);
        const pre = PRE_SUFFIXES.findIndex((s) => rest.startsWith(s));
        if (pre >= 0) {
          value = BigInt(pre - PRE_SUFFIXES.length);
          length = PRE_SUFFIXES[pre]!.length;
          break;
        }
        const post = POST_SUFFIXES.findIndex((s) => rest.startsWith(s));
        if (post >= 0) {
          value = BigInt(post);
          length = POST_SUFFIXES[post]!.length;
          break;
        }
        cursor.kind = INVALID;
        return -1n;
      }
      default:
        cursor.kind = INVALID;
        return -1n;
    }
  }
  cursor.pos += length;
  if (cursor.pos >= text.length) cursor.kind = END;
  else if (forcedNext !== INVALID) cursor.kind = forcedNext;
  else advanceKind(cursor);
  return value;
}

export function parseApk(input: string): string {
  if (input === '') throw invalidVersion(SCHEME, input, 'it is empty');
  const cursor: Cursor = { text: input, pos: 0, kind: DIGIT };
  while (cursor.kind !== END && cursor.kind !== INVALID) takeToken(cursor);
  if (cursor.kind === INVALID) {
    throw invalidVersion(
      SCHEME,
      input,
      `unexpected text at offset ${Math.min(cursor.pos, input.length)} (expected numbers, one letter, _suffix or -rN)`,
    );
  }
  return input;
}

/** apk-tools' comparison; like apk it does not reject malformed input but compares up to the bad token. */
export function compareApk(a: string, b: string): Ordering {
  const ca: Cursor = { text: a, pos: 0, kind: DIGIT };
  const cb: Cursor = { text: b, pos: 0, kind: DIGIT };
  let va = 0n;
  let vb = 0n;
  while (ca.kind === cb.kind && ca.kind !== END && ca.kind !== INVALID && va === vb) {
    va = takeToken(ca);
    vb = takeToken(cb);
  }
  if (va < vb) return -1;
  if (va > vb) return 1;
  if (ca.kind === cb.kind) return 0;
  // Same tokens so far: the longer version is newer, unless what follows is a pre-release suffix.
  if (ca.kind === SUFFIX && takeToken({ ...ca }) < 0n) return -1;
  if (cb.kind === SUFFIX && takeToken({ ...cb }) < 0n) return 1;
  if (ca.kind > cb.kind) return -1;
  if (cb.kind > ca.kind) return 1;
  return 0;
}

/** Constraint syntax: Vigil's relational syntax (see relational.ts). */
export function satisfiesApk(version: string, constraint: string): boolean {
  return satisfiesRelational(SCHEME, version, constraint, (x, y) => {
    parseApk(x);
    parseApk(y);
    return compareApk(x, y);
  });
}

export const apkScheme: VersionScheme = Object.freeze({
  name: SCHEME,
  ...validatorsFrom(parseApk),
  compare: compareApk,
  satisfies: satisfiesApk,
});
