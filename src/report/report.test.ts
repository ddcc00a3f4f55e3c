// Report assembly (ArtifactID, fingerprints, ReportID, metadata), filtering, the exit code and the table.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DetectedVulnerability } from '../detect/index.js';
import { buildReport, containerArtifactId, uuidV7, vulnerabilityFingerprint } from './build.js';
import { exitCodeFor } from './exit-code.js';
import { filterReport, filterVulnerabilities, ignoredStatuses } from './filter.js';
import type { Report } from './model.js';
import { renderTable, severityTotals } from './table.js';

describe('identity', () => {
  test("ArtifactID and Fingerprint as in Trivy's debian-buster golden", () => {
    const artifactId = containerArtifactId(
      'sha256:c2c03a296d2329a4f3ab72a7bf38b78a8a80108204d326b0139d6af700e152d1',
      'ghcr.io/aquasecurity/trivy-test-images',
    );
    assert.equal(artifactId, 'sha256:b75d2c78a42eae6eaa44e99638ba5fa36900538fa0b7a4feba19d18dd588552d');
    assert.equal(
      vulnerabilityFingerprint(
        artifactId,
        'testdata/fixtures/images/debian-buster.tar.gz (debian 10.1)',
        'bash@5.0-4',
        'CVE-2019-18276',
      ),
      'sha256:cafe98610a3a511390be596c1d90dc529b57bb1159885872be88e33a85bb2a15',
    );
  });

  test('without a repository the image ID is the artifact ID; without an image ID there is none', () => {
    assert.equal(containerArtifactId('sha256:abc', undefined), 'sha256:abc');
    assert.equal(containerArtifactId('', 'index.docker.io/library/alpine'), '');
  });

  test('ReportID is a UUID version 7 carrying the time', () => {
    const id = uuidV7(0x017b7d41e09f, Buffer.from('00112233445566778899', 'hex'));
    assert.equal(id, '017b7d41-e09f-7011-a233-445566778899');
    assert.match(uuidV7(), /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(uuidV7(), uuidV7());
  });

  test('buildReport: size from layers, no CreatedBy, no OS when none detected, fingerprints filled', () => {
    const report = buildReport({
      artifactName: 'alpine:3.19',
      artifactType: 'container_image',
      createdAt: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 120)),
      os: { Family: '', Name: '' },
      image: {
        ImageID: 'sha256:abc',
        RepositoryContext: 'index.docker.io/library/alpine',
        RepoTags: ['alpine:3.19'],
      },
      layers: [
        { Size: 5, Digest: 'sha256:1', DiffID: 'sha256:2', CreatedBy: 'ADD x /' },
        { Size: 7, Digest: 'sha256:3', DiffID: 'sha256:4' },
      ],
      results: [
        {
          Target: 'Node.js',
          Class: 'lang-pkgs',
          Type: 'node-pkg',
          Packages: [],
          Vulnerabilities: [{ VulnerabilityID: 'CVE-1', PkgID: 'a@1' }],
        },
      ],
    });
    assert.equal(report.SchemaVersion, 2);
    assert.equal(report.CreatedAt, '2024-01-02T03:04:05.12Z');
    assert.equal(report.Metadata?.Size, 12);
    assert.equal(report.Metadata?.OS, undefined);
    assert.deepEqual(report.Metadata?.Layers, [
      { Size: 5, Digest: 'sha256:1', DiffID: 'sha256:2' },
      { Size: 7, Digest: 'sha256:3', DiffID: 'sha256:4' },
    ]);
    const artifactId = containerArtifactId('sha256:abc', 'index.docker.io/library/alpine');
    assert.equal(report.ArtifactID, artifactId);
    assert.equal(
      report.Results?.[0]?.Vulnerabilities?.[0]?.Fingerprint,
      vulnerabilityFingerprint(artifactId, 'Node.js', 'a@1', 'CVE-1'),
    );
    const fs = buildReport({ artifactName: '.', artifactType: 'filesystem', results: [] });
    assert.equal(fs.ArtifactID, undefined);
  });
});

function v(id: string, extra: Partial<DetectedVulnerability> = {}): DetectedVulnerability {
  return {
    VulnerabilityID: id,
    PkgName: 'p',
    PkgID: 'p@1',
    InstalledVersion: '1',
    Status: 'fixed',
    Severity: 'LOW',
    ...extra,
  };
}

describe('filtering', () => {
  test('--severity keeps the listed severities; a missing severity counts as UNKNOWN', () => {
    const vulns = [
      v('A', { Severity: 'HIGH' }),
      v('B', { Severity: 'LOW' }),
      v('C', { Severity: undefined }),
    ];
    assert.deepEqual(
      filterVulnerabilities(vulns, { severities: ['HIGH', 'UNKNOWN'] }).map((x) => [
        x.VulnerabilityID,
        x.Severity,
      ]),
      [
        ['A', 'HIGH'],
        ['C', 'UNKNOWN'],
      ],
    );
  });

  test('--ignore-unfixed keeps only fixed; --ignore-status wins over it', () => {
    const vulns = [
      v('A', { Status: 'fixed' }),
      v('B', { Status: 'affected' }),
      v('C', { Status: 'will_not_fix' }),
      v('D', { Status: 'end_of_life' }),
    ];
    assert.deepEqual(
      filterVulnerabilities(vulns, { ignoreUnfixed: true }).map((x) => x.VulnerabilityID),
      ['A'],
    );
    assert.deepEqual(
      filterVulnerabilities(vulns, { ignoreUnfixed: true, ignoreStatuses: ['will_not_fix'] }).map(
        (x) => x.VulnerabilityID,
      ),
      ['A', 'B', 'D'],
    );
    assert.deepEqual(ignoredStatuses({ ignoreUnfixed: true }), [
      'unknown',
      'not_affected',
      'affected',
      'under_investigation',
      'will_not_fix',
      'fix_deferred',
      'end_of_life',
    ]);
  });

  test('duplicates collapse to the larger fixed version, whatever the order', () => {
    const a = v('CVE-1', { FixedVersion: '1.2' });
    const b = v('CVE-1', { FixedVersion: '1.10' });
    assert.equal(filterVulnerabilities([a, b])[0]?.FixedVersion, '1.2');
    assert.equal(filterVulnerabilities([b, a])[0]?.FixedVersion, '1.2');
    assert.equal(filterVulnerabilities([a, v('CVE-1', { FixedVersion: '1.2', PkgPath: 'x' })]).length, 2);
  });

  test('sorted by package name, package ID, installed version, severity (highest first), ID, path', () => {
    const vulns = [
      v('CVE-3', { PkgName: 'b', Severity: 'LOW' }),
      v('CVE-2', { PkgName: 'a', PkgID: 'a@2', Severity: 'LOW' }),
      v('CVE-9', { PkgName: 'a', PkgID: 'a@1', Severity: 'LOW' }),
      v('CVE-1', { PkgName: 'a', PkgID: 'a@1', Severity: 'CRITICAL' }),
      v('CVE-8', { PkgName: 'a', PkgID: 'a@1', Severity: 'LOW', PkgPath: 'z' }),
      v('CVE-8', { PkgName: 'a', PkgID: 'a@1', Severity: 'LOW', PkgPath: 'b' }),
    ];
    assert.deepEqual(
      filterVulnerabilities(vulns).map((x) => `${x.PkgID} ${x.VulnerabilityID} ${x.PkgPath ?? ''}`),
      ['a@1 CVE-1 ', 'a@1 CVE-8 b', 'a@1 CVE-8 z', 'a@1 CVE-9 ', 'a@2 CVE-2 ', 'p@1 CVE-3 '],
    );
  });

  test('filterReport drops emptied vulnerability lists and keeps the results', () => {
    const report: Report = {
      SchemaVersion: 2,
      Results: [{ Target: 't', Class: 'os-pkgs', Vulnerabilities: [v('A', { Status: 'affected' })] }],
    };
    const filtered = filterReport(report, { ignoreUnfixed: true });
    assert.deepEqual(filtered.Results, [{ Target: 't', Class: 'os-pkgs', Vulnerabilities: undefined }]);
    assert.equal(report.Results?.[0]?.Vulnerabilities?.length, 1, 'the input is not changed');
  });
});

describe('exit code', () => {
  const clean: Report = { SchemaVersion: 2, Results: [{ Target: 't' }] };
  const dirty: Report = { SchemaVersion: 2, Results: [{ Target: 't', Vulnerabilities: [v('A')] }] };
  const eol: Report = { ...clean, Metadata: { OS: { Family: 'debian', Name: '9', Eosl: true } } };

  test('--exit-code when a finding remains, --exit-on-eol for an end-of-life OS', () => {
    assert.equal(exitCodeFor(dirty, {}), 0);
    assert.equal(exitCodeFor(dirty, { exitCode: 5 }), 5);
    assert.equal(exitCodeFor(clean, { exitCode: 5 }), 0);
    assert.equal(exitCodeFor(eol, { exitCode: 5, exitOnEol: 3 }), 3);
    assert.equal(exitCodeFor({ ...dirty, Metadata: eol.Metadata }, { exitCode: 5 }), 5);
  });
});

describe('table', () => {
  const report: Report = {
    SchemaVersion: 2,
    ArtifactName: 'alpine:3.9',
    Results: [
      {
        Target: 'alpine:3.9 (alpine 3.9.4)',
        Class: 'os-pkgs',
        Type: 'alpine',
        Vulnerabilities: [
          v('CVE-2019-1549', {
            PkgName: 'libcrypto1.1',
            InstalledVersion: '1.1.1b-r1',
            FixedVersion: '1.1.1d-r0',
            Severity: 'MEDIUM',
            Title: 'openssl: information disclosure in fork()',
            PrimaryURL: 'https://avd.aquasec.com/nvd/cve-2019-1549',
          }),
          v('CVE-2019-1551', {
            PkgName: 'libcrypto1.1',
            InstalledVersion: '1.1.1b-r1',
            FixedVersion: '1.1.1d-r2',
            Severity: 'MEDIUM',
            Description: 'one two three four five six seven eight nine ten eleven twelve thirteen',
          }),
          v('CVE-2019-14697', {
            PkgName: 'musl',
            InstalledVersion: '1.1.20-r4',
            FixedVersion: '1.1.20-r5',
            Severity: 'CRITICAL',
            Title: 'musl: x87 stack overflow',
          }),
        ],
      },
      {
        Target: 'Java',
        Class: 'lang-pkgs',
        Type: 'jar',
        Vulnerabilities: [
          v('CVE-2022-22965', {
            PkgName: 'org.springframework:spring-beans',
            PkgPath: 'usr/local/tomcat/webapps/helloworld.war/WEB-INF/lib/spring-beans-5.3.15.jar',
            InstalledVersion: '5.3.15',
            FixedVersion: '5.3.18',
            Title: 'spring',
          }),
        ],
      },
      { Target: 'Python', Class: 'lang-pkgs', Type: 'python-pkg' },
    ],
  };

  test('summary, a header and totals per target with findings, merged cells, twelve-word titles', () => {
    const expected = [
      '',
      'Report Summary',
      '',
      '┌───────────────────────────┬────────────┬─────────────────┐',
      '│          Target           │    Type    │ Vulnerabilities │',
      '├───────────────────────────┼────────────┼─────────────────┤',
      '│ alpine:3.9 (alpine 3.9.4) │   alpine   │        3        │',
      '├───────────────────────────┼────────────┼─────────────────┤',
      '│ Java                      │    jar     │        1        │',
      '├───────────────────────────┼────────────┼─────────────────┤',
      '│ Python                    │ python-pkg │        0        │',
      '└───────────────────────────┴────────────┴─────────────────┘',
      'Legend:',
      "- '-': Not scanned",
      "- '0': Clean (no security findings detected)",
      '',
      '',
      'alpine:3.9 (alpine 3.9.4)',
      '=========================',
      'Total: 3 (LOW: 0, MEDIUM: 2, HIGH: 0, CRITICAL: 1)',
      '',
      '┌──────────────┬────────────────┬──────────┬────────┬───────────────────┬───────────────┬───────────────────────────────────────────────────────────────────┐',
      '│   Library    │ Vulnerability  │ Severity │ Status │ Installed Version │ Fixed Version │                               Title                               │',
      '├──────────────┼────────────────┼──────────┼────────┼───────────────────┼───────────────┼───────────────────────────────────────────────────────────────────┤',
      '│ libcrypto1.1 │ CVE-2019-1549  │ MEDIUM   │ fixed  │ 1.1.1b-r1         │ 1.1.1d-r0     │ openssl: information disclosure in fork()                         │',
      '│              │                │          │        │                   │               │ https://avd.aquasec.com/nvd/cve-2019-1549                         │',
      '│              ├────────────────┤          │        │                   ├───────────────┼───────────────────────────────────────────────────────────────────┤',
      '│              │ CVE-2019-1551  │          │        │                   │ 1.1.1d-r2     │ one two three four five six seven eight nine ten eleven twelve... │',
      '├──────────────┼────────────────┼──────────┤        ├───────────────────┼───────────────┼───────────────────────────────────────────────────────────────────┤',
      '│ musl         │ CVE-2019-14697 │ CRITICAL │        │ 1.1.20-r4         │ 1.1.20-r5     │ musl: x87 stack overflow                                          │',
      '└──────────────┴────────────────┴──────────┴────────┴───────────────────┴───────────────┴───────────────────────────────────────────────────────────────────┘',
      '',
      'Java (jar)',
      '==========',
      'Total: 1 (LOW: 1, MEDIUM: 0, HIGH: 0, CRITICAL: 0)',
      '',
      '┌───────────────────────────────────────────────────┬────────────────┬──────────┬────────┬───────────────────┬───────────────┬────────┐',
      '│                      Library                      │ Vulnerability  │ Severity │ Status │ Installed Version │ Fixed Version │ Title  │',
      '├───────────────────────────────────────────────────┼────────────────┼──────────┼────────┼───────────────────┼───────────────┼────────┤',
      '│ org.springframework:spring-beans (helloworld.war) │ CVE-2022-22965 │ LOW      │ fixed  │ 5.3.15            │ 5.3.18        │ spring │',
      '└───────────────────────────────────────────────────┴────────────────┴──────────┴────────┴───────────────────┴───────────────┴────────┘',
      '',
    ].join('\n');
    assert.equal(renderTable(report, { severities: ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] }), expected);
  });

  test('no colours unless asked; colours name the severity', () => {
    const plain = renderTable(report);
    assert.doesNotMatch(plain, /\u001b\[/);
    const coloured = renderTable(report, { color: true });
    assert.match(coloured, /\u001b\[31mCRITICAL\u001b\[0m/);
    assert.match(coloured, /\u001b\[4m\u001b\[1mJava \(jar\)\u001b\[0m/);
    // Colour codes take no room: the border lines are as wide as without colours.
    const width = (text: string) =>
      Math.max(
        ...text
          .replace(/\u001b\[[0-9;]*m/g, '')
          .split('\n')
          .map((l) => [...l].length),
      );
    assert.equal(width(coloured), width(plain));
  });

  test('totals list exactly the requested severities, in severity order', () => {
    const result = report.Results?.[0];
    assert.ok(result);
    assert.equal(severityTotals(result, ['CRITICAL', 'UNKNOWN']), 'Total: 1 (UNKNOWN: 0, CRITICAL: 1)');
  });

  test('an empty report still prints the summary', () => {
    assert.match(renderTable({ SchemaVersion: 2 }), /│ {3}- {4}│ {2}- {3}│ {8}- {8}│/);
  });
});
