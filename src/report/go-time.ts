/**
 * Times as Go's time.Time marshals them (RFC 3339 with nanoseconds, trailing zeros of the fraction dropped,
 * "Z" for a zero offset). Stored times pass through a Go time.Time in Trivy, so "…T00:00:00.000+00:00"
 * comes out as "…T00:00:00Z".
 */

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Normalises an RFC 3339 string; anything else is returned unchanged. */
export function goTime(text: string): string {
  const m = RFC3339.exec(text);
  if (m === null) return text;
  const [, date, time, fraction = '', zulu, sign, hh, mm] = m;
  const frac = fraction.slice(0, 9).replace(/0+$/, '');
  const zero = zulu !== undefined || (hh === '00' && mm === '00');
  const zone = zero ? 'Z' : `${sign}${hh}:${mm}`;
  return `${date}T${time}${frac ? `.${frac}` : ''}${zone}`;
}

/** A JavaScript Date in UTC the same way. */
export function goTimeOf(date: Date): string {
  return goTime(date.toISOString());
}
