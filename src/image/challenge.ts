// WWW-Authenticate challenges (RFC 7235): `Bearer realm="https://auth.example/token",service="reg",
// scope="repository:a/b:pull"`. Quoted values may contain commas (multi-action scopes), so this is a small
// tokenizer rather than a split on ",". A token followed by "=" is a parameter of the current challenge;
// any other token starts a new challenge.

export interface Challenge {
  /** Lowercased: "bearer", "basic", … */
  scheme: string;
  /** Parameter names lowercased; values unquoted. */
  params: Record<string, string>;
}

const TOKEN_CHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

export function parseChallenges(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let current: Challenge | undefined;
  let i = 0;
  const n = header.length;
  const skip = (chars: string) => {
    while (i < n && chars.includes(header[i] ?? '')) i++;
  };
  while (i < n) {
    skip(' \t,');
    const start = i;
    while (i < n && TOKEN_CHAR.test(header[i] ?? '')) i++;
    const token = header.slice(start, i);
    if (token === '') {
      i++; // a stray character: skip it rather than loop
      continue;
    }
    skip(' \t');
    if (header[i] !== '=') {
      current = { scheme: token.toLowerCase(), params: {} };
      challenges.push(current);
      continue;
    }
    i++; // '='
    skip(' \t');
    let value = '';
    if (header[i] === '"') {
      i++;
      while (i < n && header[i] !== '"') {
        if (header[i] === '\\' && i + 1 < n) i++;
        value += header[i];
        i++;
      }
      i++; // the closing quote
    } else {
      const valueStart = i;
      while (i < n && header[i] !== ',' && header[i] !== ' ' && header[i] !== '\t') i++;
      value = header.slice(valueStart, i);
    }
    if (current !== undefined) current.params[token.toLowerCase()] = value;
  }
  return challenges;
}

/** The challenge to answer: Bearer before Basic; other schemes (Negotiate, NTLM) are not for registries. */
export function pickChallenge(challenges: readonly Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
}
