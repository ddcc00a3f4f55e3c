import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { DetectedVulnerability } from '../detect/index.js';
import { filterReport } from './filter.js';
import { createIgnoreMatcher, IgnoreFileError, loadIgnoreFile, parseIgnoreFile } from './ignore.js';
import type { Report } from './model.js';

const NOW = Date.UTC(2026, 10, 27, 12);

function ids(text: string, file = '.trivyignore'): string[] {
  return parseIgnoreFile(text, file, NOW).vulnerabilities.map((e) => e.id);
}

describe('plain .trivyignore', () => {
  test('one ID per line; blank lines and # comments skipped; CRLF and surrounding spaces read', () => {
    assert.deepEqual(ids('# accepted risks\nCVE-2023-45853\r\n\n   GHSA-xxxx-yyyy  \n#CVE-0000-0000\n'), [
      'CVE-2023-45853',
      'GHSA-xxxx-yyyy',
    ]);
  });

  test('exp:YYYY-MM-DD keeps an entry until that day; a past or unreadable date drops the line', () => {
    assert.deepEqual(
      ids(
        [
          'CVE-1 exp:2027-01-01',
          'CVE-2 exp:2026-11-27', // midnight of today (UTC) has passed at noon
          'CVE-3 exp:2026-02-30', // not a calendar date
          'CVE-4 exp:tomorrow',
          'CVE-5 note exp:2030-12-31',
        ].join('\n'),
      ),
      ['CVE-1', 'CVE-5'],
    );
  });

  test('a missing file is no rules; a directory is an error naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-ignore-'));
    after(() => rm(dir, { recursive: true, force: true }));
    assert.deepEqual((await loadIgnoreFile(join(dir, '.trivyignore'), NOW)).vulnerabilities, []);
    await assert.rejects(loadIgnoreFile(dir, NOW), (error: unknown) => {
      assert.ok(error instanceof IgnoreFileError);
      assert.match(error.message, new RegExp(`ignore file ${dir}: cannot be read \\(EISDIR\\)`));
      return true;
    });
    const file = join(dir, 'list');
    await writeFile(file, 'CVE-2023-45853\n');
    assert.deepEqual(
      (await loadIgnoreFile(file, NOW)).vulnerabilities.map((e) => e.id),
      ['CVE-2023-45853'],
    );
  });
});

describe('.trivyignore.yaml', () => {
  const yaml = `
vulnerabilities:
  - id: CVE-2023-45853
    statement: zlib's minizip is not used
  - id: CVE-2015-6420
    paths: ["app/**/*.jar"]
  - id: CVE-2021-25900
    purls: ["pkg:cargo/smallvec@1.6.0"]
  - id: CVE-2022-1292
    purls: ["pkg:rpm/alma/openssl?arch=x86_64"]
  - id: CVE-OLD
    expired_at: 2020-01-01
  - id: CVE-LATER
    expired_at: 2030-01-01
misconfigurations:
  - id: AVD-KSV-0001
`;
  const rules = parseIgnoreFile(yaml, '.trivyignore.yaml', NOW);
  const match = createIgnoreMatcher(rules);

  test('entries with statements; expired ones dropped; other sections not applied', () => {
    assert.deepEqual(
      rules.vulnerabilities.map((e) => e.id),
      ['CVE-2023-45853', 'CVE-2015-6420', 'CVE-2021-25900', 'CVE-2022-1292', 'CVE-LATER'],
    );
    assert.equal(match({ id: 'CVE-2023-45853', target: 'x' })?.statement, "zlib's minizip is not used");
    assert.equal(match({ id: 'AVD-KSV-0001', target: 'x' }), undefined);
    assert.equal(match({ id: 'CVE-OLD', target: 'x' }), undefined);
  });

  test('paths are doublestar globs over the target, then the package path', () => {
    const id = 'CVE-2015-6420';
    assert.ok(match({ id, target: 'Java', pkgPath: 'app/lib/deep/commons-collections-3.2.1.jar' }));
    assert.ok(match({ id, target: 'app/x.jar' }));
    assert.equal(match({ id, target: 'Java', pkgPath: 'opt/lib/commons-collections-3.2.1.jar' }), undefined);
    assert.equal(match({ id, target: 'Java' }), undefined);
  });

  test('purls: type, namespace and name; version and qualifiers only when the rule has them', () => {
    assert.ok(match({ id: 'CVE-2021-25900', target: 't', purl: 'pkg:cargo/smallvec@1.6.0' }));
    assert.equal(match({ id: 'CVE-2021-25900', target: 't', purl: 'pkg:cargo/smallvec@1.6.1' }), undefined);
    assert.ok(
      match({
        id: 'CVE-2022-1292',
        target: 't',
        purl: 'pkg:rpm/alma/openssl@3.0.1-23.el9_0?arch=x86_64&distro=alma-9.0&epoch=1',
      }),
    );
    assert.equal(
      match({ id: 'CVE-2022-1292', target: 't', purl: 'pkg:rpm/alma/openssl@3.0.1?arch=aarch64' }),
      undefined,
    );
    assert.equal(match({ id: 'CVE-2022-1292', target: 't', purl: 'pkg:rpm/alma/openssl-libs@3' }), undefined);
    assert.ok(match({ id: 'CVE-2022-1292', target: 't' }), 'a finding without a PURL is matched by ID');
  });

  test('malformed files are IgnoreFileErrors naming the file and the entry', () => {
    const bad: Array<[string, RegExp]> = [
      ['vulnerabilities: [', /\.trivyignore\.yaml: is not valid YAML/],
      ['- CVE-1', /must be a mapping with a "vulnerabilities" list/],
      ['vulnerabilities: CVE-1', /"vulnerabilities" must be a list/],
      ['vulnerabilities:\n  - statement: x', /vulnerabilities\[0\]\.id must be a vulnerability ID/],
      [
        'vulnerabilities:\n  - id: A\n    paths: ["a/[b"]',
        /vulnerabilities\[0\]\.paths has the invalid pattern "a\/\[b"/,
      ],
      [
        'vulnerabilities:\n  - id: A\n    purls: ["not a purl"]',
        /vulnerabilities\[0\]\.purls has "not a purl"/,
      ],
      ['vulnerabilities:\n  - id: A\n    expired_at: soon', /expired_at "soon" is not a date/],
      ['vulnerabilities:\n  - id: A\n    paths: x', /paths must be a list of strings/],
    ];
    for (const [text, message] of bad) {
      assert.throws(
        () => parseIgnoreFile(text, '.trivyignore.yaml', NOW),
        (error: unknown) => error instanceof IgnoreFileError && message.test(error.message),
        text,
      );
    }
    assert.deepEqual(ids('', 'empty.yml'), []);
  });
});

test('filterReport leaves out what the ignore file names, per result target', () => {
  const v = (id: string, extra: Partial<DetectedVulnerability> = {}): DetectedVulnerability => ({
    VulnerabilityID: id,
    PkgName: 'p',
    InstalledVersion: '1',
    Severity: 'HIGH',
    ...extra,
  });
  const report = {
    SchemaVersion: 2,
    Results: [
      { Target: 'img (debian 12.1)', Class: 'os-pkgs', Vulnerabilities: [v('CVE-A'), v('CVE-B')] },
      {
        Target: 'app/package-lock.json',
        Class: 'lang-pkgs',
        Vulnerabilities: [v('CVE-B'), v('CVE-C', { PkgPath: 'app/node_modules/p/package.json' })],
      },
    ],
  } as unknown as Report;
  const rules = parseIgnoreFile(
    'vulnerabilities:\n  - id: CVE-B\n    paths: ["app/*.json"]\n  - id: CVE-A\n  - id: CVE-C\n',
    'i.yaml',
    NOW,
  );
  const filtered = filterReport(report, { ignore: createIgnoreMatcher(rules) });
  assert.deepEqual(
    filtered.Results?.map((r) => (r.Vulnerabilities ?? []).map((x) => x.VulnerabilityID)),
    [['CVE-B'], []],
  );
  assert.equal(
    filtered.Results?.[1]?.Vulnerabilities,
    undefined,
    'an emptied result has no list, as in Trivy',
  );
});
