// FillInfo: status, details, severity selection and primary URLs, on vulnerabilities built by hand against
// the vulnerability entries of testdata/extra-db.yaml (and one of Trivy's fixtures).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fillInfo, primaryUrl } from './fill-info.js';
import { extraFixture, type FixtureDb, openFixtureDb } from './testkit.js';
import type { DetectedVulnerability } from './types.js';

let fixture: FixtureDb;
before(async () => {
  fixture = await openFixtureDb([extraFixture()]);
});
after(async () => {
  await fixture.close();
});

async function fill(v: DetectedVulnerability, severitySources?: string[]): Promise<DetectedVulnerability> {
  const copy = { ...v };
  await fillInfo(fixture.db, [copy], { severitySources });
  return copy;
}

describe('status', () => {
  test('a fix makes it fixed, whatever the vendor said; no status becomes affected', async () => {
    assert.equal(
      (await fill({ VulnerabilityID: 'CVE-2099-0001', FixedVersion: '1.0', Status: 'will_not_fix' })).Status,
      'fixed',
    );
    assert.equal((await fill({ VulnerabilityID: 'CVE-2099-0001' })).Status, 'affected');
    assert.equal(
      (await fill({ VulnerabilityID: 'CVE-2099-0001', Status: 'end_of_life' })).Status,
      'end_of_life',
    );
  });
});

describe('severity selection', () => {
  test("auto: the data source's own rating first", async () => {
    const v = await fill({
      VulnerabilityID: 'CVE-2099-0120',
      DataSource: { ID: 'nodejs-security-wg', Name: 'Node.js Ecosystem Security Working Group' },
    });
    assert.equal(v.Severity, 'MEDIUM');
    assert.equal(v.SeveritySource, 'nodejs-security-wg');
    assert.equal(v.Title, 'lodash prototype pollution');
    assert.deepEqual(v.VendorSeverity, { 'nodejs-security-wg': 2, nvd: 3 });
  });

  test('auto: BaseID wins over ID; then NVD', async () => {
    const base = await fill({
      VulnerabilityID: 'CVE-2099-0003',
      DataSource: { ID: 'rootio', BaseID: 'debian' },
    });
    assert.deepEqual([base.Severity, base.SeveritySource], ['LOW', 'debian']);
    const other = await fill({ VulnerabilityID: 'CVE-2099-0003', DataSource: { ID: 'alpine' } });
    assert.deepEqual([other.Severity, other.SeveritySource], ['HIGH', 'nvd']);
  });

  test('auto: GitHub rates GHSA IDs before NVD; other IDs never borrow GitHub', async () => {
    const ghsa = await fill({ VulnerabilityID: 'GHSA-test-zope', DataSource: { ID: 'osv' } });
    assert.deepEqual([ghsa.Severity, ghsa.SeveritySource], ['MEDIUM', 'ghsa']);
    const cve = await fill({ VulnerabilityID: 'CVE-2099-0140', DataSource: { ID: 'govulndb' } });
    assert.deepEqual([cve.Severity, cve.SeveritySource], ['UNKNOWN', undefined]);
  });

  test('auto: the deprecated severity, with no source, as a last resort', async () => {
    const v = await fill({ VulnerabilityID: 'TEMP-0000000-ABCDEF', DataSource: { ID: 'debian' } });
    assert.deepEqual([v.Severity, v.SeveritySource], ['LOW', undefined]);
    assert.equal(v.Description, 'a temporary Debian identifier');
  });

  test('an explicit source list is walked in order; "auto" inside it switches to the automatic choice', async () => {
    const base: DetectedVulnerability = { VulnerabilityID: 'CVE-2099-0001', DataSource: { ID: 'debian' } };
    assert.deepEqual(
      [(await fill(base, ['ubuntu', 'nvd'])).Severity, (await fill(base, ['ubuntu', 'nvd'])).SeveritySource],
      ['LOW', 'ubuntu'],
    );
    assert.deepEqual(
      [(await fill(base, ['redhat'])).Severity, (await fill(base, ['redhat'])).SeveritySource],
      ['UNKNOWN', undefined],
    );
    const auto = await fill(base, ['redhat', 'auto']);
    assert.deepEqual([auto.Severity, auto.SeveritySource], ['CRITICAL', 'nvd']);
  });

  test("a driver's package severity wins and is written into VendorSeverity", async () => {
    const v = await fill({
      VulnerabilityID: 'CVE-2099-0003',
      DataSource: { ID: 'debian' },
      SeveritySource: 'debian',
      Severity: 'HIGH',
    });
    assert.deepEqual([v.Severity, v.SeveritySource], ['HIGH', 'debian']);
    assert.deepEqual(v.VendorSeverity, { debian: 3, nvd: 3 });
  });

  test('unknown vulnerability IDs keep a severity (UNKNOWN by default) and get no details', async () => {
    const unknown = await fill({ VulnerabilityID: 'CVE-2099-9999', DataSource: { ID: 'debian' } });
    assert.equal(unknown.Severity, 'UNKNOWN');
    assert.equal(unknown.PrimaryURL, undefined);
    assert.equal(unknown.Title, undefined);
    const rated = await fill({ VulnerabilityID: 'CVE-2099-9999', SeveritySource: 'redhat', Severity: 'LOW' });
    assert.deepEqual([rated.Severity, rated.SeveritySource], ['LOW', 'redhat']);
  });

  test('an undecodable entry costs the details, not the scan (Trivy only warns)', async () => {
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, warn: (message: string) => void warnings.push(message) };
    const broken: DetectedVulnerability = { VulnerabilityID: 'CVE-2099-0999', DataSource: { ID: 'debian' } };
    await fillInfo(fixture.db, [broken], { logger });
    assert.equal(broken.Severity, 'UNKNOWN');
    assert.equal(broken.Title, undefined);
    assert.deepEqual(warnings, ['Unable to get vulnerability details (CVE may be rejected)']);
  });

  test('details are copies: filling one finding does not change another', async () => {
    const a: DetectedVulnerability = {
      VulnerabilityID: 'CVE-2099-0003',
      SeveritySource: 'debian',
      Severity: 'CRITICAL',
    };
    const b: DetectedVulnerability = { VulnerabilityID: 'CVE-2099-0003', DataSource: { ID: 'debian' } };
    await fillInfo(fixture.db, [a, b]);
    assert.deepEqual(a.VendorSeverity, { debian: 4, nvd: 3 });
    assert.deepEqual(b.VendorSeverity, { debian: 1, nvd: 3 });
  });
});

describe('primary URL', () => {
  test('by ID prefix, else the first reference with a prefix of the data source', async () => {
    assert.equal(primaryUrl('CVE-2021-1234', [], ''), 'https://avd.aquasec.com/nvd/cve-2021-1234');
    assert.equal(primaryUrl('GHSA-abcd-efgh', [], ''), 'https://github.com/advisories/GHSA-abcd-efgh');
    assert.equal(primaryUrl('RUSTSEC-2099-0001', [], ''), 'https://osv.dev/vulnerability/RUSTSEC-2099-0001');
    assert.equal(primaryUrl('TEMP-1-2', [], ''), 'https://security-tracker.debian.org/tracker/TEMP-1-2');
    const dla = await fill({ VulnerabilityID: 'DLA-0000-1', DataSource: { ID: 'debian' } });
    assert.equal(dla.PrimaryURL, 'https://www.debian.org/lts/security/2099/dla-0000');
    const noPrefix = await fill({ VulnerabilityID: 'DLA-0000-1', DataSource: { ID: 'alpine' } });
    assert.equal(noPrefix.PrimaryURL, undefined);
  });
});
