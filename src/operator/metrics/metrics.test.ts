// The report collector's exposition text for plain report objects (names, labels and values as Trivy
// Operator's), its gates, label sanitising and FAILED skipping; and Vigil's own operator metrics.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import type { VulnerabilityReport } from '../../k8s/crds/vulnerability-report.js';
import { createOperatorMetrics } from './operator-metrics.js';
import { createReportMetricsCollector, type ReportMetricsConfig } from './report-collector.js';
import { writeMetricsText } from './stream.js';

function report(
  namespace: string,
  name: string,
  options: {
    counts?: [number, number, number, number, number];
    labels?: Record<string, string>;
    status?: Record<string, unknown>;
    vulnerabilities?: Array<Record<string, unknown>>;
    os?: Record<string, unknown>;
  } = {},
): VulnerabilityReport {
  const [c, h, m, l, u] = options.counts ?? [0, 0, 0, 0, 0];
  return {
    apiVersion: 'aquasecurity.github.io/v1alpha1',
    kind: 'VulnerabilityReport',
    metadata: {
      name,
      namespace,
      labels: {
        'trivy-operator.resource.kind': 'ReplicaSet',
        'trivy-operator.resource.name': 'web-7d4b9',
        'trivy-operator.container.name': 'nginx',
        ...options.labels,
      },
    },
    report: {
      updateTimestamp: '2026-01-01T00:00:00Z',
      scanner: { name: 'Trivy', vendor: 'Aqua Security', version: '0.72.0' },
      registry: { server: 'index.docker.io' },
      artifact: { repository: 'library/nginx', tag: '1.27', digest: 'sha256:abc' },
      os: { family: 'debian', name: '12.8', ...options.os },
      summary: { criticalCount: c, highCount: h, mediumCount: m, lowCount: l, unknownCount: u },
      vulnerabilities: (options.vulnerabilities ?? []) as never,
    },
    ...(options.status ? { status: options.status } : {}),
  } as VulnerabilityReport;
}

function config(overrides: Partial<ReportMetricsConfig> = {}): ReportMetricsConfig {
  return {
    targetNamespaces: [],
    metricsFindingsEnabled: true,
    metricsVulnIdEnabled: false,
    metricsImageInfoEnabled: false,
    report: { resourceLabels: [] },
    metrics: { resourceLabelsPrefix: 'k8s_label_' },
    ...overrides,
  };
}

async function scrape(reports: VulnerabilityReport[], cfg: ReportMetricsConfig): Promise<string> {
  const registry = new Registry();
  createReportMetricsCollector({ registry, reports: () => reports, config: cfg });
  return registry.metrics();
}

const IMAGE =
  'namespace="apps",name="replicaset-web-7d4b9-nginx",resource_kind="ReplicaSet",resource_name="web-7d4b9",' +
  'container_name="nginx",image_registry="index.docker.io",image_repository="library/nginx",image_tag="1.27",' +
  'image_digest="sha256:abc"';

describe('report metrics collector', () => {
  test('trivy_image_vulnerabilities: five series per report, Trivy Operator’s labels', async () => {
    const text = await scrape(
      [report('apps', 'replicaset-web-7d4b9-nginx', { counts: [1, 2, 3, 4, 5] })],
      config(),
    );
    assert.equal(
      text.trim(),
      [
        '# HELP trivy_image_vulnerabilities Number of container image vulnerabilities',
        '# TYPE trivy_image_vulnerabilities gauge',
        `trivy_image_vulnerabilities{${IMAGE},severity="Critical"} 1`,
        `trivy_image_vulnerabilities{${IMAGE},severity="High"} 2`,
        `trivy_image_vulnerabilities{${IMAGE},severity="Medium"} 3`,
        `trivy_image_vulnerabilities{${IMAGE},severity="Low"} 4`,
        `trivy_image_vulnerabilities{${IMAGE},severity="Unknown"} 5`,
      ].join('\n'),
    );
  });

  test('series follow the reports at each scrape (nothing stale)', async () => {
    const registry = new Registry();
    let reports = [report('apps', 'a', { counts: [1, 0, 0, 0, 0] }), report('apps', 'b')];
    createReportMetricsCollector({ registry, reports: () => reports, config: config() });
    assert.equal((await registry.metrics()).match(/^trivy_image_vulnerabilities\{/gm)?.length, 10);
    reports = [report('apps', 'b', { counts: [0, 7, 0, 0, 0] })];
    const text = await registry.metrics();
    assert.equal(text.match(/^trivy_image_vulnerabilities\{/gm)?.length, 5);
    assert.doesNotMatch(text, /name="a"/);
    assert.match(text, /name="b".*severity="High"\} 7/);
  });

  test('gates: findings off exports nothing; vuln id and image info only when enabled', async () => {
    const vuln = {
      vulnerabilityID: 'CVE-2024-0001',
      resource: 'openssl',
      installedVersion: '3.0.1',
      fixedVersion: '3.0.2',
      publishedDate: '2024-01-01T00:00:00Z',
      lastModifiedDate: '2024-02-01T00:00:00Z',
      severity: 'HIGH',
      title: 'openssl: bad thing',
      score: 7.5,
      target: 'debian 12.8',
      class: 'os-pkgs',
      packageType: 'debian',
      packagePath: '',
    };
    const reports = [
      report('apps', 'replicaset-web-7d4b9-nginx', {
        counts: [0, 1, 0, 0, 0],
        vulnerabilities: [vuln, { ...vuln }],
      }),
    ];
    assert.equal(
      (await scrape(reports, config({ metricsFindingsEnabled: false, metricsVulnIdEnabled: true }))).trim(),
      '',
    );

    const off = await scrape(reports, config());
    assert.doesNotMatch(off, /trivy_vulnerability_id|trivy_image_info/);

    const on = await scrape(reports, config({ metricsVulnIdEnabled: true, metricsImageInfoEnabled: true }));
    const vulnLines = on.split('\n').filter((l) => l.startsWith('trivy_vulnerability_id{'));
    assert.deepEqual(vulnLines, [
      `trivy_vulnerability_id{${IMAGE},installed_version="3.0.1",fixed_version="3.0.2",` +
        'published_date="2024-01-01T00:00:00Z",last_modified_date="2024-02-01T00:00:00Z",resource="openssl",' +
        'severity="High",package_type="debian",pkg_path="",target="debian 12.8",class="os-pkgs",' +
        'vuln_id="CVE-2024-0001",vuln_title="openssl: bad thing",vuln_score="7.5"} 1',
    ]);
    assert.match(
      on,
      /# HELP trivy_vulnerability_id Number of container image vulnerabilities group by vulnerability id/,
    );
    assert.ok(
      on.includes(
        `trivy_image_info{${IMAGE},image_os_family="debian",image_os_name="12.8",image_os_eosl=""} 1`,
      ),
      on,
    );
    const eosl = await scrape(
      [report('apps', 'replicaset-web-7d4b9-nginx', { os: { eosl: true } })],
      config({ metricsImageInfoEnabled: true }),
    );
    assert.match(eosl, /image_os_eosl="true"\} 1/);
  });

  test('k8s_label_* labels from report.resourceLabels, sanitised, valued from the report’s labels', async () => {
    const text = await scrape(
      [report('apps', 'r1', { labels: { 'app.kubernetes.io/name': 'web', teamName: 'sec' } })],
      config({ report: { resourceLabels: ['app.kubernetes.io/name', 'teamName', 'missing-one'] } }),
    );
    const line = text.split('\n').find((l) => l.includes('severity="Critical"'));
    assert.ok(
      line?.endsWith(
        ',k8s_label_app_kubernetes_io_name="web",k8s_label_team_name="sec",k8s_label_missing_one=""} 0',
      ),
      line,
    );

    const prefixed = await scrape(
      [report('apps', 'r1', { labels: { tier: 'front' } })],
      config({ report: { resourceLabels: ['tier'] }, metrics: { resourceLabelsPrefix: 'lbl_' } }),
    );
    assert.match(prefixed, /,lbl_tier="front"\} 0/);
  });

  test('FAILED reports without data are skipped; a FAILED rescan that kept its data is exported', async () => {
    const text = await scrape(
      [
        report('apps', 'first-failure', { status: { phase: 'FAILED', reason: 'ScanFailed' } }),
        report('apps', 'failed-rescan', { counts: [0, 0, 2, 0, 0], status: { phase: 'FAILED' } }),
        report('apps', 'ok-clean', { status: { phase: 'Succeeded' } }),
      ],
      config({ metricsImageInfoEnabled: true }),
    );
    assert.doesNotMatch(text, /first-failure/);
    assert.match(text, /name="failed-rescan".*severity="Medium"\} 2/);
    assert.match(text, /trivy_image_info\{namespace="apps",name="failed-rescan"/);
    assert.equal(text.match(/name="ok-clean".*\} 0/g)?.length, 5, 'a clean successful scan exports zeros');
  });

  test('only reports of the target namespaces', async () => {
    const text = await scrape(
      [report('apps', 'in'), report('other', 'out'), report('web', 'in2')],
      config({ targetNamespaces: ['apps', 'web'] }),
    );
    assert.match(text, /name="in"/);
    assert.match(text, /name="in2"/);
    assert.doesNotMatch(text, /name="out"/);
  });
});

describe('operator metrics', () => {
  test('Job outcomes, durations, in-flight scans, reports written, reused results', async () => {
    const registry = new Registry();
    const metrics = createOperatorMetrics(registry);
    metrics.jobFinished('succeeded', 12);
    metrics.jobFinished('succeeded', 3);
    metrics.jobFinished('failed', 700);
    metrics.jobFinished('deferred');
    metrics.scanStarted();
    metrics.scanStarted();
    metrics.scanStarted();
    metrics.scanEnded();
    metrics.reportWritten('Succeeded');
    metrics.reportWritten('FAILED');
    metrics.reportWritten('Succeeded');
    metrics.resultsReused(4);
    metrics.resultsReused();
    const text = await registry.metrics();
    for (const line of [
      'vigil_scan_jobs_total{outcome="succeeded"} 2',
      'vigil_scan_jobs_total{outcome="failed"} 1',
      'vigil_scan_jobs_total{outcome="deferred"} 1',
      'vigil_scan_job_duration_seconds_bucket{le="5",outcome="succeeded"} 1',
      'vigil_scan_job_duration_seconds_bucket{le="20",outcome="succeeded"} 2',
      'vigil_scan_job_duration_seconds_sum{outcome="succeeded"} 15',
      'vigil_scan_job_duration_seconds_count{outcome="failed"} 1',
      'vigil_scan_job_duration_seconds_bucket{le="600",outcome="failed"} 0',
      'vigil_scans_in_flight 2',
      'vigil_reports_written_total{phase="Succeeded"} 2',
      'vigil_reports_written_total{phase="FAILED"} 1',
      'vigil_scan_results_reused_total 5',
    ]) {
      assert.ok(text.split('\n').includes(line), `missing ${line}\n${text}`);
    }
    assert.doesNotMatch(text, /outcome="deferred"\}.*duration|duration_seconds_count\{outcome="deferred"/);
  });

  test('in-flight scans from a source read at scrape time; zero-valued outcomes from the start', async () => {
    const registry = new Registry();
    let active = 3;
    createOperatorMetrics(registry, { scansInFlight: () => active });
    assert.match(await registry.metrics(), /^vigil_scans_in_flight 3$/m);
    active = 0;
    const text = await registry.metrics();
    assert.match(text, /^vigil_scans_in_flight 0$/m);
    assert.match(text, /^vigil_scan_jobs_total\{outcome="failed"\} 0$/m);
  });
});

describe('writeMetricsText', () => {
  test('streams, chunk by chunk, exactly the text Registry.metrics() builds', async () => {
    const registry = new Registry();
    const many = Array.from({ length: 1234 }, (_, i) =>
      report(`ns-${i % 7}`, `replicaset-web-${i}-nginx`, {
        counts: [i % 3, i % 5, 1, 0, 2],
        labels: { app: i % 2 ? 'a"b\\c' : 'line\nbreak' },
        os: { eosl: i % 11 === 0 },
      }),
    );
    createReportMetricsCollector({
      registry,
      reports: () => many,
      config: config({ metricsImageInfoEnabled: true, report: { resourceLabels: ['app'] } }),
    });
    createOperatorMetrics(registry).jobFinished('succeeded', 1.5);
    const { Counter, Histogram, Gauge } = await import('prom-client');
    new Counter({
      name: 'x_total',
      help: 'help with \\ and\nnewline',
      labelNames: ['k'],
      registers: [registry],
    })
      .labels('v')
      .inc(3);
    new Histogram({ name: 'x_seconds', help: 'h', buckets: [0.1, 1], registers: [registry] }).observe(0.5);
    new Gauge({ name: 'x_empty', help: 'no series yet', labelNames: ['k'], registers: [registry] });

    const expected = await registry.metrics();
    const chunks: string[] = [];
    await writeMetricsText(registry, async (chunk) => {
      chunks.push(chunk);
    });
    assert.equal(chunks.join(''), expected);
    assert.ok(
      expected.split('\n').filter((l) => l.startsWith('trivy_image_vulnerabilities{')).length === 1234 * 5,
    );
    const largest = Math.max(...chunks.map((c) => c.length));
    assert.ok(chunks.length > 20, `written in pieces: ${chunks.length}`);
    assert.ok(largest < expected.length / 10, `no piece is the whole text: ${largest} of ${expected.length}`);
  });
});
