/**
 * Which version scheme each ecosystem uses, keyed by Trivy's names: its language ecosystems (trivy-db's
 * bucket prefixes such as "npm::" or "pip::") and the package types that map to them
 * (trivy:pkg/detector/library/driver.go), and its OS families (trivy:pkg/detector/ospkg).
 *
 * Two semantics:
 * - 'trivy' (default): what Trivy itself uses, so Vigil finds what Trivy finds. Go, Cargo, Composer, NuGet,
 *   Pub, Hex, Conan, Swift, Kubernetes and Julia are all matched with go-version's generic rules, and Amazon
 *   Linux with Debian's ordering (trivy:pkg/detector/ospkg/amazon uses go-deb-version).
 * - 'native': each ecosystem's own rules where Vigil has them (Go modules, Cargo, Composer, NuGet; rpm for
 *   Amazon Linux).
 */
import { apkScheme } from './apk.js';
import { cargoScheme } from './cargo.js';
import { composerScheme } from './composer.js';
import { dpkgScheme } from './dpkg.js';
import { VersionError } from './errors.js';
import { genericScheme } from './generic.js';
import { goScheme } from './golang.js';
import { mavenScheme } from './maven.js';
import { npmScheme } from './npm.js';
import { nugetScheme } from './nuget.js';
import { pep440Scheme } from './pep440.js';
import { rpmScheme } from './rpm.js';
import { rubygemsScheme } from './rubygems.js';
import type { VersionScheme } from './types.js';

export type Semantics = 'trivy' | 'native';

interface Entry {
  readonly trivy: VersionScheme;
  readonly native: VersionScheme;
}

const same = (scheme: VersionScheme): Entry => ({ trivy: scheme, native: scheme });

const GROUPS: ReadonlyArray<readonly [Entry, readonly string[]]> = [
  [same(npmScheme), ['npm', 'yarn', 'pnpm', 'bun', 'node-pkg', 'javascript']],
  [same(pep440Scheme), ['pip', 'pipenv', 'poetry', 'python-pkg', 'uv', 'pylock', 'pypi']],
  [same(rubygemsScheme), ['rubygems', 'bundler', 'gemspec', 'gem', 'cocoapods']],
  [same(mavenScheme), ['maven', 'jar', 'pom', 'gradle', 'sbt']],
  [{ trivy: genericScheme, native: goScheme }, ['go', 'gomod', 'gobinary', 'golang']],
  [{ trivy: genericScheme, native: cargoScheme }, ['cargo', 'rustbinary', 'crates.io']],
  [{ trivy: genericScheme, native: composerScheme }, ['composer', 'composer-vendor', 'packagist']],
  [{ trivy: genericScheme, native: nugetScheme }, ['nuget', 'dotnet-core', 'packages-props']],
  [same(genericScheme), ['pub', 'hex', 'erlang', 'conan', 'swift', 'k8s', 'kubernetes', 'julia']],
  [same(dpkgScheme), ['debian', 'ubuntu']],
  [{ trivy: dpkgScheme, native: rpmScheme }, ['amazon']],
  [
    same(rpmScheme),
    [
      'redhat',
      'centos',
      'rocky',
      'alma',
      'almalinux',
      'oracle',
      'fedora',
      'suse',
      'sles',
      'slem',
      'opensuse',
    ],
  ],
  [
    same(rpmScheme),
    ['opensuse-leap', 'opensuse-tumbleweed', 'photon', 'mariner', 'cbl-mariner', 'azure', 'azurelinux'],
  ],
  [same(apkScheme), ['alpine', 'wolfi', 'chainguard', 'minimos']],
];

const BY_NAME: ReadonlyMap<string, Entry> = new Map(
  GROUPS.flatMap(([entry, names]) => names.map((name) => [name, entry] as const)),
);

/** Every ecosystem and OS family name `comparatorFor` knows. */
export function knownEcosystems(): string[] {
  return [...BY_NAME.keys()].sort();
}

/** The scheme for an ecosystem or OS family (case-insensitive); throws a VersionError for unknown names. */
export function comparatorFor(ecosystem: string, options?: { semantics?: Semantics }): VersionScheme {
  const entry = BY_NAME.get(ecosystem.trim().toLowerCase());
  if (entry === undefined) {
    throw new VersionError(
      'UNSUPPORTED_ECOSYSTEM',
      'registry',
      ecosystem,
      `known names: ${knownEcosystems().join(', ')}`,
    );
  }
  return entry[options?.semantics ?? 'trivy'];
}
