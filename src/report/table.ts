/**
 * The report for people (like `trivy image --format table`): a summary of targets, then per target with
 * findings a header, the totals by severity, and one row per vulnerability: Library, Vulnerability,
 * Severity, Status, Installed Version, Fixed Version, Title (the first twelve words, then the primary URL).
 * Colours only when asked for (a terminal); otherwise plain text.
 */
import { SEVERITIES } from '../vulndb/index.js';
import { renderBoxTable } from './box-table.js';
import type { Report, Result } from './model.js';

export interface TableOptions {
  /** The severities the scan asked for (totals list exactly these); default all. */
  severities?: readonly string[];
  /** ANSI colours and underlined headers, for a terminal. Default false. */
  color?: boolean;
}

const SEVERITY_COLOURS: Readonly<Record<string, string>> = {
  UNKNOWN: '36',
  LOW: '34',
  MEDIUM: '33',
  HIGH: '91',
  CRITICAL: '31',
};

function paint(code: string, text: string, color: boolean): string {
  return color ? `\u001b[${code}m${text}\u001b[0m` : text;
}

const JAR_EXTENSIONS = ['.jar', '.war', '.par', '.ear'];

/** The outermost archive of a path inside nested Java archives; other paths unchanged. */
function rootJar(path: string): string {
  const parts = path.split('/');
  const i = parts.findIndex((p) => {
    const dot = p.lastIndexOf('.');
    return dot >= 0 && JAR_EXTENSIONS.includes(p.slice(dot));
  });
  return i < 0 ? path : parts.slice(0, i + 1).join('/');
}

function baseName(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1) || '/';
}

function title(text: string): string {
  const words = text.split(' ');
  return words.length >= 12 ? `${words.slice(0, 12).join(' ')}...` : text;
}

/** "Total: 3 (UNKNOWN: 0, LOW: 1, …)" over the requested severities, in severity order. */
export function severityTotals(result: Result, severities: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const v of result.Vulnerabilities ?? [])
    counts.set(v.Severity ?? '', (counts.get(v.Severity ?? '') ?? 0) + 1);
  let total = 0;
  const parts: string[] = [];
  for (const severity of SEVERITIES) {
    if (!severities.includes(severity)) continue;
    const count = counts.get(severity) ?? 0;
    total += count;
    parts.push(`${severity}: ${count}`);
  }
  return `Total: ${total} (${parts.join(', ')})`;
}

function targetHeader(text: string, color: boolean): string {
  if (color) return `\n\u001b[4m\u001b[1m${text}\u001b[0m\n\n`;
  return `\n${text}\n${'='.repeat(Buffer.byteLength(text, 'utf8'))}\n`;
}

function vulnerabilityTable(result: Result, options: Required<TableOptions>): string {
  const rows = (result.Vulnerabilities ?? []).map((v) => {
    const library = v.PkgPath ? `${v.PkgName ?? ''} (${baseName(rootJar(v.PkgPath))})` : (v.PkgName ?? '');
    let text = title(v.Title || v.Description || '');
    if (v.PrimaryURL) text = `${text}\n${paint('34', v.PrimaryURL, options.color)}`;
    const severity = v.Severity ?? '';
    return [
      library,
      v.VulnerabilityID,
      paint(SEVERITY_COLOURS[severity] ?? '0', severity, options.color),
      v.Status ?? 'unknown',
      v.InstalledVersion ?? '',
      v.FixedVersion ?? '',
      text.trim(),
    ];
  });
  return renderBoxTable({
    headers: [
      'Library',
      'Vulnerability',
      'Severity',
      'Status',
      'Installed Version',
      'Fixed Version',
      'Title',
    ],
    rows,
    autoMerge: true,
    styleLine: options.color ? (t) => `\u001b[2m${t}\u001b[0m` : undefined,
  });
}

function isVulnerabilityResult(result: Result): boolean {
  return result.Class === 'os-pkgs' || result.Class === 'lang-pkgs';
}

function summary(report: Report, color: boolean): string {
  const results = report.Results ?? [];
  const rows = results.map((r) => [
    r.Target,
    r.Type ?? '',
    isVulnerabilityResult(r) ? String(r.Vulnerabilities?.length ?? 0) : '-',
  ]);
  const heading = color ? '\n\u001b[4m\u001b[1mReport Summary\u001b[0m\n\n' : '\nReport Summary\n\n';
  const table = renderBoxTable({
    headers: ['Target', 'Type', 'Vulnerabilities'],
    rows: rows.length > 0 ? rows : [['-', '-', '-']],
    alignments: [rows.length > 0 ? 'left' : 'center', 'center', 'center'],
  });
  return `${heading}${table}Legend:\n- '-': Not scanned\n- '0': Clean (no security findings detected)\n\n`;
}

/** Pass the filtered report. */
export function renderTable(report: Report, options: TableOptions = {}): string {
  const opts: Required<TableOptions> = {
    severities: options.severities ?? SEVERITIES,
    color: options.color ?? false,
  };
  let out = summary(report, opts.color);
  for (const result of report.Results ?? []) {
    if (!isVulnerabilityResult(result) || (result.Vulnerabilities?.length ?? 0) === 0) continue;
    const target = result.Class === 'lang-pkgs' ? `${result.Target} (${result.Type ?? ''})` : result.Target;
    out += targetHeader(target, opts.color);
    out += `${severityTotals(result, opts.severities)}\n\n`;
    out += vulnerabilityTable(result, opts);
  }
  return out;
}
