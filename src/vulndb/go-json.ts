// Go's encoding/json and fmt.Sprint, for the values that end up in trivy-db files: trivy-db and Trivy's
// fixture loader write with json.Marshal, so byte-identical files need the same key order, escaping
// and number formatting.

/** A decoded YAML/JSON value with Go's distinction between integers (bigint) and floats (number). */
export type GoValue = null | boolean | bigint | number | string | GoValue[] | { [key: string]: GoValue };

/** json.Marshal: map keys sorted by bytes, HTML-safe escaping, Go number formatting. */
export function goJsonMarshal(value: GoValue | undefined): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'number':
      return goJsonFloat(value);
    case 'string':
      return goJsonString(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => goJsonMarshal(v)).join(',')}]`;
  const keys = Object.keys(value).sort(compareUtf8);
  return `{${keys.map((k) => `${goJsonString(k)}:${goJsonMarshal(value[k])}`).join(',')}}`;
}

/** Go sorts map keys as byte strings (UTF-8), which differs from JS's UTF-16 order above U+FFFF. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const htmlUnsafe = /[<>&\u2028\u2029]/g;

/**
 * JSON.stringify already escapes like Go (\b \f \n \r \t, \u00xx for other control characters); Go also
 * escapes <, >, & and the JavaScript line separators.
 */
export function goJsonString(s: string): string {
  return JSON.stringify(s).replace(htmlUnsafe, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** json.Marshal of a float64: shortest digits; exponent form below 1e-6 and from 1e21, like JS. */
export function goJsonFloat(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`json: unsupported value: ${n}`);
  if (Object.is(n, -0)) return '-0';
  return JSON.stringify(n);
}

/** fmt.Sprint of a scalar as bolt-fixtures stores it (bool, numbers, strings); nil becomes JSON null. */
export function goSprint(value: null | boolean | bigint | number | string): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return goFormatFloatV(value);
  return String(value);
}

/**
 * fmt's %v for float64: strconv 'g' with the shortest digits, which switches to exponent form when the
 * decimal exponent is below -4 or at least 6 (so 1e6 prints as "1e+06", 123456 as "123456"), with at
 * least two exponent digits.
 */
export function goFormatFloatV(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Number.POSITIVE_INFINITY) return '+Inf';
  if (n === Number.NEGATIVE_INFINITY) return '-Inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  // toExponential() without an argument gives the shortest digits that round-trip, like Go's -1 precision.
  const [mantissa = '', exponent = '0'] = n.toExponential().split('e');
  const exp = Number(exponent);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = negative ? '-' : '';
  if (exp < -4 || exp >= 6) {
    const frac = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const e = Math.abs(exp).toString().padStart(2, '0');
    return `${sign}${digits[0]}${frac}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}
