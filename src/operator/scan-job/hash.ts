// Short, name-safe hashes in Trivy Operator's style (FNV-32a, printed in decimal, then passed through
// apimachinery's SafeEncodeString). The values cannot equal Trivy Operator's (it hashes a Go struct dump), which
// only costs one re-scan after a switch; what matters is that they are stable and fit in names and labels.

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-1a, 32 bits, over the UTF-8 bytes of text. */
export function fnv32a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** apimachinery's rand.SafeEncodeString: each character mapped into an alphabet without vowels or 0/1/3. */
export function safeEncodeString(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) out += SAFE_ALPHABET[byte % SAFE_ALPHABET.length];
  return out;
}

/** The short hash used in Job names and `…name-hash` labels. */
export function shortHash(text: string): string {
  return safeEncodeString(String(fnv32a(text)));
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Whether text may be a label value (≤ 63 characters of the label charset), as IsValidLabelValue says. */
export function isValidLabelValue(text: string): boolean {
  return text.length <= 63 && LABEL_VALUE.test(text);
}
