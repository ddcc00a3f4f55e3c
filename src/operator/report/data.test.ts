// Trivy JSON → report data, over Trivy's own golden reports (src/report/testdata/trivy-golden).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Report } from '../../report/index.js';
import { repoRoot } from '../../vulndb/testkit.js';
import { buildReportData, failedReportData, imageArtifact, pickScore, rfc3339 } from './data.js';

const GOLDEN = join(repoRoot(), 'src', 'report', 'testdata', 'trivy-golden');
const golden = (name: string): Report =>
  JSON.parse(readFileSync(join(GOLDEN, `${name}.json.golden`), 'utf8'));
const NOW = new Date('2026-03-04T05:06:07.891Z');
const base = { additionalFields: [] as string[], now: NOW, scannerVersion: '0.72.0' };

describe('buildReportData', () => {
  test('debian-stretch: scanner, registry/artifact, os, every finding in Trivy order, exact summary', () => {
    const data = buildReportData(golden('debian-stretch'), { ...base, image: 'debian:9.9' });
    assert.equal(data.updateTimestamp, '2026-03-04T05:06:07Z');
    assert.deepEqual(data.scanner, { name: 'Trivy', vendor: 'Aqua Security', version: '0.72.0' });
    assert.deepEqual(data.registry, { server: 'index.docker.io' });
    assert.deepEqual(data.artifact, { repository: 'library/debian', tag: '9.9' });
    assert.deepEqual(data.os, { family: 'debian', name: '9.9' });
    assert.deepEqual(
      data.vulnerabilities.map((v) => `${v.vulnerabilityID} ${v.resource} ${v.severity}`),
      [
        'CVE-2019-18276 bash LOW',
        'CVE-2019-5094 e2fslibs MEDIUM',
        'CVE-2019-5094 e2fsprogs MEDIUM',
        'CVE-2019-5094 libcomerr2 MEDIUM',
        'CVE-2019-5094 libss2 MEDIUM',
      ],
    );
    assert.deepEqual(data.summary, {
      criticalCount: 0,
      highCount: 0,
      mediumCount: 4,
      lowCount: 1,
      unknownCount: 0,
      noneCount: 0,
    });
    // Without additional fields: exactly the always-present fields, links empty, no description/cvss.
    assert.deepEqual(data.vulnerabilities[0], {
      vulnerabilityID: 'CVE-2019-18276',
      resource: 'bash',
      installedVersion: '4.4-5',
      fixedVersion: '',
      publishedDate: '2019-11-28T01:15:00Z',
      lastModifiedDate: '2021-05-26T12:15:00Z',
      severity: 'LOW',
      title: 'bash: when effective UID is not equal to its real UID the saved UID is not dropped',
      primaryLink: 'https://avd.aquasec.com/nvd/cve-2019-18276',
      links: [],
      score: 7.8,
      packagePURL: 'pkg:deb/debian/bash@4.4-5?arch=amd64&distro=debian-9.9',
    });
  });

  test("severity is VendorSeverity[SeveritySource]: Trivy's Severity is not used, a missing source is UNKNOWN", () => {
    // alpine-distroless: Trivy says MEDIUM but gives no SeveritySource (only ubuntu's rating).
    const distroless = buildReportData(golden('alpine-distroless'), { ...base, image: 'alpine:3.16' });
    assert.equal(golden('alpine-distroless').Results![0]!.Vulnerabilities![0]!.Severity, 'MEDIUM');
    assert.equal(distroless.vulnerabilities[0]!.severity, 'UNKNOWN');
    assert.equal(distroless.summary.unknownCount, 1);
    assert.equal(distroless.summary.mediumCount, 0);
    // debian-stretch bash: source debian rates it 1 (LOW) while nvd says HIGH.
    const stretch = buildReportData(golden('debian-stretch'), { ...base, image: 'debian:9.9' });
    assert.equal(stretch.vulnerabilities[0]!.severity, 'LOW');
    // fluentd: the gem's source is ghsa (3, HIGH) though nvd says CRITICAL (4).
    const fluentd = buildReportData(golden('fluentd-gems'), { ...base, image: 'fluent/fluentd:v1.8' });
    assert.deepEqual(
      fluentd.vulnerabilities.map((v) => v.severity),
      ['CRITICAL', 'HIGH'],
    );
  });

  test('score: a non-nvd vendor V3 score wins, then nvd; chosen deterministically by vendor name', () => {
    const alpine = buildReportData(golden('alpine-310'), { ...base, image: 'alpine:3.10' });
    // nvd 5.3, redhat 4.8 → redhat
    assert.deepEqual(
      alpine.vulnerabilities.map((v) => v.score),
      [4.8, 4.8, 4.8, 4.8],
    );
    const cocoapods = buildReportData(golden('cocoapods'), { ...base, image: 'app:1' });
    assert.equal(cocoapods.vulnerabilities[0]!.score, 5.3, 'ghsa only');
    const suse = buildReportData(golden('opensuse-leap-151'), { ...base, image: 'opensuse/leap:15.1' });
    assert.equal(suse.vulnerabilities[0]!.score, undefined, 'no CVSS → no score');
    assert.ok(!('score' in suse.vulnerabilities[0]!));
    assert.equal(suse.vulnerabilities[0]!.publishedDate, '', 'absent dates are ""');
    assert.equal(suse.vulnerabilities[0]!.lastModifiedDate, '');
    assert.deepEqual(
      suse.os,
      { family: 'opensuse-leap', name: '15.1', eosl: true },
      'EOSL as Trivy spells it',
    );

    assert.equal(pickScore({ nvd: { V3Score: 9.8 }, redhat: { V3Score: 5.6 }, amazon: { V3Score: 7 } }), 7);
    assert.equal(pickScore({ redhat: { V3Score: 5.6 }, nvd: { V3Score: 9.8 }, amazon: { V3Score: 7 } }), 7);
    assert.equal(pickScore({ amazon: { V2Score: 5 }, nvd: { V3Score: 9.8 }, redhat: { V3Score: 5.6 } }), 5.6);
    assert.equal(pickScore({ amazon: { V2Score: 5 }, nvd: { V3Score: 9.8 } }), 9.8);
    assert.equal(pickScore({ amazon: { V2Score: 5 } }), undefined);
  });

  test('additional fields: Description, Links, CVSS, Target, Class, PackageType, PackagePath only when listed', () => {
    const report = golden('fluentd-gems');
    const all = buildReportData(report, {
      ...base,
      image: 'fluent/fluentd:v1.8',
      additionalFields: ['Description', 'Links', 'CVSS', 'Target', 'Class', 'PackageType', 'PackagePath'],
    });
    const gem = all.vulnerabilities[1]!;
    const source = report.Results![1]!.Vulnerabilities![0]!;
    assert.equal(gem.description, source.Description);
    assert.deepEqual(gem.links, source.References);
    assert.deepEqual(gem.cvss, source.CVSS);
    assert.equal(gem.target, 'Ruby');
    assert.equal(gem.class, 'lang-pkgs');
    assert.equal(gem.packageType, 'gemspec');
    assert.equal(gem.packagePath, 'var/lib/gems/2.5.0/specifications/activesupport-6.0.2.1.gemspec');
    assert.equal(gem.packagePURL, 'pkg:gem/activesupport@6.0.2.1');
    assert.equal(gem.fixedVersion, '6.0.3.1, 5.2.4.3');
    const os = all.vulnerabilities[0]!;
    assert.equal(os.target, 'testdata/fixtures/images/fluentd-multiple-lockfiles.tar.gz (debian 10.2)');
    assert.equal(os.packageType, 'debian');
    assert.equal(os.packagePath, undefined, 'no PkgPath in the source');

    const some = buildReportData(report, { ...base, image: 'x', additionalFields: ['links', ' cvss '] });
    const v = some.vulnerabilities[1]!;
    assert.deepEqual(v.links, source.References, 'names compare case-insensitively, trimmed');
    assert.ok(v.cvss);
    for (const key of ['description', 'target', 'class', 'packageType', 'packagePath'])
      assert.ok(!(key in v), `${key} left out`);
  });

  test('artifact: go-containerregistry reading of references; digest from the reference or RepoDigests[0]', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const other = `sha256:${'b'.repeat(64)}`;
    assert.deepEqual(imageArtifact('nginx'), {
      registry: { server: 'index.docker.io' },
      artifact: { repository: 'library/nginx', tag: 'latest' },
    });
    assert.deepEqual(imageArtifact('docker.io/bitnami/redis:7.2', `bitnami/redis@${other}`), {
      registry: { server: 'index.docker.io' },
      artifact: { repository: 'bitnami/redis', tag: '7.2', digest: other },
    });
    assert.deepEqual(imageArtifact(`ghcr.io/org/app:1.0@${digest}`, `ghcr.io/org/app@${other}`), {
      registry: { server: 'ghcr.io' },
      artifact: { repository: 'org/app', tag: '1.0', digest },
    });
    assert.deepEqual(imageArtifact(`127.0.0.1:5000/app@${digest}`), {
      registry: { server: '127.0.0.1:5000' },
      artifact: { repository: 'app', digest },
    });
    assert.throws(() => imageArtifact('Bad Image!'), /Bad Image!/);

    const report = golden('debian-buster');
    report.Metadata!.RepoDigests = [`ghcr.io/aquasecurity/trivy-test-images@${other}`];
    const data = buildReportData(report, {
      ...base,
      image: 'ghcr.io/aquasecurity/trivy-test-images:debian-buster',
    });
    assert.deepEqual(data.artifact, {
      repository: 'aquasecurity/trivy-test-images',
      tag: 'debian-buster',
      digest: other,
    });
  });

  test('dates are RFC 3339 to the second, as Go formats them', () => {
    assert.equal(rfc3339('2023-06-07T16:01:53.123456Z'), '2023-06-07T16:01:53Z');
    assert.equal(rfc3339('2023-06-07T16:01:53+02:00'), '2023-06-07T16:01:53+02:00');
    assert.equal(rfc3339('2023-06-07T16:01:53+00:00'), '2023-06-07T16:01:53Z');
    assert.equal(rfc3339(undefined), '');
    assert.equal(rfc3339('garbage'), '');
  });

  test('a report with no findings (cargo.lock) has an empty list and a zero summary; every golden builds', () => {
    const cargo = buildReportData(golden('cargo.lock'), { ...base, image: 'app:1' });
    assert.deepEqual(cargo.vulnerabilities, []);
    assert.equal(cargo.summary.criticalCount + cargo.summary.unknownCount, 0);
    for (const name of ['almalinux-8', 'centos-7', 'ubuntu-1804', 'photon-30', 'npm', 'pip', 'mariner-1.0']) {
      const trivy = golden(name);
      const data = buildReportData(trivy, { ...base, image: 'app:1' });
      const count = (trivy.Results ?? []).reduce((n, r) => n + (r.Vulnerabilities?.length ?? 0), 0);
      const s = data.summary;
      assert.equal(data.vulnerabilities.length, count, name);
      assert.equal(s.criticalCount + s.highCount + s.mediumCount + s.lowCount + s.unknownCount, count, name);
    }
  });
});

describe('failedReportData', () => {
  test('empty findings, zero summary, artifact from the reference; an unparsable reference is kept as is', () => {
    const data = failedReportData({ image: 'nginx:1.25', now: NOW, scannerVersion: '0.72.0' });
    assert.deepEqual(data, {
      updateTimestamp: '2026-03-04T05:06:07Z',
      scanner: { name: 'Trivy', vendor: 'Aqua Security', version: '0.72.0' },
      registry: { server: 'index.docker.io' },
      artifact: { repository: 'library/nginx', tag: '1.25' },
      os: {},
      summary: { criticalCount: 0, highCount: 0, mediumCount: 0, lowCount: 0, unknownCount: 0, noneCount: 0 },
      vulnerabilities: [],
    });
    const bad = failedReportData({ image: 'NOT VALID', now: NOW, scannerVersion: 'x' });
    assert.deepEqual(bad.artifact, { repository: 'NOT VALID' });
    assert.equal(bad.registry, undefined);
  });
});
