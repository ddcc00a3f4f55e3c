/**
 * A JSON reader that remembers, for every object, the lines it starts and ends on (1-based), as Trivy's
 * xjson.Location does for composer and .NET packages. Values are plain JSON; positions live in a WeakMap.
 */
export interface LineSpan {
  StartLine: number;
  EndLine: number;
}

export interface JsonWithLines {
  value: unknown;
  spanOf(object: object): LineSpan | undefined;
}

export function parseJsonWithLines(text: string): JsonWithLines {
  const spans = new WeakMap<object, LineSpan>();
  let at = 0;
  let line = 1;

  const fail = (what: string): never => {
    throw new SyntaxError(`JSON: ${what} at line ${line}`);
  };
  const skipSpace = () => {
    while (at < text.length) {
      const ch = text[at];
      if (ch === '\n') line++;
      else if (ch !== ' ' && ch !== '\t' && ch !== '\r') break;
      at++;
    }
  };
  const parseString = (): string => {
    const start = at;
    at++;
    while (at < text.length && text[at] !== '"') {
      if (text[at] === '\\') at++;
      else if (text[at] === '\n') fail('newline in string');
      at++;
    }
    if (at >= text.length) fail('unterminated string');
    at++;
    return JSON.parse(text.slice(start, at)) as string;
  };
  const parseValue = (): unknown => {
    skipSpace();
    const ch = text[at];
    if (ch === '{') {
      const startLine = line;
      const object: Record<string, unknown> = {};
      at++;
      skipSpace();
      if (text[at] === '}') at++;
      else {
        for (;;) {
          skipSpace();
          if (text[at] !== '"') fail('expected a key');
          const key = parseString();
          skipSpace();
          if (text[at] !== ':') fail('expected ":"');
          at++;
          object[key] = parseValue();
          skipSpace();
          if (text[at] === ',') {
            at++;
            continue;
          }
          if (text[at] === '}') {
            at++;
            break;
          }
          fail('expected "," or "}"');
        }
      }
      spans.set(object, { StartLine: startLine, EndLine: line });
      return object;
    }
    if (ch === '[') {
      const array: unknown[] = [];
      at++;
      skipSpace();
      if (text[at] === ']') {
        at++;
        return array;
      }
      for (;;) {
        array.push(parseValue());
        skipSpace();
        if (text[at] === ',') {
          at++;
          continue;
        }
        if (text[at] === ']') {
          at++;
          return array;
        }
        fail('expected "," or "]"');
      }
    }
    if (ch === '"') return parseString();
    const literal = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(
      text.slice(at, at + 64),
    );
    if (!literal) return fail('unexpected character');
    at += literal[0].length;
    return JSON.parse(literal[0]);
  };

  const value = parseValue();
  skipSpace();
  if (at < text.length) fail('trailing data');
  return { value, spanOf: (object) => spans.get(object) };
}
