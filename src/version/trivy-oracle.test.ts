import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { apkScheme } from './apk.js';
import { dpkgScheme } from './dpkg.js';
import { VersionError } from './errors.js';
import { genericScheme } from './generic.js';
import { mavenScheme } from './maven.js';
import { npmScheme } from './npm.js';
import { pep440Scheme } from './pep440.js';
import { rpmScheme } from './rpm.js';
import { rubygemsScheme } from './rubygems.js';
import type { VersionScheme } from './types.js';

const SCHEMES: Readonly<Record<string, VersionScheme>> = {
  dpkg: dpkgScheme,
  rpm: rpmScheme,
  apk: apkScheme,
  generic: genericScheme,
  npm: npmScheme,
  pep440: pep440Scheme,
  rubygems: rubygemsScheme,
  maven: mavenScheme,
};

// testdata/trivy-oracle.tsv holds the answers of the Go libraries Trivy uses (see its header for the exact
// versions), so this test pins Vigil to Trivy's behaviour, quirks included, without needing Go.
test("every scheme gives the verdicts of Trivy's own Go libraries (testdata/trivy-oracle.tsv)", (t) => {
  // The source tree holds the data; at run time this file is dist/src/version/trivy-oracle.test.js.
  const table = readFileSync(
    new URL('../../../src/version/testdata/trivy-oracle.tsv', import.meta.url),
    'utf8',
  );
  let checked = 0;
  for (const [index, row] of table.split('\n').entries()) {
    if (row === '' || row.startsWith('#')) continue;
    const [kind, name, a, b, want] = row.split('\t');
    const scheme = name === undefined ? undefined : SCHEMES[name];
    assert.ok(
      scheme !== undefined && a !== undefined && b !== undefined && want !== undefined,
      `line ${index + 1}`,
    );
    let got: string;
    try {
      got = String(kind === 'cmp' ? scheme.compare(a, b) : scheme.satisfies(a, b));
    } catch (e) {
      if (!(e instanceof VersionError)) throw e;
      got = 'ERR';
    }
    assert.equal(got, want, `line ${index + 1}: ${kind} ${name} ${JSON.stringify(a)} ${JSON.stringify(b)}`);
    checked++;
  }
  t.diagnostic(`${checked} verdicts checked`);
  assert.ok(checked > 2000, `only ${checked} rows read`);
});
