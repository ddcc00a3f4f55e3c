// ARCHITECTURE fixed decision 6: no report is too large to store. etcd refuses requests over ~1.5 MiB
// ("etcdserver: request is too large", Trivy Operator #441/#757), so a report whose JSON is larger than the
// limit is reduced: descriptions, then links, then CVSS details, then the lowest-severity vulnerabilities
// (UNKNOWN first, the last ones of a severity first) until it fits. The summary is not touched: it was counted
// over every finding before. The reduction is marked by an annotation and in status.message.
import type { Severity, Vulnerability } from '../../k8s/crds/index.js';
import { VIGIL_REPORT_ANNOTATIONS } from './labels.js';
import type { VigilVulnerabilityReport } from './object.js';

/** Under etcd's default 1.5 MiB request limit with room for the request's envelope. */
export const DEFAULT_MAX_REPORT_BYTES = 1_400_000;

/** Dropped first to last. */
const DROP_ORDER: readonly Severity[] = ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];

/** Bytes set aside for the annotation and the status message the reduction adds. */
const MARK_RESERVE = 1024;

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');
const jsonBytes = (value: unknown) => utf8(JSON.stringify(value));

/** The size the object has as JSON (what the API server is sent and, near enough, what etcd stores). */
export function reportBytes(report: VigilVulnerabilityReport): number {
  return jsonBytes(report);
}

/** Bytes a member `"key":value` takes in an object with other members (its comma included). */
function memberBytes(key: string, value: unknown): number {
  return value === undefined ? 0 : utf8(JSON.stringify(key)) + 1 + jsonBytes(value) + 1;
}

type Stage = 'descriptions' | 'links' | 'cvss';

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

/**
 * Returns `report` unchanged when its JSON fits in `maxBytes`, else a reduced copy: the input is never
 * modified. Linear in the number of vulnerabilities (each is serialised once). When even an empty vulnerability
 * list does not fit (huge labels or annotations), the copy with no vulnerabilities is returned: nothing else in
 * the report is ours to drop.
 */
export function fitReport(
  report: VigilVulnerabilityReport,
  maxBytes: number = DEFAULT_MAX_REPORT_BYTES,
): VigilVulnerabilityReport {
  const vulns = report.report.vulnerabilities;
  const full = vulns.map((v) => jsonBytes(v));
  const shell = jsonBytes({ ...report, report: { ...report.report, vulnerabilities: [] } });
  const listBytes = (sizes: readonly number[]) =>
    sizes.reduce((sum, n) => sum + n, 0) + Math.max(0, sizes.length - 1);
  if (shell + listBytes(full) <= maxBytes) return report;

  // What each field stage saves per vulnerability, without serialising the vulnerability again.
  const savings: Record<Stage, number[]> = {
    descriptions: vulns.map((v) => memberBytes('description', v.description)),
    links: vulns.map((v) => (v.links === undefined ? 0 : jsonBytes(v.links) - 2)),
    cvss: vulns.map((v) => memberBytes('cvss', v.cvss) + memberBytes('cvsssource', v.cvsssource)),
  };
  const budget = maxBytes - MARK_RESERVE;
  const stages = new Set<Stage>();
  let sizes = full;
  for (const stage of ['descriptions', 'links', 'cvss'] as const) {
    if (shell + listBytes(sizes) <= budget) break;
    if (!savings[stage].some((n) => n > 0)) continue;
    stages.add(stage);
    const saved = savings[stage];
    sizes = sizes.map((n, i) => n - saved[i]!);
  }

  // Which vulnerabilities go: lowest severity first, within one severity from the end of Trivy's order.
  const order: number[] = [];
  for (const severity of DROP_ORDER) {
    for (let i = vulns.length - 1; i >= 0; i--) if (vulns[i]!.severity === severity) order.push(i);
  }
  const dropped = new Set<number>();
  let total = shell + listBytes(sizes);
  let next = 0;
  let limit = budget;
  for (;;) {
    while (total > limit && next < order.length) {
      const i = order[next++]!;
      dropped.add(i);
      total -= sizes[i]! + 1;
    }
    const candidate = assemble(report, stages, dropped, maxBytes);
    const actual = reportBytes(candidate);
    // The estimate is exact for the data; only the mark can push it over. Then tighten and go again.
    if (actual <= maxBytes || next >= order.length) return candidate;
    limit -= actual - maxBytes;
    total = Math.max(total, limit + 1);
  }
}

function assemble(
  report: VigilVulnerabilityReport,
  stages: ReadonlySet<Stage>,
  dropped: ReadonlySet<number>,
  maxBytes: number,
): VigilVulnerabilityReport {
  const vulnerabilities: Vulnerability[] = [];
  const droppedBySeverity = new Map<Severity, number>();
  report.report.vulnerabilities.forEach((v, i) => {
    if (dropped.has(i)) droppedBySeverity.set(v.severity, (droppedBySeverity.get(v.severity) ?? 0) + 1);
    else vulnerabilities.push(stages.size === 0 ? v : stripped(v, stages));
  });
  const parts: string[] = [...stages];
  if (dropped.size > 0) {
    const counts = DROP_ORDER.filter((s) => droppedBySeverity.has(s))
      .map((s) => `${s} ${droppedBySeverity.get(s)}`)
      .join(', ');
    parts.push(`${dropped.size} vulnerabilities (${counts})`);
  }
  const what = parts.join(', ');
  const total = report.report.vulnerabilities.length;
  const note =
    `report reduced to fit the API server's size limit (${maxBytes} bytes): dropped ${what}; ` +
    `the summary counts all ${total} vulnerabilities`;
  const status = report.status ?? {
    phase: 'Succeeded' as const,
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
