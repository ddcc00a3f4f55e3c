/**
 * Go's time.ParseDuration and Duration.String for flags like --timeout ("5m0s", "90s", "1h30m", "250ms"),
 * so a Trivy command line means the same here.
 */
const UNITS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Milliseconds; throws on text Go would reject. */
export function parseGoDuration(text: string): number {
  const bad = () => new Error(`invalid duration ${JSON.stringify(text)} (examples: 5m0s, 90s, 1h30m)`);
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw bad();
  let total = 0;
  const part = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  while (rest !== '') {
    const match = part.exec(rest);
    if (!match) throw bad();
    total += Number(match[1]) * (UNITS[match[2] ?? ''] ?? 0);
    rest = rest.slice(match[0].length);
  }
  return sign * total;
}

/** Duration.String for whole milliseconds: "5m0s", "1h0m0s", "1.5s", "250ms". */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${rest}ms`;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = `${Number((rest / 1000).toFixed(3))}s`;
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}`;
  return `${sign}${seconds}`;
}
