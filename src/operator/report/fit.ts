// ARCHITECTURE fixed decision 6: no report is too large to store. etcd refuses requests over ~1.5 MiB
// ("etcdserver: request is too large", Trivy Operator #441/#757), so a report whose JSON is larger than the
// limit is reduced: descriptions, then links, then CVSS details, then the lowest-severity vulnerabilities
// (UNKNOWN first, the last ones of a severity first) until it fits. The summary is not touched: it was counted
// over every finding before. The reduction is marked by an annotation and in status.message.
import type { Severity, Vulnerability } from '../../k8s/crds/index.js';
import { jsonBytes, jsonStringBytes, objectBytes } from './json-size.js';
import { VIGIL_REPORT_ANNOTATIONS } from './labels.js';
import type { ReportScanStatus, VigilVulnerabilityReport } from './object.js';

/** Under etcd's default 1.5 MiB request limit with room for the request's envelope. */
export const DEFAULT_MAX_REPORT_BYTES = 1_400_000;

/** Dropped first to last. */
const DROP_ORDER: readonly Severity[] = ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];

type Stage = 'descriptions' | 'links' | 'cvss';
const STAGES: readonly Stage[] = ['descriptions', 'links', 'cvss'];

/** The size the object has as JSON (what the API server is sent and, near enough, what etcd stores). */
export function reportBytes(report: VigilVulnerabilityReport): number {
  return Buffer.byteLength(JSON.stringify(report), 'utf8');
}

/**
 * Returns `report` unchanged when its JSON fits in `maxBytes`, else a reduced copy; the input is never
 * modified. Linear in the size of the findings, which are measured without being serialised (json-size.ts);
 * only the result is serialised, to check it. When even an empty vulnerability list does not fit (huge labels or
 * annotations), the copy with no vulnerabilities is returned: nothing else in the report is ours to drop.
 */
export function fitReport(
  report: VigilVulnerabilityReport,
  maxBytes: number = DEFAULT_MAX_REPORT_BYTES,
): VigilVulnerabilityReport {
  const vulns = report.report.vulnerabilities;
  const n = vulns.length;
  const sizes = new Float64Array(n);
  const savings: Record<Stage, Float64Array> = {
    descriptions: new Float64Array(n),
    links: new Float64Array(n),
    cvss: new Float64Array(n),
  };
  let listBytes = 2 + Math.max(0, n - 1);
  const keyCache = new Map<string, number>();
  let current = 0;
  // Every finding has more than one member (the required ones), so each member's share includes its comma.
  const member = (key: string, bytes: number) => {
    if (key === 'description') savings.descriptions[current] = bytes + 1;
    else if (key === 'cvss' || key === 'cvsssource')
      savings.cvss[current] = savings.cvss[current]! + bytes + 1;
    else if (key === 'links') savings.links[current] = bytes - (keyCache.get('links') ?? 0) - 2;
  };
  for (let i = 0; i < n; i++) {
    current = i;
    const total = objectBytes(vulns[i] as unknown as Record<string, unknown>, member, keyCache);
    sizes[i] = total;
    listBytes += total;
  }
  const shell = jsonBytes({ ...report, report: { ...report.report, vulnerabilities: [] } }) - 2;
  if (shell + listBytes <= maxBytes) return report;

  const stages = new Set<Stage>();
  for (const stage of STAGES) {
    if (shell + listBytes + markBytes(report, stages, n, false, maxBytes) <= maxBytes) break;
    const saved = savings[stage];
    let total = 0;
    for (let i = 0; i < n; i++) total += saved[i]!;
    if (total === 0) continue;
    stages.add(stage);
    for (let i = 0; i < n; i++) sizes[i] = sizes[i]! - saved[i]!;
    listBytes -= total;
  }

  // Which findings go: lowest severity first, within one severity from the end of Trivy's order.
  const order: number[] = [];
  for (const severity of DROP_ORDER) {
    for (let i = n - 1; i >= 0; i--) if (vulns[i]!.severity === severity) order.push(i);
  }
  const dropped = new Uint8Array(n);
  let next = 0;
  let limit = maxBytes - markBytes(report, stages, n, shell + listBytes > maxBytes, maxBytes);
  for (;;) {
    while (shell + listBytes > limit && next < order.length) {
      const i = order[next++]!;
      dropped[i] = 1;
      listBytes -= sizes[i]! + (listBytes > 2 + sizes[i]! ? 1 : 0);
    }
    const candidate = assemble(report, stages, dropped, maxBytes);
    const actual = reportBytes(candidate);
    // The estimate errs only on odd text (lone surrogates); then tighten by the overshoot and go again.
    if (actual <= maxBytes || next >= order.length) return candidate;
    limit -= actual - maxBytes;
  }
}

/** An upper bound of what the mark adds: the annotation and status.message with the widest counts. */
function markBytes(
  report: VigilVulnerabilityReport,
  stages: ReadonlySet<Stage>,
  total: number,
  withDrops: boolean,
  maxBytes: number,
): number {
  const widest = new Map<Severity, number>(withDrops ? DROP_ORDER.map((s) => [s, total]) : []);
  const { what, note } = describe(stages, withDrops ? total : 0, widest, total, maxBytes);
  const status = report.status?.message;
  const message = status ? `${status}; ${note}` : note;
  // Generous constant for the braces, keys and commas a status object or annotations map may need.
  return (
    jsonStringBytes(VIGIL_REPORT_ANNOTATIONS.reportReduced) +
    jsonStringBytes(what) +
    jsonStringBytes(message) +
    64
  );
}

function describe(
  stages: ReadonlySet<Stage>,
  droppedCount: number,
  bySeverity: ReadonlyMap<Severity, number>,
  total: number,
  maxBytes: number,
): { what: string; note: string } {
  const parts: string[] = [...stages];
  if (droppedCount > 0) {
    const counts = DROP_ORDER.filter((s) => bySeverity.has(s))
      .map((s) => `${s} ${bySeverity.get(s)}`)
      .join(', ');
    parts.push(`${droppedCount} vulnerabilities (${counts})`);
  }
  const what = parts.join(', ');
  const note =
    `report reduced to fit the API server's size limit (${maxBytes} bytes): dropped ${what}; ` +
    `the summary counts all ${total} vulnerabilities`;
  return { what, note };
}

function assemble(
  report: VigilVulnerabilityReport,
  stages: ReadonlySet<Stage>,
  dropped: Uint8Array,
  maxBytes: number,
): VigilVulnerabilityReport {
  const vulnerabilities: Vulnerability[] = [];
  const bySeverity = new Map<Severity, number>();
  let droppedCount = 0;
  report.report.vulnerabilities.forEach((v, i) => {
    if (dropped[i]) {
      droppedCount++;
      bySeverity.set(v.severity, (bySeverity.get(v.severity) ?? 0) + 1);
    } else {
      vulnerabilities.push(stages.size === 0 ? v : stripped(v, stages));
    }
  });
  const total = report.report.vulnerabilities.length;
  const { what, note } = describe(stages, droppedCount, bySeverity, total, maxBytes);
  const status: ReportScanStatus = report.status ?? {
    phase: 'Succeeded',
    lastScanTime: report.report.updateTimestamp,
  };
  return {
    ...report,
    metadata: {
      ...report.metadata,
      annotations: { ...(report.metadata.annotations ?? {}), [VIGIL_REPORT_ANNOTATIONS.reportReduced]: what },
    },
    report: { ...report.report, vulnerabilities },
    status: { ...status, message: status.message ? `${status.message}; ${note}` : note },
  };
}

function stripped(v: Vulnerability, stages: ReadonlySet<Stage>): Vulnerability {
  const out: Vulnerability = { ...v };
  if (stages.has('descriptions')) delete out.description;
  if (stages.has('links') && out.links !== undefined) out.links = [];
  if (stages.has('cvss')) {
    delete out.cvss;
    delete out.cvsssource;
  }
  return out;
}
