// Size reduction (ARCHITECTURE fixed decision 6): descriptions, links, cvss, then the lowest severities, until
// the JSON fits; the summary stays exact; the reduction is marked.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Vulnerability, VulnerabilitySummary } from '../../k8s/crds/index.js';
import { summarize } from './data.js';
import { DEFAULT_MAX_REPORT_BYTES, fitReport, reportBytes } from './fit.js';
import { jsonBytes } from './json-size.js';
import { builtReport, golden, hugeTrivyReport } from './testkit.js';

const REDUCED = 'vigil.aquasecurity.github.io/report-reduced';
const total = (s: VulnerabilitySummary) =>
  s.criticalCount + s.highCount + s.mediumCount + s.lowCount + s.unknownCount;

describe('fitReport', () => {
  test('a report that fits is returned as it is (same object, no mark)', () => {
    const report = builtReport(golden('debian-stretch'));
    assert.equal(fitReport(report), report);
    assert.equal(report.metadata.annotations?.[REDUCED], undefined);
  });

  test('dropping descriptions is enough: links and cvss stay, every finding stays', () => {
    const report = builtReport(golden('debian-stretch'));
    const size = reportBytes(report);
    const descriptions = report.report.vulnerabilities.reduce(
      (n, v) => n + Buffer.byteLength(JSON.stringify(v.description ?? '')),
      0,
    );
    const limit = size - Math.floor(descriptions / 2);
    const fitted = fitReport(report, limit);
    assert.ok(reportBytes(fitted) <= limit);
    assert.equal(fitted.metadata.annotations?.[REDUCED], 'descriptions');
    assert.equal(fitted.report.vulnerabilities.length, report.report.vulnerabilities.length);
    assert.ok(
      fitted.report.vulnerabilities.every((v) => v.description === undefined && v.cvss !== undefined),
    );
    assert.ok(fitted.report.vulnerabilities.some((v) => (v.links?.length ?? 0) > 0));
    assert.match(fitted.status!.message!, /dropped descriptions; the summary counts all 5 vulnerabilities/);
    assert.equal(fitted.status!.phase, 'Succeeded');
    assert.ok(
      report.report.vulnerabilities.every((v) => v.description !== undefined),
      'input not modified',
    );
    assert.equal(report.metadata.annotations?.[REDUCED], undefined);
  });

  test('descriptions and links, then cvss, then findings: marks say what went', () => {
    const report = builtReport(golden('debian-stretch'));
    const without = (drop: (v: Vulnerability) => Vulnerability) =>
      reportBytes({
        ...report,
        report: { ...report.report, vulnerabilities: report.report.vulnerabilities.map(drop) },
      });
    // Room for the mark (annotation + status message) is a few hundred bytes.
    const noText = without(({ description: _, ...v }) => ({ ...v, links: [] }));
    const textFitted = fitReport(report, noText + 500);
    assert.equal(textFitted.metadata.annotations?.[REDUCED], 'descriptions, links');
    assert.equal(textFitted.report.vulnerabilities.length, 5);
    assert.ok(textFitted.report.vulnerabilities.every((v) => v.links?.length === 0 && v.cvss !== undefined));

    const bare = without(({ description: _d, cvss: _c, cvsssource: _s, ...v }) => ({ ...v, links: [] }));
    const bareFitted = fitReport(report, bare + 500);
    assert.equal(bareFitted.metadata.annotations?.[REDUCED], 'descriptions, links, cvss');
    assert.equal(bareFitted.report.vulnerabilities.length, 5);
    assert.ok(bareFitted.report.vulnerabilities.every((v) => v.cvss === undefined));
    assert.ok(reportBytes(bareFitted) <= bare + 500);

    const fewer = fitReport(report, bare);
    assert.ok(reportBytes(fewer) <= bare);
    assert.match(
      fewer.metadata.annotations?.[REDUCED] ?? '',
      /^descriptions, links, cvss, [12] vulnerabilities \(LOW 1/,
    );
    assert.equal(fewer.report.vulnerabilities[0]!.severity, 'MEDIUM', 'the LOW one went first');
    assert.deepEqual(fewer.report.summary, report.report.summary);
  });

  test('20,000 findings: under 1.4 MB, lowest severities dropped first, summary exact, marked', (t) => {
    const report = builtReport(hugeTrivyReport(20_000));
    const started = performance.now();
    const fitted = fitReport(report);
    const ms = performance.now() - started;
    t.diagnostic(
      `fitReport: ${reportBytes(report)} → ${reportBytes(fitted)} bytes, ` +
        `${report.report.vulnerabilities.length} → ${fitted.report.vulnerabilities.length} findings in ${ms.toFixed(0)} ms`,
    );
    assert.ok(reportBytes(fitted) <= DEFAULT_MAX_REPORT_BYTES);
    assert.deepEqual(fitted.report.summary, report.report.summary, 'summary untouched');
    assert.equal(total(fitted.report.summary), 20_000);
    assert.deepEqual(report.report.summary, summarize(report.report.vulnerabilities));

    // Lowest severities go first: below some severity nothing is kept, above it everything is.
    const order = ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
    const count = (vs: typeof report.report.vulnerabilities, s: string) =>
      vs.filter((v) => v.severity === s).length;
    const keptBy = order.map((s) => count(fitted.report.vulnerabilities, s));
    const allBy = order.map((s) => count(report.report.vulnerabilities, s));
    const cut = keptBy.findIndex((k) => k > 0);
    assert.ok(cut >= 1, `UNKNOWN dropped first (kept ${keptBy})`);
    for (let i = 0; i < cut; i++) assert.equal(keptBy[i], 0, order[i]);
    for (let i = cut + 1; i < order.length; i++) assert.equal(keptBy[i], allBy[i], `all ${order[i]} kept`);
    // Within the partly kept severity, the first ones in Trivy's order are the ones kept.
    const partial = report.report.vulnerabilities.filter((v) => v.severity === order[cut]);
    const keptPartial = fitted.report.vulnerabilities.filter((v) => v.severity === order[cut]);
    assert.deepEqual(
      keptPartial.map((v) => v.vulnerabilityID),
      partial.slice(0, keptPartial.length).map((v) => v.vulnerabilityID),
    );
    // Kept findings stay in Trivy's order.
    const ids = fitted.report.vulnerabilities.map((v) => Number(v.vulnerabilityID.slice(9)));
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
    );
    const dropped = 20_000 - fitted.report.vulnerabilities.length;
    const mark = fitted.metadata.annotations?.[REDUCED] ?? '';
    assert.match(mark, new RegExp(`^descriptions, links, cvss, ${dropped} vulnerabilities \\(UNKNOWN \\d+`));
    assert.match(fitted.status!.message!, /the summary counts all 20000 vulnerabilities/);
    // Tight: not much more was dropped than needed (one more finding would not fit in the reserve).
    assert.ok(reportBytes(fitted) > DEFAULT_MAX_REPORT_BYTES - 4096, `${reportBytes(fitted)}`);
  });

  test('worst case: a limit nothing fits under leaves an empty list and terminates', () => {
    const report = builtReport(hugeTrivyReport(500));
    const fitted = fitReport(report, 2000);
    assert.deepEqual(fitted.report.vulnerabilities, []);
    assert.equal(total(fitted.report.summary), 500);
    assert.match(fitted.metadata.annotations?.[REDUCED] ?? '', /500 vulnerabilities/);
    const smallest = fitReport(report, 1);
    assert.deepEqual(smallest.report.vulnerabilities, []);
  });
});

describe('jsonBytes', () => {
  test('equals the UTF-8 length of JSON.stringify, escapes and non-ASCII included', () => {
    const samples: unknown[] = [
      builtReport(golden('fluentd-gems')),
      builtReport(golden('alpine-310')),
      'quote " backslash \\ newline \n tab \t nul \u0000 bell \u0007 del \u007f',
      'ünïcödé — 漢字 🎉',
      { a: [1, -0, 2.5e-7, 1e21, null, true, false, undefined], b: undefined, c: { d: NaN } },
      [],
      {},
    ];
    for (const value of samples)
      assert.equal(
        jsonBytes(value),
        Buffer.byteLength(JSON.stringify(value)),
        JSON.stringify(value).slice(0, 60),
      );
  });
});

test('20,000 findings with the default fields (no description, links or cvss): reduced by severity only', (t) => {
  const report = builtReport(hugeTrivyReport(20_000), { additionalFields: [] });
  const started = performance.now();
  const fitted = fitReport(report);
  const ms = performance.now() - started;
  t.diagnostic(
    `fitReport: ${reportBytes(report)} → ${reportBytes(fitted)} bytes, ` +
      `${report.report.vulnerabilities.length} → ${fitted.report.vulnerabilities.length} findings in ${ms.toFixed(0)} ms`,
  );
  assert.ok(reportBytes(fitted) <= DEFAULT_MAX_REPORT_BYTES);
  assert.match(fitted.metadata.annotations?.[REDUCED] ?? '', /^\d+ vulnerabilities \(UNKNOWN 3000, LOW 7000/);
  assert.deepEqual(fitted.report.summary, report.report.summary);
});
