/**
 * Conversions between Vigil's model and Trivy's messages, with the meanings of Trivy's pkg/rpc/convert.go:
 * what survives a round trip through protobuf bytes, what Go fills in or drops, and the wire shape of a few
 * fields checked against the field numbers of Trivy's .proto files.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { BlobInfo } from '../analyze/index.js';
import type { DetectedVulnerability } from '../detect/index.js';
import {
  cachePb,
  commonPb,
  formatTimestamp,
  fromRpcBlobInfo,
  fromRpcScanOptions,
  fromRpcScanResponse,
  fromRpcVulnerability,
  scannerPb,
  timestampOf,
  toRpcBlobInfo,
  toRpcPackage,
  toRpcPutBlobRequest,
  toRpcScanRequest,
  toRpcScanResponse,
  toRpcVulnerability,
} from './index.js';

const blob: BlobInfo & { BuildInfo?: { ContentSets: string[]; Nvr: string; Arch: string } } = {
  SchemaVersion: 2,
  Size: 123456,
  Digest: 'sha256:aaaa',
  DiffID: 'sha256:bbbb',
  CreatedBy: 'RUN apk add musl',
  OpaqueDirs: ['etc/'],
  WhiteoutFiles: ['etc/hostname'],
  OS: { Family: 'alpine', Name: '3.10.2' },
  Repository: { Family: 'alpine', Release: '3.10' },
  PackageInfos: [
    {
      FilePath: 'lib/apk/db/installed',
      Packages: [
        {
          ID: 'musl@1.1.22-r2',
          Name: 'musl',
          Version: '1.1.22-r2',
          SrcName: 'musl',
          SrcVersion: '1.1.22-r2',
          Arch: 'x86_64',
          Licenses: ['MIT'],
          Maintainer: 'Timo Teräs <timo.teras@iki.fi>',
          Digest: 'sha1:1234',
          Layer: { Digest: 'sha256:aaaa', DiffID: 'sha256:bbbb' },
        },
      ],
    },
  ],
  Applications: [
    {
      Type: 'node-pkg',
      FilePath: 'app/node_modules/lodash/package.json',
      Packages: [
        {
          ID: 'lodash@4.17.4',
          Name: 'lodash',
          Version: '4.17.4',
          Licenses: ['MIT'],
          Relationship: 3,
          Dev: true,
          Indirect: true,
          Locations: [{ StartLine: 3, EndLine: 9 }],
          Repository: { Class: 'official' },
        },
      ],
    },
  ],
  BuildInfo: { ContentSets: ['rhel-8-for-x86_64-baseos-rpms'], Nvr: 'ubi8-8.4-1', Arch: 'x86_64' },
};

describe('blob conversion', () => {
  test('a blob survives the trip through protobuf bytes, and the request says schema 2', () => {
    const request = toRpcPutBlobRequest('sha256:key', blob);
    const bytes = toBinary(cachePb.PutBlobRequestSchema, request);
    const back = fromBinary(cachePb.PutBlobRequestSchema, bytes);
    assert.equal(back.diffId, 'sha256:key');
    assert.equal(back.blobInfo?.schemaVersion, 2);
    assert.deepEqual(fromRpcBlobInfo(back.blobInfo ?? create(cachePb.BlobInfoSchema)), blob);
  });

  test('fields the wire does not carry are dropped as Go drops them; empty values become absent', () => {
    const wire = toRpcBlobInfo({
      SchemaVersion: 2,
      PackageInfos: [
        {
          FilePath: 'var/lib/rpm/Packages',
          Packages: [{ Name: 'bash', Version: '4.4', Modularitylabel: 'x:y', InstalledFiles: ['/bin/bash'] }],
        },
      ],
    });
    // A package always carries a layer message (ConvertToRPCLayer never returns nil); the OS message too.
    assert.ok(wire.packageInfos[0]?.packages[0]?.layer);
    assert.ok(wire.os);
    const back = fromRpcBlobInfo(fromBinary(cachePb.BlobInfoSchema, toBinary(cachePb.BlobInfoSchema, wire)));
    assert.deepEqual(back, {
      SchemaVersion: 2,
      PackageInfos: [{ FilePath: 'var/lib/rpm/Packages', Packages: [{ Name: 'bash', Version: '4.4' }] }],
    });
  });

  test('a received blob keeps its schema version (the cache decides what an old one means)', () => {
    const old = create(cachePb.BlobInfoSchema, { schemaVersion: 1 });
    assert.equal(fromRpcBlobInfo(old).SchemaVersion, 1);
  });

  test('field numbers on the wire are those of Trivy’s .proto (Package.id=13, identifier=19, BlobInfo.size=14)', () => {
    const pkg = toBinary(
      commonPb.PackageSchema,
      toRpcPackage({ ID: 'x', Name: '', Version: '', Identifier: { PURL: 'p' }, Layer: undefined }),
    );
    // tag = field << 3 | wire type 2 (length-delimited)
    assert.ok(pkg.includes((13 << 3) | 2), 'id is field 13');
    assert.ok(pkg.includes((19 << 3) | 2), 'identifier is field 19');
    const sized = toBinary(cachePb.BlobInfoSchema, create(cachePb.BlobInfoSchema, { size: 7n }));
    assert.deepEqual([...sized], [(14 << 3) | 0, 7]);
  });
});

describe('scan conversion', () => {
  const vuln: DetectedVulnerability = {
    VulnerabilityID: 'CVE-2019-14697',
    PkgID: 'musl@1.1.22-r2',
    PkgName: 'musl',
    PkgIdentifier: { PURL: 'pkg:apk/alpine/musl@1.1.22-r2?distro=3.10.2', UID: 'abc' },
    InstalledVersion: '1.1.22-r2',
    FixedVersion: '1.1.22-r3',
    Status: 'fixed',
    Layer: { Digest: 'sha256:aaaa', DiffID: 'sha256:bbbb' },
    SeveritySource: 'nvd',
    PrimaryURL: 'https://avd.aquasec.com/nvd/cve-2019-14697',
    DataSource: { ID: 'alpine', Name: 'Alpine Secdb', URL: 'https://secdb.alpinelinux.org/' },
    Custom: { note: 'x' },
    Title: 'musl libc through 1.1.23 has an x87 floating-point stack adjustment imbalance',
    Description: 'desc',
    Severity: 'CRITICAL',
    CweIDs: ['CWE-787'],
    VendorSeverity: { nvd: 4 },
    CVSS: { nvd: { V2Vector: 'AV:N/AC:L/Au:N/C:P/I:P/A:P', V2Score: 7.5, V3Score: 9.8 } },
    References: ['https://example.com'],
    PublishedDate: '2019-08-06T16:15:00+02:00',
    LastModifiedDate: '2020-03-14T19:15:00.120Z',
  };

  test('a vulnerability comes back as a Go client reads it: UTC dates, Custom as JSON text', () => {
    const bytes = toBinary(commonPb.VulnerabilitySchema, toRpcVulnerability(vuln));
    const back = fromRpcVulnerability(fromBinary(commonPb.VulnerabilitySchema, bytes));
    assert.deepEqual(back, {
      ...vuln,
      PublishedDate: '2019-08-06T14:15:00Z',
      LastModifiedDate: '2020-03-14T19:15:00.12Z',
      Custom: '{"note":"x"}',
    });
  });

  test('severity names map to the enum and back; an unknown name is UNKNOWN; status unknown is absent', () => {
    const rpc = toRpcVulnerability({ VulnerabilityID: 'X', Severity: 'BOGUS' });
    assert.equal(rpc.severity, commonPb.Severity.UNKNOWN);
    assert.equal(rpc.status, 0);
    const back = fromRpcVulnerability(rpc);
    assert.equal(back.Severity, 'UNKNOWN');
    assert.equal(back.Status, undefined);
    assert.equal(toRpcVulnerability({ VulnerabilityID: 'X', Status: 'will_not_fix' }).status, 5);
  });

  test('times: RFC 3339 in any offset to a Timestamp and back in UTC, as Go marshals it', () => {
    const ts = timestampOf('0001-01-01T00:00:00Z');
    assert.ok(ts);
    assert.equal(ts.seconds, -62135596800n);
    assert.equal(formatTimestamp(ts), '0001-01-01T00:00:00Z');
    const nanos = timestampOf('2021-08-25T12:20:30.000000005-01:30');
    assert.ok(nanos);
    assert.equal(nanos.nanos, 5);
    assert.equal(formatTimestamp(nanos), '2021-08-25T13:50:30.000000005Z');
    assert.equal(timestampOf('yesterday'), undefined);
  });

  test('scan options: Trivy server defaults (all relationships, severity source auto), invalid relationships dropped', () => {
    const warnings: string[] = [];
    const request = toRpcScanRequest({
      target: 't',
      artifactId: 'a',
      blobIds: ['b'],
      options: { pkgTypes: ['os'], scanners: ['vuln'], pkgRelationships: ['bogus' as never] },
    });
    const options = fromRpcScanOptions(request.options, (m) => warnings.push(m));
    assert.deepEqual(options.pkgRelationships, ['unknown', 'root', 'workspace', 'direct', 'indirect']);
    assert.deepEqual(options.vulnSeveritySources, ['auto']);
    assert.deepEqual(warnings, ['Invalid relationship: bogus']);
    assert.equal(options.distro, undefined);
  });

  test('a scan response survives the wire', () => {
    const rpc = toRpcScanResponse({
      os: { Family: 'alpine', Name: '3.10.2', Eosl: true },
      results: [
        {
          Target: 'alpine:3.10 (alpine 3.10.2)',
          Class: 'os-pkgs',
          Type: 'alpine',
          Packages: [{ ID: 'musl@1.1.22-r2', Name: 'musl', Version: '1.1.22-r2' }],
          Vulnerabilities: [vuln],
        },
      ],
      layers: [{ Size: 5, Digest: 'sha256:aaaa', DiffID: 'sha256:bbbb' }],
    });
    const back = fromRpcScanResponse(
      fromBinary(scannerPb.ScanResponseSchema, toBinary(scannerPb.ScanResponseSchema, rpc)),
    );
    assert.deepEqual(back.os, { Family: 'alpine', Name: '3.10.2', Eosl: true });
    assert.deepEqual(back.layers, [{ Size: 5, Digest: 'sha256:aaaa', DiffID: 'sha256:bbbb' }]);
    assert.equal(back.results[0]?.Vulnerabilities?.[0]?.VulnerabilityID, 'CVE-2019-14697');
    assert.deepEqual(back.results[0]?.Packages, [
      { ID: 'musl@1.1.22-r2', Name: 'musl', Version: '1.1.22-r2' },
    ]);
  });
});
