/**
 * Licence strings split as Trivy's licensing.SplitLicenses does for metadata fields: on `,` and on ` or ` /
 * ` and ` outside parentheses, each part trimmed. Classifying licence files is out of scope (Trivy needs its
 * classifier for that); such references are kept as Trivy keeps them until classification.
 */
export function splitLicenses(value: string): string[] {
  if (value.trim() === '') return [];
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  const flush = () => {
    const trimmed = current.trim();
    if (trimmed !== '') parts.push(trimmed);
    current = '';
  };
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (ch === '(') depth++;
    if (ch === ')') depth = Math.max(0, depth - 1);
    if (depth === 0) {
      if (ch === ',') {
        flush();
        continue;
      }
      const rest = value.slice(i).toLowerCase();
      if (rest.startsWith(' or ') || rest.startsWith(' and ')) {
        flush();
        i += rest.startsWith(' or ') ? 3 : 4;
        continue;
      }
    }
    current += ch;
  }
  flush();
  return parts;
}
