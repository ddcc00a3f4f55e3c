/**
 * The constraint grammar shared by Trivy's language matchers (go-version, go-npm-version,
 * go-pep440-version, go-gem-version, go-mvn-version): the text between `||` must consist of
 * `operator version` comparators, each optionally followed by a comma, with whitespace anywhere between
 * tokens; the comparators are then picked out left to right, each taking the first operator and the first
 * version spelling that fits (Go's leftmost-first regexp matching, which JavaScript's regexps share).
 *
 * The two steps can disagree, and the libraries keep both: the check accepts a text if *some* split into
 * comparators exists ("1.0alpha1" can be read whole), while the picking takes the first fitting spelling
 * ("1.0a", then "1" from what remains). Mirroring both keeps Vigil's matches identical to Trivy's, even for
 * such spellings. The check here is a dynamic programme over positions rather than a backtracking regexp,
 * so that no input can make it run for long.
 */
const WS = '[ \\t\\n\\f\\r]*';

export interface ComparatorGrammar {
  /** Operator spellings, including "" for a bare version. */
  readonly operators: readonly string[];
  /** Regexp source of one version (without anchors). */
  readonly version: string;
  /** Regexp flags for the version, e.g. "i". */
  readonly flags?: string;
}

export interface Picked {
  readonly operator: string;
  readonly version: string;
}

function escapeRegExp(s: string): string {
  return s.replace(/[\^$\\.*+?()[\]{}|]/g, '\\$&');
}

/** Compiled forms of a grammar, built once per module. */
export interface CompiledGrammar {
  readonly grammar: ComparatorGrammar;
  readonly exactVersion: RegExp;
  readonly picker: RegExp;
}

export function compileGrammar(grammar: ComparatorGrammar): CompiledGrammar {
  const flags = grammar.flags ?? '';
  // Longest operators first; only one operator can ever be followed by a version at a given position.
  const operators = [...grammar.operators].sort((a, b) => b.length - a.length).map(escapeRegExp);
  return {
    grammar,
    exactVersion: new RegExp(`^(?:${grammar.version})$`, flags),
    picker: new RegExp(`(${operators.join('|')})${WS}(${grammar.version})`, `${flags}g`),
  };
}

const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\f' || c === '\r';

/** Whether `text` splits into comparators at all (the libraries' validation). */
export function isWellFormed(compiled: CompiledGrammar, text: string): boolean {
  const { grammar, exactVersion } = compiled;
  const n = text.length;
  const skip = (i: number) => {
    let j = i;
    while (j < n && isSpace(text.charAt(j))) j++;
    return j;
  };
  const reachable = new Uint8Array(n + 1);
  const seen = new Uint8Array(n + 1);
  reachable[skip(0)] = 1;
  for (let i = 0; i <= n; i++) {
    if (reachable[i] !== 1 || seen[i] === 1) continue;
    seen[i] = 1;
    if (skip(i) === n) return true;
    for (const op of grammar.operators) {
      if (!text.startsWith(op, i)) continue;
      const start = skip(i + op.length);
      // No grammar's version contains whitespace or a comma, which bounds the candidates.
      for (
        let end = start + 1;
        end <= n && !isSpace(text.charAt(end - 1)) && text.charAt(end - 1) !== ',';
        end++
      ) {
        if (!exactVersion.test(text.slice(start, end))) continue;
        const after = skip(end);
        reachable[skip(after)] = 1;
        if (text.charAt(after) === ',') reachable[skip(after + 1)] = 1;
      }
    }
  }
  return reachable[n] === 1 || skip(0) === n;
}

/** The comparators the libraries pick out of a well-formed text, left to right. */
export function pickComparators(compiled: CompiledGrammar, text: string): Picked[] {
  return [...text.matchAll(compiled.picker)].map((m) => ({ operator: m[1] ?? '', version: m[2] ?? '' }));
}
