// OS drivers on hand-made package lists, against Trivy's integration fixtures plus testdata/extra-db.yaml.
// Each expectation is read off the YAML by hand: which bucket the OS version selects, which name (source or
// binary) is looked up, how versions compare, and what Status/Severity/DataSource the finding carries.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createDetector, type Detector } from './detector.js';
import { DetectError } from './errors.js';
import { apk, deb, extraFixture, type FixtureDb, openFixtureDb, rpm, TRIVY_TEST_NOW } from './testkit.js';
import type { DetectedVulnerability, DetectionResult, OS, Package, Repository } from './types.js';

let fixture: FixtureDb;
before(async () => {
  fixture = await openFixtureDb([extraFixture()]);
});
after(async () => {
  await fixture.close();
});

function detector(now = TRIVY_TEST_NOW): Detector {
  return createDetector({ db: fixture.db, now: () => now });
}

async function scanOs(os: OS, packages: Package[], options: { now?: number; repository?: Repository } = {}) {
  const out = await detector(options.now).scanTarget({
    Name: 'img',
    OS: os,
    Repository: options.repository,
    Packages: packages,
    Applications: [],
  });
  return { result: out.results[0], os: out.os, results: out.results };
}

/** "pkg id installed fixed status severity source", sorted: the fields a finding is judged by. */
function lines(result: DetectionResult | undefined): string[] {
  return (result?.Vulnerabilities ?? [])
    .map((v: DetectedVulnerability) =>
      [
        v.PkgName,
        v.VulnerabilityID,
        v.InstalledVersion,
        v.FixedVersion || '-',
        v.Status,
        v.Severity,
        v.SeveritySource ?? '-',
      ].join(' '),
    )
    .sort();
}

function find(result: DetectionResult | undefined, pkg: string, id: string): DetectedVulnerability {
  const v = result?.Vulnerabilities.find((x) => x.PkgName === pkg && x.VulnerabilityID === id);
  assert.ok(v, `${pkg} ${id} not found`);
  return v;
}

const at = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d);

describe('debian', () => {
  test('source package lookup, statuses, package severity, unreadable fixed versions skipped', async () => {
    const { result, os } = await scanOs({ Family: 'debian', Name: '12.1' }, [
      deb('openssl', '3.0.10-1~deb12u1'),
      deb('libssl3', '3.0.10-1~deb12u1', { name: 'openssl' }),
    ]);
    assert.equal(result?.Target, 'img (debian 12.1)');
    assert.equal(os.Eosl, undefined);
    assert.deepEqual(lines(result), [
      'libssl3 CVE-2099-0001 3.0.10-1~deb12u1 - will_not_fix MEDIUM debian',
      'libssl3 CVE-2099-0002 3.0.10-1~deb12u1 - fix_deferred UNKNOWN -',
      'libssl3 CVE-2099-0003 3.0.10-1~deb12u1 3.0.11-1~deb12u1 fixed LOW debian',
      'libssl3 CVE-2099-0005 3.0.10-1~deb12u1 - end_of_life UNKNOWN -',
      'libssl3 TEMP-0000000-ABCDEF 3.0.10-1~deb12u1 - affected LOW -',
      'openssl CVE-2099-0001 3.0.10-1~deb12u1 - will_not_fix MEDIUM debian',
      'openssl CVE-2099-0002 3.0.10-1~deb12u1 - fix_deferred UNKNOWN -',
      'openssl CVE-2099-0003 3.0.10-1~deb12u1 3.0.11-1~deb12u1 fixed LOW debian',
      'openssl CVE-2099-0005 3.0.10-1~deb12u1 - end_of_life UNKNOWN -',
      'openssl TEMP-0000000-ABCDEF 3.0.10-1~deb12u1 - affected LOW -',
    ]);
    const wontFix = find(result, 'openssl', 'CVE-2099-0001');
    // Debian's package severity (2) replaces what the vulnerability bucket says for "debian".
    assert.deepEqual(wontFix.VendorSeverity, { debian: 2, nvd: 4, ubuntu: 1 });
    assert.deepEqual(wontFix.DataSource, {
      ID: 'debian',
      Name: 'Debian Security Tracker',
      URL: 'https://salsa.debian.org/security-tracker-team/security-tracker',
    });
    assert.deepEqual(find(result, 'openssl', 'CVE-2099-0003').VendorIDs, ['DSA-5532-1']);
    assert.equal(
      find(result, 'openssl', 'TEMP-0000000-ABCDEF').PrimaryURL,
      'https://security-tracker.debian.org/tracker/TEMP-0000000-ABCDEF',
    );
  });

  test('binary version shown, source version compared; epochs', async () => {
    // The binary was rebuilt (binNMU) with its own version; the source version decides.
    const { result } = await scanOs({ Family: 'debian', Name: '10.1' }, [
      deb('libidn2-0', '2.0.5-1+b1', { name: 'libidn2', version: '2.0.5-1' }),
      deb('libidn2-dev', '1:2.0.5-1', { name: 'libidn2', version: '2.0.5-1+deb10u1' }),
    ]);
    assert.deepEqual(lines(result), [
      'libidn2-0 CVE-2019-18224 2.0.5-1+b1 2.0.5-1+deb10u1 fixed CRITICAL nvd',
    ]);
  });

  test('third-party packages are not matched; end of life from the table', async () => {
    const thirdParty = {
      ...deb('libssl-vendor', '3.0.0-1', { name: 'openssl' }),
      Repository: { Class: 'third-party' },
    };
    const { result, os } = await scanOs({ Family: 'debian', Name: '12.1' }, [thirdParty], {
      now: at(2028, 6, 11),
    });
    assert.deepEqual(lines(result), []);
    assert.equal(result?.Packages.length, 1, 'the package is still listed');
    assert.equal(os.Eosl, true);
    const before = await scanOs({ Family: 'debian', Name: '12.1' }, [], { now: at(2028, 6, 10) });
    assert.equal(before.os.Eosl, undefined);
  });
});

describe('ubuntu', () => {
  test('ESM: the -ESM bucket when the version is on the table as ESM', async () => {
    const { result, os } = await scanOs({ Family: 'ubuntu', Name: '18.04', Extended: true }, [
      deb('bash', '4.4.18-2ubuntu1.2'),
    ]);
    assert.equal(result?.Target, 'img (ubuntu 18.04-ESM)');
    assert.deepEqual(os, { Family: 'ubuntu', Name: '18.04', Extended: true });
    assert.deepEqual(lines(result), [
      'bash CVE-2099-0010 4.4.18-2ubuntu1.2 4.4.18-2ubuntu1.3+esm1 fixed UNKNOWN -',
    ]);
  });

  test('ESM: the base bucket while standard support lasts, the -ESM bucket after', async () => {
    const pkgs = [deb('bash', '5.1-6ubuntu1')];
    const during = await scanOs({ Family: 'ubuntu', Name: '22.04', Extended: true }, pkgs);
    assert.deepEqual(lines(during.result), ['bash CVE-2022-3715 5.1-6ubuntu1 - affected HIGH nvd']);
    const afterEol = await scanOs({ Family: 'ubuntu', Name: '22.04', Extended: true }, pkgs, {
      now: at(2027, 5, 1),
    });
    assert.deepEqual(lines(afterEol.result), ['bash CVE-2099-0011 5.1-6ubuntu1 - affected UNKNOWN -']);
    // "22.04-ESM" is not on the table: supported (Trivy warns and assumes a newer version).
    assert.equal(afterEol.os.Eosl, undefined);
  });

  test('fixed and unfixed, no vendor status; end of life', async () => {
    const { result, os } = await scanOs(
      { Family: 'ubuntu', Name: '18.04' },
      [deb('bash', '4.4-5ubuntu0'), deb('e2fsprogs', '1.44.1-1ubuntu1.2')],
      { now: at(2023, 6, 1) },
    );
    assert.deepEqual(lines(result), [
      'bash CVE-2016-9401 4.4-5ubuntu0 4.4-5ubuntu1 fixed LOW ubuntu',
      'bash CVE-2019-18276 4.4-5ubuntu0 - affected LOW ubuntu',
    ]);
    assert.equal(os.Eosl, true);
  });
});

describe('alpine', () => {
  test('origin name, AffectedVersion lower bound, unfixed advisories', async () => {
    const { result } = await scanOs({ Family: 'alpine', Name: '3.18.4' }, [
      apk('curl', '7.88.1-r0'),
      apk('libcurl', '8.1.0-r0', 'curl'),
      apk('curl-doc', '8.4.0-r0', 'curl'),
    ]);
    assert.deepEqual(lines(result), [
      'curl CVE-2099-0021 7.88.1-r0 - affected UNKNOWN -',
      'curl-doc CVE-2099-0021 8.4.0-r0 - affected UNKNOWN -',
      'libcurl CVE-2099-0020 8.1.0-r0 8.4.0-r0 fixed UNKNOWN -',
      'libcurl CVE-2099-0021 8.1.0-r0 - affected UNKNOWN -',
    ]);
  });

  test('the repository release wins over the OS version; major.minor buckets', async () => {
    const pkgs = [apk('musl', '1.1.20-r4')];
    const own = await scanOs({ Family: 'alpine', Name: '3.9.4' }, pkgs);
    assert.deepEqual(lines(own.result), ['musl CVE-2019-14697 1.1.20-r4 1.1.20-r5 fixed CRITICAL nvd']);
    const mixed = await scanOs({ Family: 'alpine', Name: '3.9.4' }, pkgs, {
      repository: { Family: 'alpine', Release: '3.18.1' },
    });
    assert.deepEqual(lines(mixed.result), [], 'the alpine 3.18 bucket has no musl advisories');
    const same = await scanOs({ Family: 'alpine', Name: '3.10.2' }, [apk('musl', '1.1.20-r4')], {
      repository: { Family: 'alpine', Release: '3.10' },
    });
    assert.deepEqual(lines(same.result), ['musl CVE-2019-14697 1.1.20-r4 1.1.20-r5 fixed CRITICAL nvd']);
  });

  test('end of life by major.minor', async () => {
    assert.equal((await scanOs({ Family: 'alpine', Name: '3.10.2' }, [])).os.Eosl, true);
    assert.equal((await scanOs({ Family: 'alpine', Name: '3.14.0' }, [])).os.Eosl, undefined);
  });
});

describe('red hat', () => {
  const rhel8 = { Family: 'redhat', Name: '8.6' };
  const modular = (version: string) => ({
    ...rpm('npm', version),
    Modularitylabel: 'nodejs:12:8030020201124152102:229f0a1c',
  });

  test('modular packages are looked up as module:stream::name', async () => {
    const { result } = await scanOs(rhel8, [modular('1:6.14.8-1.12.18.4.1.module+el8.3.0+8000+cccccccc')]);
    assert.deepEqual(lines(result), [
      'npm CVE-2099-0030 1:6.14.8-1.12.18.4.1.module+el8.3.0+8000+cccccccc 1:6.14.10-1.12.19.0.1.module+el8.3.0+9000+aaaaaaaa fixed HIGH redhat',
    ]);
    const v = find(result, 'npm', 'CVE-2099-0030');
    assert.deepEqual(v.VendorIDs, ['RHSA-2099:0001']);
    assert.equal(v.DataSource, undefined, 'Red Hat findings carry no data source');
    const plain = await scanOs(rhel8, [rpm('npm', '1:8.1.0-1.el8')]);
    assert.deepEqual(lines(plain.result), [
      'npm CVE-2099-0031 1:8.1.0-1.el8 1:9.0.0-1.el8 fixed MEDIUM redhat',
    ]);
  });

  test('arch filter, highest fixed version per CVE, unpatched statuses, CPE scoping', async () => {
    const { result } = await scanOs(rhel8, [rpm('kernel-headers', '4.18.0-305.el8')]);
    assert.deepEqual(lines(result), [
      'kernel-headers CVE-2099-0041 4.18.0-305.el8 4.18.0-450.el8 fixed MEDIUM redhat',
      'kernel-headers CVE-2099-0042 4.18.0-305.el8 - under_investigation CRITICAL redhat',
    ]);
    assert.deepEqual(find(result, 'kernel-headers', 'CVE-2099-0041').VendorIDs, ['RHSA-2099:0012']);

    // noarch packages match entries of any architecture.
    const noarch = await scanOs(rhel8, [rpm('kernel-headers', '4.18.0-305.el8', 'noarch')]);
    assert.deepEqual(
      lines(noarch.result).map((l) => l.split(' ')[1]),
      ['CVE-2099-0040', 'CVE-2099-0041', 'CVE-2099-0042'],
    );

    const newer = await scanOs(rhel8, [rpm('kernel-headers', '4.18.0-460.el8')]);
    assert.deepEqual(lines(newer.result), [
      'kernel-headers CVE-2099-0042 4.18.0-460.el8 - under_investigation CRITICAL redhat',
    ]);
  });

  test('content sets from build info (generic __N suffix removed) select the CPEs', async () => {
    const pkg: Package = {
      ...rpm('kernel-headers', '4.18.0-305.el8', 'aarch64'),
      BuildInfo: {
        ContentSets: ['rhel-8-for-aarch64-special-rpms__8'],
        Nvr: 'ubi8-container-8.6-1',
        Arch: 'aarch64',
      },
    };
    const { result } = await scanOs(rhel8, [pkg]);
    assert.deepEqual(lines(result), [
      'kernel-headers CVE-2099-0043 4.18.0-305.el8 - affected CRITICAL redhat',
    ]);
  });

  test('no CPE for the content sets fails the scan, as in Trivy', async () => {
    await assert.rejects(
      scanOs({ Family: 'redhat', Name: '10.0' }, [rpm('bash', '5.2.26-1.el10')]),
      (error: unknown) =>
        error instanceof DetectError && error.code === 'DETECT_DB' && /CPE indices/.test(error.message),
    );
  });

  test('CentOS has its own end-of-life dates; RHEL 8 has none', async () => {
    assert.equal(
      (await scanOs({ Family: 'centos', Name: '8.4.2105' }, [], { now: at(2022, 1, 1) })).os.Eosl,
      true,
    );
    assert.equal(
      (await scanOs({ Family: 'redhat', Name: '8.4' }, [], { now: at(2030, 1, 1) })).os.Eosl,
      undefined,
    );
  });
});

describe('alma, rocky, oracle', () => {
  test('alma: modular names, module builds without a label skipped, only fixed issues', async () => {
    const { result } = await scanOs({ Family: 'alma', Name: '8.5' }, [
      {
        ...rpm('npm', '1:6.14.10-1.12.19.0.1.module_el8.3.0+2000+aaaaaaaa'),
        Modularitylabel: 'nodejs:12:8030020201124152102:229f0a1c',
      },
    ]);
    assert.deepEqual(lines(result), [
      'npm CVE-2099-0050 1:6.14.10-1.12.19.0.1.module_el8.3.0+2000+aaaaaaaa 1:6.14.11-1.12.21.0.1.module_el8.3.0+2000+bbbbbbbb fixed UNKNOWN -',
    ]);
    const unlabelled = await scanOs({ Family: 'alma', Name: '8.5' }, [
      rpm('npm', '1:6.14.10-1.12.19.0.1.module_el8.3.0+2000+aaaaaaaa'),
    ]);
    assert.deepEqual(lines(unlabelled.result), []);
    const plain = await scanOs({ Family: 'alma', Name: '8.5' }, [rpm('npm', '1:8.0.0-1.el8')]);
    assert.deepEqual(lines(plain.result), ['npm CVE-2099-0051 1:8.0.0-1.el8 1:9.0.0-1.el8 fixed UNKNOWN -']);
  });

  test('rocky: only entries for the package architecture', async () => {
    const x86 = await scanOs({ Family: 'rocky', Name: '8.5' }, [rpm('openssl-libs', '1:1.1.1k-4.el8')]);
    assert.deepEqual(lines(x86.result), [
      'openssl-libs CVE-2021-3712 1:1.1.1k-4.el8 1:1.1.1k-5.el8_5 fixed MEDIUM rocky',
    ]);
    const arm = await scanOs({ Family: 'rocky', Name: '8.5' }, [
      rpm('openssl-libs', '1:1.1.1k-4.el8', 'aarch64'),
    ]);
    assert.deepEqual(lines(arm.result), []);
  });

  test('oracle: flavours (normal, FIPS) never mix; an unknown data source is an empty object', async () => {
    const { result } = await scanOs({ Family: 'oracle', Name: '9.2' }, [rpm('openssl', '1:3.0.7-20.el9')]);
    assert.deepEqual(lines(result), [
      'openssl CVE-2099-0060 1:3.0.7-20.el9 1:3.0.7-24.0.1.el9 fixed UNKNOWN -',
    ]);
    assert.deepEqual(find(result, 'openssl', 'CVE-2099-0060').DataSource, {});
    const fips = await scanOs({ Family: 'oracle', Name: '9.2' }, [rpm('openssl', '1:3.0.7-20.el9_fips')]);
    assert.deepEqual(lines(fips.result), [
      'openssl CVE-2099-0060 1:3.0.7-20.el9_fips 1:3.0.7-24.0.1.el9_fips fixed UNKNOWN -',
    ]);
    const armFips = await scanOs({ Family: 'oracle', Name: '9.2' }, [
      rpm('openssl', '1:3.0.7-20.el9_fips', 'aarch64'),
    ]);
    assert.deepEqual(lines(armFips.result), []);
  });
});

describe('amazon', () => {
  test('the release from the first word; Debian ordering, as Trivy uses', async () => {
    // dpkg orders "." before "_" (1.2 < 1_2); rpm would call them equal and report nothing.
    const { result } = await scanOs({ Family: 'amazon', Name: '2023.4.20240401' }, [
      rpm('zlib', '1.2-1.amzn2023'),
    ]);
    assert.deepEqual(lines(result), ['zlib CVE-2099-0070 1.2-1.amzn2023 1_2-1.amzn2023 fixed UNKNOWN -']);
    // Epoch 32 < 99; VendorSeverity has no "amazon" rating for it, so NVD's (2) applies.
    const epoch = await scanOs({ Family: 'amazon', Name: '2 (Karoo)' }, [
      rpm('bind-export-libs', '32:9.11.4-26.P2.amzn2.5'),
    ]);
    assert.deepEqual(lines(epoch.result), [
      'bind-export-libs CVE-2022-38177 32:9.11.4-26.P2.amzn2.5 99:9.11.4-26.P2.amzn2.13 fixed MEDIUM nvd',
    ]);
  });
});

describe('suse', () => {
  test('SLES buckets by the version as detected ("15-SP3" buckets are never read)', async () => {
    const sles = await scanOs({ Family: 'sles', Name: '15.5' }, [rpm('libopenssl3', '3.0.8-150500.5.8.1')]);
    assert.deepEqual(lines(sles.result), [
      'libopenssl3 SUSE-SU-2099:0001-1 3.0.8-150500.5.8.1 3.0.8-150500.5.14.1 fixed UNKNOWN -',
    ]);
    assert.equal(find(sles.result, 'libopenssl3', 'SUSE-SU-2099:0001-1').DataSource, undefined);
    const sp3 = await scanOs({ Family: 'sles', Name: '15.3' }, [
      rpm('libopenssl1_1', '1.1.1d-150200.11.40.1'),
    ]);
    assert.deepEqual(lines(sp3.result), []);
  });

  test('SLE Micro, openSUSE Leap and Tumbleweed', async () => {
    const micro = await scanOs({ Family: 'slem', Name: '5.3' }, [
      rpm('libopenssl1_1', '1.1.1l-150400.7.16.1'),
    ]);
    assert.deepEqual(lines(micro.result), [
      'libopenssl1_1 SUSE-SU-2023:0311-1 1.1.1l-150400.7.16.1 1.1.1l-150400.7.22.1 fixed UNKNOWN -',
    ]);
    const tumbleweed = await scanOs(
      { Family: 'opensuse-tumbleweed', Name: '20240607' },
      [rpm('libopenssl3', '3.1.4-9.1')],
      {
        now: at(2099, 1, 1),
      },
    );
    assert.equal(tumbleweed.os.Eosl, undefined, 'a rolling release never ends');
    assert.equal(lines(tumbleweed.result).length, 1);
  });
});

describe('azure linux, photon', () => {
  test('azure linux: major.minor bucket, source names, unfixed issues, no PkgID', async () => {
    const { result, os } = await scanOs(
      { Family: 'azurelinux', Name: '3.0.20240727' },
      [rpm('openssl-libs', '3.3.0-1.azl3', 'x86_64', { name: 'openssl' })],
      { now: at(2099, 1, 1) },
    );
    assert.deepEqual(lines(result), [
      'openssl-libs CVE-2099-0080 3.3.0-1.azl3 3.3.2-1.azl3 fixed UNKNOWN -',
      'openssl-libs CVE-2099-0081 3.3.0-1.azl3 - affected UNKNOWN -',
    ]);
    assert.equal(find(result, 'openssl-libs', 'CVE-2099-0080').PkgID, undefined);
    assert.equal(find(result, 'openssl-libs', 'CVE-2099-0080').DataSource?.ID, 'azure');
    assert.equal(os.Eosl, undefined, 'no published end of life');
  });

  test('photon: source name looked up, binary version compared', async () => {
    const { result, os } = await scanOs({ Family: 'photon', Name: '3.0' }, [
      rpm('curl-libs', '7.61.1-4.ph3', 'x86_64', { name: 'curl', version: '7.61.1-9.ph3' }),
    ]);
    assert.deepEqual(lines(result), [
      'curl-libs CVE-2019-5481 7.61.1-4.ph3 7.61.1-5.ph3 fixed CRITICAL photon',
    ]);
    assert.equal(os.Eosl, undefined);
  });
});

describe('wolfi, chainguard, minimos, echo, bottlerocket, coreos', () => {
  test('rolling apk distributions: one bucket each, fixed issues only, name when there is no origin', async () => {
    const pkg: Package = { ID: 'openssl@3.3.1-r0', Name: 'openssl', Version: '3.3.1-r0' };
    for (const [family, id] of [
      ['wolfi', 'CVE-2099-0090'],
      ['chainguard', 'CVE-2099-0092'],
      ['minimos', 'CVE-2099-0093'],
    ] as const) {
      const { result, os } = await scanOs({ Family: family, Name: '20230201' }, [pkg], {
        now: at(2099, 1, 1),
      });
      assert.deepEqual(lines(result), [`openssl ${id} 3.3.1-r0 3.3.2-r0 fixed UNKNOWN -`], family);
      assert.equal(os.Eosl, undefined);
    }
  });

  test('echo keeps third-party packages, shows the source version, has package severities', async () => {
    const pkg: Package = {
      ...deb('docker-ce', '5:26.1.0-1~debian.12~bookworm', { version: '5:26.1.0-1' }),
      Repository: { Class: 'third-party' },
    };
    const { result } = await scanOs({ Family: 'echo', Name: '' }, [pkg]);
    assert.deepEqual(lines(result), [
      'docker-ce CVE-2099-0100 5:26.1.0-1 5:27.0.0-1 fixed HIGH echo',
      'docker-ce CVE-2099-0101 5:26.1.0-1 - will_not_fix UNKNOWN -',
    ]);
  });

  test('bottlerocket: binary names, rpm ordering', async () => {
    const { result } = await scanOs({ Family: 'bottlerocket', Name: '1.20.0' }, [
      rpm('kernel-6.1', '6.1.90-1.1710000000.abcdef.br1'),
    ]);
    assert.deepEqual(lines(result), [
      'kernel-6.1 CVE-2099-0110 6.1.90-1.1710000000.abcdef.br1 6.1.100-1.1700000000.abcdef.br1 fixed UNKNOWN -',
    ]);
  });

  test('coreos: packages listed, nothing detected; unsupported families give no OS result', async () => {
    const coreos = await scanOs({ Family: 'coreos', Name: '39.20240112.3.0' }, [
      rpm('bash', '5.2.21-1.fc39'),
    ]);
    assert.equal(coreos.result?.Packages.length, 1);
    assert.deepEqual(coreos.result?.Vulnerabilities, []);
    const fedora = await scanOs({ Family: 'fedora', Name: '39' }, [rpm('bash', '5.2.21-1.fc39')]);
    assert.deepEqual(fedora.results, []);
    const none = await scanOs({ Family: '', Name: '' }, [rpm('bash', '5.2.21-1.fc39')]);
    assert.deepEqual(none.results, []);
  });

  test('gpg-pubkey is listed but never matched', async () => {
    const { result } = await scanOs({ Family: 'redhat', Name: '8.6' }, [
      rpm('gpg-pubkey', '8483c65d-5ccc5b19', ''),
    ]);
    assert.deepEqual(
      result?.Packages.map((p) => p.Name),
      ['gpg-pubkey'],
    );
    assert.deepEqual(lines(result), []);
  });
});
