import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseApkInstalled } from './apk.js';

// The layout of lib/apk/db/installed (apk-tools' "installed database" v2 format).
const INSTALLED = `C:Q1vj8CmX3MYXhqbv9u5Cdm6Ho1x2Y=
P:musl
V:1.2.4-r2
A:x86_64
S:383152
I:622592
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Timo Teräs <timo.teras@iki.fi>
t:1698675524
c:e13fa2bf3a3ea6c7d9a6f7d6d8e8c4d0a4a1b3e2
p:so:libc.musl-x86_64.so.1=1
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1c6Jvr/TTDmCsBEVXnhxTVXxFf3o=
R:libc.musl-x86_64.so.1

C:Q1QXd2F2bCGgl81BKSx9NG3xXc2i8=
P:busybox-binsh
V:1.36.1-r15
A:x86_64
L:GPL-2.0-only
o:busybox
D:busybox=1.36.1-r15 so:libc.musl-x86_64.so.1 !busybox-old
F:bin
R:sh

P:musl
V:1.2.4-r3
o:musl

P:broken
V:not a version
`;

// `C:Q1<base64>` is a SHA-1; Trivy reports it as hex.
const sha1 = (b64: string) => `sha1:${Buffer.from(b64, 'base64').toString('hex')}`;

describe('apk installed database', () => {
  it('reads packages, origins, licences, checksums, files and dependencies; drops duplicates and bad versions', () => {
    const { packages, installedFiles } = parseApkInstalled(INSTALLED);
    assert.deepEqual(
      packages.map((p) => ({ ...p })),
      [
        {
          Name: 'musl',
          Version: '1.2.4-r2',
          ID: 'musl@1.2.4-r2',
          Arch: 'x86_64',
          Licenses: ['MIT'],
          SrcName: 'musl',
          SrcVersion: '1.2.4-r2',
          Maintainer: 'Timo Teräs <timo.teras@iki.fi>',
          Digest: sha1('vj8CmX3MYXhqbv9u5Cdm6Ho1x2Y='),
          InstalledFiles: ['lib/ld-musl-x86_64.so.1', 'lib/libc.musl-x86_64.so.1'],
        },
        {
          Name: 'busybox-binsh',
          Version: '1.36.1-r15',
          ID: 'busybox-binsh@1.36.1-r15',
          Arch: 'x86_64',
          Licenses: ['GPL-2.0-only'],
          SrcName: 'busybox',
          SrcVersion: '1.36.1-r15',
          Digest: sha1('QXd2F2bCGgl81BKSx9NG3xXc2i8='),
          DependsOn: ['musl@1.2.4-r2'],
          InstalledFiles: ['bin/sh'],
        },
      ],
    );
    assert.deepEqual(installedFiles, ['lib/ld-musl-x86_64.so.1', 'lib/libc.musl-x86_64.so.1', 'bin/sh']);
  });
});
