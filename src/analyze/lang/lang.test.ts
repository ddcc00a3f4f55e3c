import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createImageAnalyzers } from '../index.js';
import { parseComposerInstalled } from './composer.js';
import { parseDepsJson } from './dotnet.js';
import { parseGemspec } from './gemspec.js';
import { parseModInfo } from './go-buildinfo.js';
import { goBinaryPackages, ldflagsVersion, stdlibVersion } from './gobinary.js';
import { parseJar } from './jar.js';
import { parsePackageJson } from './npm.js';
import { parsePythonMetadata } from './python.js';
import { parseRustAudit } from './rustbinary.js';
import { readZipEntries } from './zip.js';

describe('node-pkg package.json', () => {
  it('needs a name and a version, and rejects names that are not URL-friendly', () => {
    assert.deepEqual(parsePackageJson('{"name":"@scope/pkg","version":"1.0.0","license":{"type":"ISC"}}'), {
      ID: '@scope/pkg@1.0.0',
      Name: '@scope/pkg',
      Version: '1.0.0',
      Licenses: ['ISC'],
    });
    assert.equal(parsePackageJson('{"dependencies":{"x":"1"}}'), undefined);
    assert.equal(parsePackageJson('{"name":"x"}'), undefined);
    assert.throws(() => parsePackageJson('{"name":"has space","version":"1.0.0"}'), /URL-friendly/);
    assert.throws(() => parsePackageJson('{"name":"x","version":1}'), /strings/);
    assert.deepEqual(
      parsePackageJson('{"name":"x","version":"1","license":[{"type":"MIT"},{"type":"BSD"}]}')?.Licenses,
      ['MIT', 'BSD'],
    );
  });
});

describe('python-pkg metadata', () => {
  it('prefers License-Expression, then classifiers, then License', () => {
    const meta = (extra: string) =>
      parsePythonMetadata(`Metadata-Version: 2.1\nName: p\nVersion: 1.0\n${extra}\nbody`);
    assert.deepEqual(meta('License-Expression: MIT\nLicense: BSD').Licenses, ['MIT']);
    assert.deepEqual(
      meta(
        'License: BSD\nClassifier: License :: OSI Approved :: MIT License\nClassifier: License :: OSI Approved',
      ).Licenses,
      ['MIT License'],
    );
    assert.deepEqual(meta('License: BSD-3-Clause').Licenses, ['BSD-3-Clause']);
    assert.equal(meta('License-File: LICENSE').Licenses, undefined);
    assert.throws(() => parsePythonMetadata('Name: p\n'), /empty/);
    const required = createImageAnalyzers().find((a) => a.type === 'python-pkg');
    const wants = (path: string) => required?.required({ path, size: 1, mode: 0o644 });
    assert.equal(wants('usr/lib/python3/dist-packages/foo-1.0.dist-info/METADATA'), true);
    assert.equal(wants('usr/lib/python3/dist-packages/foo-1.0.egg-info'), true);
    assert.equal(wants('usr/lib/python3/dist-packages/foo.egg-info/PKG-INFO'), true);
    assert.equal(wants('usr/lib/python3/dist-packages/foo-1.0.dist-info/RECORD'), false);
  });
});

describe('gemspec (Trivy regex parser)', () => {
  it('reads name, version and licences after Gem::Specification.new, whatever the block variable', () => {
    const spec = [
      '# stub: x',
      'Gem::Specification.new do |spec|',
      '  spec.name = "nokogiri".freeze',
      "  spec.version = '1.15.4'",
      '  spec.licenses = ["MIT".freeze, "Apache-2.0"]',
      'end',
    ].join('\n');
    assert.deepEqual(parseGemspec(spec), {
      Name: 'nokogiri',
      Version: '1.15.4',
      Licenses: ['MIT', 'Apache-2.0'],
    });
    assert.throws(() => parseGemspec('s.name = "x"\ns.version = "1"\n'), /failed/);
  });
});

describe('composer installed.json and .NET deps.json', () => {
  it('skips php and ext-* requirements; rejects Composer 1 arrays as Trivy does', () => {
    const packages = parseComposerInstalled(
      JSON.stringify({
        packages: [
          { name: 'a/b', version: '1.0.0', require: { php: '>=8', 'ext-json': '*', 'c/d': '^1' } },
          { name: 'c/d', version: 'v1.2.0' },
        ],
      }),
    );
    assert.deepEqual(
      packages.map((p) => [p.ID, p.DependsOn]),
      [
        ['a/b@1.0.0', ['c/d@v1.2.0']],
        ['c/d@v1.2.0', undefined],
      ],
    );
    assert.throws(() => parseComposerInstalled('[{"name":"a/b","version":"1.0.0"}]'), /Composer 1/);
  });

  it('takes every library when the runtime target section is missing', () => {
    const packages = parseDepsJson(
      JSON.stringify({
        runtimeTarget: { name: 'other' },
        libraries: { 'A/1.0': { type: 'package' }, 'B/2.0': { type: 'reference' } },
      }),
    );
    assert.deepEqual(
      packages.map((p) => p.ID),
      ['A/1.0'],
    );
  });
});

describe('Go build info', () => {
  it('parses module lines with replacements and quoted build settings', () => {
    const info = parseModInfo(
      [
        'path\texample.com/app',
        'mod\texample.com/app\tv0.0.0-20240101000000-abcdefabcdef\t',
        'dep\tgithub.com/a/b\tv1.2.3\th1:x',
        '=>\tgithub.com/fork/b\tv1.2.4\th1:y',
        'dep\tgolang.org/x/net\tv0.17.0\th1:z',
        'build\t-ldflags="-s -w -X example.com/app/cmd/app.Version=v2.0.0 -X main.version=v9.9.9"',
      ].join('\n'),
    );
    const packages = goBinaryPackages({ goVersion: 'go1.21.5 X:boringcrypto', ...info });
    assert.deepEqual(
      packages.map((p) => [p.ID, p.Relationship ?? 0]),
      [
        ['stdlib@v1.21.5', 3],
        ['github.com/fork/b@v1.2.4', 0],
        ['golang.org/x/net@v0.17.0', 0],
        // A pseudo-version yields to the ldflags; `<module>/cmd/…` keys outrank `main.version`.
        ['example.com/app@v2.0.0', 1],
      ],
    );
  });

  it('chooses ldflags versions by Trivy precedence and gives up on ambiguity', () => {
    assert.equal(ldflagsVersion('m', "-X 'main.version=1.2.3'"), '1.2.3');
    assert.equal(ldflagsVersion('m', '-X main.version=1.2.3 -X common.Version=1.2.4'), '');
    assert.equal(ldflagsVersion('m', '-X github.com/x/pkg/build.Version=v0.3.0'), 'v0.3.0');
    assert.equal(ldflagsVersion('m', '-X main.version=dev'), '');
    assert.equal(stdlibVersion('go1.22.1-X:loopvar'), 'v1.22.1');
  });
});

describe('cargo-auditable JSON', () => {
  it('keeps runtime packages only and links their runtime dependencies', () => {
    const packages = parseRustAudit(
      JSON.stringify({
        packages: [
          { name: 'app', version: '0.1.0', source: 'local', dependencies: [1, 2], root: true },
          { name: 'serde', version: '1.0.190', source: 'crates.io' },
          { name: 'cc', version: '1.0.83', source: 'crates.io', kind: 'build' },
        ],
      }),
    );
    assert.deepEqual(
      packages.map((p) => [p.ID, p.Relationship ?? 0, p.DependsOn]),
      [
        ['app@0.1.0', 1, ['serde@1.0.190']],
        ['serde@1.0.190', 0, undefined],
      ],
    );
  });

  it('ignores executables that are not ELF or have no audit section', async () => {
    const analyzers = createImageAnalyzers().filter((a) => a.type === 'rustbinary' || a.type === 'gobinary');
    for (const analyzer of analyzers) {
      if (analyzer.kind !== 'file') continue;
      const file = { path: 'usr/bin/script', size: 10, mode: 0o755 };
      assert.equal(analyzer.required(file), true);
      assert.equal(await analyzer.analyze(file, Buffer.from('#!/bin/sh\necho hi\n')), undefined);
    }
  });
});

describe('jar archives', () => {
  it('rejects archives that are not zips and bounds inflation', () => {
    assert.throws(
      () => readZipEntries(Buffer.from('not a zip at all, not even close')),
      /end-of-central-directory/,
    );
    // A stored entry that claims more bytes than the budget allows is refused before it is read.
    const name = Buffer.from('META-INF/MANIFEST.MF');
    const body = Buffer.from('Manifest-Version: 1.0\n');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(0x7fffffff, 24); // declared uncompressed size: 2 GiB
    central.writeUInt16LE(name.length, 28);
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0);
    eocd.writeUInt16LE(1, 8);
    eocd.writeUInt16LE(1, 10);
    eocd.writeUInt32LE(central.length + name.length, 12);
    eocd.writeUInt32LE(local.length + name.length + body.length, 16);
    const zip = Buffer.concat([local, name, body, central, name, eocd]);
    assert.throws(() => parseJar('x.jar', zip, { maxInflatedBytes: 1024 * 1024 }), /larger than/);
  });
});
