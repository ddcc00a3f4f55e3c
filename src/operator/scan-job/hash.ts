// Short, name-safe hashes for Job names and `…name-hash` labels, in Trivy Operator's style (FNV-32a in decimal
// through SafeEncodeString — the workload module's hash), and the label-value rule the report names use.
import { fnv32a, safeEncodeString } from '../workload/hash.js';

export { isValidLabelValue } from '../report/labels.js';

/** FNV-32a of text's UTF-8 bytes, printed in decimal and mapped through SafeEncodeString. */
export function shortHash(text: string): string {
  return safeEncodeString(String(fnv32a(Buffer.from(text, 'utf8'))));
}
