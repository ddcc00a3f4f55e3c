/**
 * Trivy Operator's report metrics (pkg/metrics/collector.go; reference §6) computed at scrape time from the
 * reports the caller hands over (an informer cache list), so nothing is stored and nothing goes stale:
 * `trivy_image_vulnerabilities` (5 series per report), `trivy_vulnerability_id` (OPERATOR_METRICS_VULN_ID_ENABLED)
 * and `trivy_image_info` (OPERATOR_METRICS_IMAGE_INFO_ENABLED), with the dynamic `k8s_label_*` labels from
 * report.resourceLabels. Everything is off when OPERATOR_METRICS_FINDINGS_ENABLED is false.
 */
import { Gauge, type GaugeConfiguration, type Registry } from 'prom-client';
import { REPORT_LABELS, type VulnerabilityReport } from '../../k8s/crds/vulnerability-report.js';
import type { OperatorConfig } from '../config/load.js';
import { sanitizeLabelName } from '../config/operator-configmap.js';

export type ReportMetricsConfig = Pick<
  OperatorConfig,
  'targetNamespaces' | 'metricsFindingsEnabled' | 'metricsVulnIdEnabled' | 'metricsImageInfoEnabled'
> & {
  report: Pick<OperatorConfig['report'], 'resourceLabels'>;
  metrics: OperatorConfig['metrics'];
};

export interface ReportMetricsCollectorOptions {
  registry: Registry;
  /** The current VulnerabilityReports, e.g. an informer store's list; called on every scrape. */
  reports: () => Iterable<VulnerabilityReport>;
  config: ReportMetricsConfig;
}

const IMAGE_LABELS = [
  'namespace',
  'name',
  'resource_kind',
  'resource_name',
  'container_name',
  'image_registry',
  'image_repository',
  'image_tag',
  'image_digest',
] as const;

const VULN_ID_LABELS = [
  ...IMAGE_LABELS,
  'installed_version',
  'fixed_version',
  'published_date',
  'last_modified_date',
  'resource',
  'severity',
  'package_type',
  'pkg_path',
  'target',
  'class',
  'vuln_id',
  'vuln_title',
  'vuln_score',
] as const;

const SEVERITY_COUNTS = [
  ['Critical', 'criticalCount'],
  ['High', 'highCount'],
  ['Medium', 'mediumCount'],
  ['Low', 'lowCount'],
  ['Unknown', 'unknownCount'],
] as const;

const SEVERITY_LABEL: Readonly<Record<string, string>> = {
  CRITICAL: 'Critical',
  HIGH: 'High',
  MEDIUM: 'Medium',
  LOW: 'Low',
  UNKNOWN: 'Unknown',
};

/** Trivy Operator title-cases severities it does not know. */
function severityLabel(severity: string): string {
  return SEVERITY_LABEL[severity] ?? severity.charAt(0).toUpperCase() + severity.slice(1).toLowerCase();
}

type Labels = Record<string, string>;

/**
 * A FAILED report with no data is a first scan that failed (README decision 3): it has no findings to count,
 * and exporting zeros would claim the image is clean.
 */
export function isFailedWithoutData(report: VulnerabilityReport): boolean {
  const status = (report as { status?: { phase?: unknown } }).status;
  if (status?.phase !== 'FAILED') return false;
  const data = report.report as VulnerabilityReport['report'] | undefined;
  if (data === undefined) return true;
  // The summary decides: the informer cache keeps no findings (operator/cache-transforms.ts), so
  // `vulnerabilities` is usually absent here.
  const s = data.summary;
  const counted = s
    ? s.criticalCount + s.highCount + s.mediumCount + s.lowCount + s.unknownCount + (s.noneCount ?? 0)
    : 0;
  return counted === 0 && (data.vulnerabilities?.length ?? 0) === 0;
}

/** The `<prefix><sanitised key>` label for each report.resourceLabels key, first key winning on a clash. */
function dynamicLabels(config: ReportMetricsConfig): Array<{ key: string; label: string }> {
  const seen = new Set<string>();
  const out: Array<{ key: string; label: string }> = [];
  for (const key of config.report.resourceLabels) {
    const label = config.metrics.resourceLabelsPrefix + sanitizeLabelName(key);
    if (seen.has(label) || (VULN_ID_LABELS as readonly string[]).includes(label)) continue;
    seen.add(label);
    out.push({ key, label });
  }
  return out;
}

/** Go's strconv.FormatFloat(f, 'f', -1, 64) for a CVSS score. */
function formatScore(score: number | undefined): string {
  if (score === undefined || !Number.isFinite(score)) return '';
  const text = String(score);
  return /e/i.test(text) ? score.toFixed(20).replace(/\.?0+$/, '') : text;
}

interface Series {
  labels: Labels;
  value: number;
}

/**
 * A gauge whose series are computed at scrape time straight into the answer and dropped with it. A plain
 * prom-client Gauge filled by set() in collect() hashes every label set into a key and keeps the last
 * scrape's series until the next one: with 5,000 reports (25,000 trivy_image_vulnerabilities series) that
 * was ~40 MiB held between scrapes and ~75 MiB of heap growth per scrape. A generator function gives fresh
 * series on each call.
 */
class SeriesGauge<T extends string> extends Gauge<T> {
  readonly #series: () => Iterable<Series>;

  constructor(configuration: GaugeConfiguration<T>, series: () => Iterable<Series>) {
    super(configuration);
    this.#series = series;
  }

  override async get() {
    // Nothing is ever set: the base answer carries name, help, type and aggregator, and no values. The
    // series go out as an iterable, not an array: Registry.metrics() formats them one by one with for…of,
    // so each label set is garbage as soon as its line is written. (getMetricsAsJSON would hand the iterable
    // on as it is; nothing here uses it.)
    const base = await super.get();
    return { ...base, values: this.#series() as typeof base.values };
  }
}

export function createReportMetricsCollector(options: ReportMetricsCollectorOptions): void {
  const { registry, config } = options;
  if (!config.metricsFindingsEnabled) return;
  const dynamic = dynamicLabels(config);
  const dynamicNames = dynamic.map((d) => d.label);
  const targets = new Set(config.targetNamespaces);

  // Reports of the target namespaces (all when none are set), without first-scan failures.
  const reportsInScope = (): VulnerabilityReport[] => {
    const out: VulnerabilityReport[] = [];
    for (const report of options.reports()) {
      const ns = report.metadata?.namespace ?? '';
      if (targets.size > 0 && !targets.has(ns)) continue;
      if (isFailedWithoutData(report)) continue;
      out.push(report);
    }
    return out;
  };

  const imageLabels = (report: VulnerabilityReport): Labels => {
    const meta = report.metadata;
    const labels = meta?.labels ?? {};
    const data = report.report as VulnerabilityReport['report'] | undefined;
    const out: Labels = {
      namespace: meta?.namespace ?? '',
      name: meta?.name ?? '',
      resource_kind: labels[REPORT_LABELS.resourceKind] ?? '',
      resource_name: labels[REPORT_LABELS.resourceName] ?? '',
      container_name: labels[REPORT_LABELS.containerName] ?? '',
      image_registry: data?.registry?.server ?? '',
      image_repository: data?.artifact?.repository ?? '',
      image_tag: data?.artifact?.tag ?? '',
      image_digest: data?.artifact?.digest ?? '',
    };
    return out;
  };
  // Trivy Operator's dynamic labels come after the metric's own ones.
  const resourceLabels = (report: VulnerabilityReport): Labels => {
    const labels = report.metadata?.labels ?? {};
    const out: Labels = {};
    for (const { key, label } of dynamic) out[label] = labels[key] ?? '';
    return out;
  };

  new SeriesGauge(
    {
      name: 'trivy_image_vulnerabilities',
      help: 'Number of container image vulnerabilities',
      labelNames: [...IMAGE_LABELS, 'severity', ...dynamicNames],
      registers: [registry],
    },
    function* () {
      for (const report of reportsInScope()) {
        const base = imageLabels(report);
        const extra = resourceLabels(report);
        const summary = (report.report as VulnerabilityReport['report'] | undefined)?.summary;
        for (const [severity, field] of SEVERITY_COUNTS) {
          yield { labels: { ...base, severity, ...extra }, value: summary?.[field] ?? 0 };
        }
      }
    },
  );

  if (config.metricsVulnIdEnabled) {
    new SeriesGauge(
      {
        name: 'trivy_vulnerability_id',
        help: 'Number of container image vulnerabilities group by vulnerability id',
        labelNames: [...VULN_ID_LABELS, ...dynamicNames],
        registers: [registry],
      },
      function* () {
        for (const report of reportsInScope()) {
          const base = imageLabels(report);
          const extra = resourceLabels(report);
          // Identical label sets collapse into one series (Trivy Operator emits duplicates, which Prometheus
          // rejects); the base labels name the report, so duplicates can only come from within one report.
          const seen = new Set<string>();
          for (const v of report.report?.vulnerabilities ?? []) {
            const labels: Labels = {
              ...base,
              installed_version: v.installedVersion ?? '',
              fixed_version: v.fixedVersion ?? '',
              published_date: v.publishedDate ?? '',
              last_modified_date: v.lastModifiedDate ?? '',
              resource: v.resource ?? '',
              severity: severityLabel(v.severity ?? ''),
              package_type: v.packageType ?? '',
              pkg_path: v.packagePath ?? '',
              target: v.target ?? '',
              class: v.class ?? '',
              vuln_id: v.vulnerabilityID ?? '',
              vuln_title: v.title ?? '',
              vuln_score: formatScore(v.score),
              ...extra,
            };
            const key = Object.values(labels).join('\u0000');
            if (seen.has(key)) continue;
            seen.add(key);
            yield { labels, value: 1 };
          }
        }
      },
    );
  }

  if (config.metricsImageInfoEnabled) {
    new SeriesGauge(
      {
        name: 'trivy_image_info',
        help: 'scanned container image information',
        labelNames: [...IMAGE_LABELS, 'image_os_family', 'image_os_name', 'image_os_eosl', ...dynamicNames],
        registers: [registry],
      },
      function* () {
        for (const report of reportsInScope()) {
          const os = report.report?.os;
          yield {
            labels: {
              ...imageLabels(report),
              image_os_family: os?.family ?? '',
              image_os_name: os?.name ?? '',
              // Trivy Operator writes "true" for an end-of-life OS and "" otherwise.
              image_os_eosl: os?.eosl ? 'true' : '',
              ...resourceLabels(report),
            },
            value: 1,
          };
        }
      },
    );
  }
}
