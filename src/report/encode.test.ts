// The JSON writer: Go's struct field order, omitempty/omitzero, escaping, times, the image config in
// go-containerregistry's order. Expected texts are written out by hand from Trivy's Go types.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DetectedVulnerability, Package } from '../detect/index.js';
import { encodePackage, encodeVulnerability, writeJsonReport } from './encode.js';
import { marshal } from './go-json.js';
import { goTime } from './go-time.js';
import { encodeImageConfig } from './image-config.js';
import type { Report } from './model.js';

describe('vulnerabilities', () => {
  test('fields come in Go struct order whatever the object order; maps sorted; \\u003c \\u003e \\u0026', () => {
    const v: DetectedVulnerability = {
      LastModifiedDate: '2021-05-26T12:15:00.000+00:00',
      PublishedDate: '2019-11-28T01:15:00Z',
      References: ['https://example.com/?a=1&b=2'],
      CVSS: {
        redhat: { V3Score: 7.8, V3Vector: 'CVSS:3.1/AV:L' },
        nvd: { V2Score: 7.2, V3Score: 10, V40Score: 0 },
      },
      VendorSeverity: { ubuntu: 1, debian: 1, 'cbl-mariner': 3 },
      CweIDs: ['CWE-273'],
      Severity: 'LOW',
      Description: 'x < y > z',
      Title: 'bash: <setuid> & more\u2028',
      Custom: { z: 1, a: [true, null] },
      Fingerprint: 'sha256:00',
      DataSource: { URL: 'u', ID: 'debian', Name: 'n' },
      PrimaryURL: 'https://avd.aquasec.com/nvd/cve-2019-18276',
      SeveritySource: 'debian',
      Layer: { DiffID: 'sha256:d', Digest: 'sha256:c' },
      Status: 'affected',
      FixedVersion: '',
      InstalledVersion: '5.0-4',
      PkgIdentifier: {
        UID: 'be7e0e99d0e7acf6',
        PURL: 'pkg:deb/debian/bash@5.0-4?arch=amd64&distro=debian-10.1',
      },
      PkgPath: '',
      PkgName: 'bash',
      PkgID: 'bash@5.0-4',
      VendorIDs: ['DSA-1'],
      VulnerabilityID: 'CVE-2019-18276',
    };
    assert.equal(
      marshal(encodeVulnerability(v)),
      '{"VulnerabilityID":"CVE-2019-18276","VendorIDs":["DSA-1"],"PkgID":"bash@5.0-4","PkgName":"bash",' +
        '"PkgIdentifier":{"PURL":"pkg:deb/debian/bash@5.0-4?arch=amd64\\u0026distro=debian-10.1","UID":"be7e0e99d0e7acf6"},' +
        '"InstalledVersion":"5.0-4","Status":"affected","Layer":{"Digest":"sha256:c","DiffID":"sha256:d"},' +
        '"SeveritySource":"debian","PrimaryURL":"https://avd.aquasec.com/nvd/cve-2019-18276",' +
        '"DataSource":{"ID":"debian","Name":"n","URL":"u"},"Fingerprint":"sha256:00","Custom":{"a":[true,null],"z":1},' +
        '"Title":"bash: \\u003csetuid\\u003e \\u0026 more\\u2028","Description":"x \\u003c y \\u003e z","Severity":"LOW",' +
        '"CweIDs":["CWE-273"],"VendorSeverity":{"cbl-mariner":3,"debian":1,"ubuntu":1},' +
        '"CVSS":{"nvd":{"V2Score":7.2,"V3Score":10},"redhat":{"V3Vector":"CVSS:3.1/AV:L","V3Score":7.8}},' +
        '"References":["https://example.com/?a=1\\u0026b=2"],"PublishedDate":"2019-11-28T01:15:00Z",' +
        '"LastModifiedDate":"2021-05-26T12:15:00Z"}',
    );
  });

  test('zero values are omitted: unknown status, empty lists and maps, empty layer and identifier', () => {
    const v: DetectedVulnerability = {
      VulnerabilityID: 'CVE-1',
      VendorIDs: [],
      Status: 'unknown',
      Layer: {},
      PkgIdentifier: {},
      VendorSeverity: {},
      CVSS: {},
      CweIDs: [],
    };
    assert.equal(marshal(encodeVulnerability(v)), '{"VulnerabilityID":"CVE-1"}');
    // A data source is a pointer in Go: present even when empty.
    assert.equal(
      marshal(encodeVulnerability({ VulnerabilityID: 'X', DataSource: {} })),
      '{"VulnerabilityID":"X","DataSource":{}}',
    );
  });
});

describe('packages', () => {
  test('every field in order; relationship by name; zero epoch omitted', () => {
    const pkg: Package = {
      AnalyzedBy: 'dpkg',
      InstalledFiles: ['/bin/bash'],
      Locations: [{ StartLine: 3, EndLine: 0 }],
      Digest: 'sha1:ab',
      FilePath: 'var/lib/dpkg/status',
      Layer: { Digest: 'sha256:c', DiffID: 'sha256:d' },
      DependsOn: ['libc6@2.28-10'],
      Relationship: 3,
      Indirect: false,
      Repository: { Class: 'official' },
      BuildInfo: { ContentSets: ['rhel-8'], Nvr: 'ubi8-1', Arch: 'x86_64' },
      Modularitylabel: 'nodejs:12:1:2',
      Maintainer: 'Debian <a@b>',
      Licenses: ['GPL-3.0'],
      SrcEpoch: 0,
      SrcRelease: '4',
      SrcVersion: '5.0',
      SrcName: 'bash',
      Dev: false,
      Arch: 'amd64',
      Epoch: 0,
      Release: '4',
      Version: '5.0',
      Identifier: { PURL: 'pkg:deb/debian/bash@5.0-4' },
      Name: 'bash',
      ID: 'bash@5.0-4',
    };
    assert.equal(
      marshal(encodePackage(pkg)),
      '{"ID":"bash@5.0-4","Name":"bash","Identifier":{"PURL":"pkg:deb/debian/bash@5.0-4"},"Version":"5.0",' +
        '"Release":"4","Arch":"amd64","SrcName":"bash","SrcVersion":"5.0","SrcRelease":"4","Licenses":["GPL-3.0"],' +
        '"Maintainer":"Debian \\u003ca@b\\u003e","Modularitylabel":"nodejs:12:1:2",' +
        '"BuildInfo":{"ContentSets":["rhel-8"],"Nvr":"ubi8-1","Arch":"x86_64"},"Repository":{"Class":"official"},' +
        '"Relationship":"direct","DependsOn":["libc6@2.28-10"],"Layer":{"Digest":"sha256:c","DiffID":"sha256:d"},' +
        '"FilePath":"var/lib/dpkg/status","Digest":"sha1:ab","Locations":[{"StartLine":3}],' +
        '"InstalledFiles":["/bin/bash"],"AnalyzedBy":"dpkg"}',
    );
  });
});

describe('report', () => {
  const report: Report = {
    SchemaVersion: 2,
    ReportID: 'id',
    CreatedAt: '2024-01-02T03:04:05.120000000Z',
    ArtifactName: 'img',
    ArtifactType: 'container_image',
    Metadata: { OS: { Family: 'wolfi', Name: '' } },
    Results: [
      { Target: 'img (wolfi )', Class: 'os-pkgs', Type: 'wolfi', Packages: [{ Name: 'a', Version: '1' }] },
      { Target: '', Class: 'lang-pkgs', Type: 'node-pkg', Packages: [{ Name: 'b', Version: '2' }] },
    ],
  };

  test('packages only with --list-all-pkgs; results without target or findings dropped; OS name always printed', () => {
    assert.equal(
      writeJsonReport(report),
      `{
  "SchemaVersion": 2,
  "ReportID": "id",
  "CreatedAt": "2024-01-02T03:04:05.12Z",
  "ArtifactName": "img",
  "ArtifactType": "container_image",
  "Metadata": {
    "OS": {
      "Family": "wolfi",
      "Name": ""
    }
  },
  "Results": [
    {
      "Target": "img (wolfi )",
      "Class": "os-pkgs",
      "Type": "wolfi"
    }
  ]
}
`,
    );
    const all = JSON.parse(writeJsonReport(report, { listAllPkgs: true }));
    assert.deepEqual(
      all.Results.map((r: { Target: string; Packages: unknown[] }) => [r.Target, r.Packages.length]),
      [
        ['img (wolfi )', 1],
        ['', 1],
      ],
    );
  });

  test('empty metadata and results are omitted; ESM and EOSL flags as Trivy names them', () => {
    assert.equal(
      writeJsonReport({ SchemaVersion: 2, Metadata: {}, Results: [] }),
      '{\n  "SchemaVersion": 2\n}\n',
    );
    const text = writeJsonReport({
      SchemaVersion: 2,
      Metadata: {
        OS: { Family: 'ubuntu', Name: '18.04', Eosl: true, Extended: true },
        Size: 10,
        Layers: [{ Size: 10 }],
      },
    });
    assert.match(
      text,
      /"OS": \{\n {6}"Family": "ubuntu",\n {6}"Name": "18.04",\n {6}"EOSL": true,\n {6}"extended": true\n/,
    );
    assert.match(text, /"Layers": \[\n {6}\{\n {8}"Size": 10\n {6}\}\n {4}\]/);
  });
});

describe('times', () => {
  test('as Go marshals time.Time', () => {
    assert.equal(goTime('2023-09-08T17:15:27.823+00:00'), '2023-09-08T17:15:27.823Z');
    assert.equal(goTime('2023-11-25T11:15:14.000Z'), '2023-11-25T11:15:14Z');
    assert.equal(goTime('2021-08-25T12:20:30.000000005Z'), '2021-08-25T12:20:30.000000005Z');
    assert.equal(goTime('2020-01-01T10:00:00.5+02:00'), '2020-01-01T10:00:00.5+02:00');
    assert.equal(goTime('not a time'), 'not a time');
  });
});

describe('image config', () => {
  test("go-containerregistry's field order, Go's case-insensitive keys, unknown fields dropped", () => {
    const config = {
      rootfs: { diff_ids: ['sha256:a'], type: 'layers' },
      config: {
        User: 'app',
        Labels: { 'z.label': '1', 'a.label': '<2>' },
        ExposedPorts: { '8080/tcp': {}, '443/tcp': {} },
        env: ['A=1'],
        Unknown: 'dropped',
      },
      history: [{ created_by: 'CMD ["sh"]', empty_layer: true }],
      OS: 'linux',
      Architecture: 'arm64',
      variant: 'v8',
      moby: 'dropped',
    };
    assert.equal(
      marshal(encodeImageConfig(config) ?? { kind: 'null' }),
      '{"architecture":"arm64","created":"0001-01-01T00:00:00Z",' +
        '"history":[{"created":"0001-01-01T00:00:00Z","created_by":"CMD [\\"sh\\"]","empty_layer":true}],' +
        '"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:a"]},' +
        '"config":{"Env":["A=1"],"Labels":{"a.label":"\\u003c2\\u003e","z.label":"1"},"User":"app",' +
        '"ExposedPorts":{"443/tcp":{},"8080/tcp":{}}},"variant":"v8"}',
    );
    assert.equal(encodeImageConfig(undefined), undefined);
    assert.equal(
      marshal(encodeImageConfig({}) ?? { kind: 'null' }),
      '{"architecture":"","created":"0001-01-01T00:00:00Z","os":"","rootfs":{"type":"","diff_ids":null},"config":{}}',
    );
  });
});
