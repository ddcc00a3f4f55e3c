// Shared inputs for this module's tests: Trivy's golden reports and a built report around them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Report } from '../../report/index.js';
import { repoRoot } from '../../vulndb/testkit.js';
import { buildReportData } from './data.js';
import { buildVulnerabilityReport, type ReportScanStatus, type VigilVulnerabilityReport } from './object.js';

const GOLDEN = join(repoRoot(), 'src', 'report', 'testdata', 'trivy-golden');

export function golden(name: string): Report {
  return JSON.parse(readFileSync(join(GOLDEN, `${name}.json.golden`), 'utf8'));
}

export const ALL_FIELDS = ['Description', 'Links', 'CVSS', 'Target', 'Class', 'PackageType', 'PackagePath'];

export const OWNER = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  name: 'web-6d4cf56db6',
  namespace: 'report-test',
  uid: '11111111-2222-3333-4444-555555555555',
  labels: { app: 'web', team: 'payments' },
};

function spread(i: number): number {
  const p = i % 20;
  return p < 1 ? 4 : p < 4 ? 3 : p < 10 ? 2 : p < 17 ? 1 : 0;
}

/** Trivy's golden report multiplied to `count` findings with every severity, all fields filled. */
export function hugeTrivyReport(count: number): Report {
  const base = golden('fluentd-gems');
  const seeds = (['debian-stretch', 'fluentd-gems', 'alpine-310', 'ubuntu-1804'] as const).flatMap((n) =>
    (golden(n).Results ?? []).flatMap((r) => r.Vulnerabilities ?? []),
  );
  const sources = ['nvd', 'debian', 'redhat', 'ubuntu', 'ghsa'];
  const vulnerabilities = Array.from({ length: count }, (_, i) => {
    const seed = seeds[i % seeds.length]!;
    const source = sources[i % sources.length]!;
    return {
      ...seed,
      VulnerabilityID: `CVE-2024-${10000 + i}`,
      PkgName: `${seed.PkgName}-${i % 97}`,
      SeveritySource: source,
      // A realistic spread: 5% CRITICAL, 15% HIGH, 30% MEDIUM, 35% LOW, 15% UNKNOWN.
      VendorSeverity: { ...seed.VendorSeverity, [source]: spread(i) },
    };
  });
  return {
    ...base,
    Results: [
      { Target: 'huge (debian 10.2)', Class: 'os-pkgs', Type: 'debian', Vulnerabilities: vulnerabilities },
    ],
  };
}

export function builtReport(
  trivy: Report,
  options: { status?: ReportScanStatus; additionalFields?: string[]; now?: Date } = {},
): VigilVulnerabilityReport {
  const now = options.now ?? new Date('2026-03-04T05:06:07Z');
  return buildVulnerabilityReport({
    owner: OWNER,
    container: 'web',
    specHash: '5b9d7c8f4',
    image: 'fluent/fluentd:v1.8',
    imageKey: 'index.docker.io/fluent/fluentd:v1.8',
    data: buildReportData(trivy, {
      image: 'fluent/fluentd:v1.8',
      additionalFields: options.additionalFields ?? ALL_FIELDS,
      now,
      scannerVersion: '0.72.0',
    }),
    status: options.status ?? {
      phase: 'Succeeded',
      lastScanTime: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    },
    ttl: '24h0m0s',
    resourceLabels: ['team'],
    additionalLabels: { env: 'test' },
  });
}
