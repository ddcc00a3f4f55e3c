/** Lines as Go's bufio.ScanLines yields them: split on `\n`, one trailing `\r` dropped, no final empty line. */
export function scanLines(content: Buffer | string): string[] {
  const text = typeof content === 'string' ? content : content.toString('utf8');
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}

/**
 * An RFC 822 header block as Go's textproto.ReadMIMEHeader reads it: `Key: value` lines up to the first blank
 * line, continuation lines (leading space or tab) joined with one space, keys case-insensitive. Values of
 * repeated keys are kept in order.
 */
export function parseMimeHeader(text: string): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  let key: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') break;
    if ((line.startsWith(' ') || line.startsWith('\t')) && key !== undefined) {
      const values = headers.get(key);
      if (values && values.length > 0) {
        const last = values.length - 1;
        values[last] = `${values[last]} ${line.trim()}`.trim();
      }
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      key = undefined;
      continue;
    }
    key = line.slice(0, colon).trim().toLowerCase();
    const values = headers.get(key) ?? [];
    values.push(line.slice(colon + 1).trim());
    headers.set(key, values);
  }
  return headers;
}

export function headerValue(headers: Map<string, string[]>, key: string): string {
  return headers.get(key.toLowerCase())?.[0] ?? '';
}
