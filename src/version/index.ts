// The version boundary: comparators and constraint matching for every ecosystem Vigil scans.
export { apkScheme, compareApk, parseApk, satisfiesApk } from './apk.js';
export { cargoScheme, compareCargo, parseCargo, satisfiesCargo } from './cargo.js';
export { compareComposer, composerScheme, normalizeComposer, satisfiesComposer } from './composer.js';
export { compareDpkg, type DpkgVersion, dpkgScheme, parseDpkg, satisfiesDpkg } from './dpkg.js';
export { invalidConstraint, invalidVersion, VersionError, type VersionErrorCode } from './errors.js';
export { compareGeneric, genericScheme, parseGeneric, satisfiesGeneric } from './generic.js';
export {
  compareGo,
  goScheme,
  type PseudoVersion,
  parseGo,
  parsePseudoVersion,
  satisfiesGo,
} from './golang.js';
export { compareMaven, mavenScheme, parseMaven, satisfiesMaven } from './maven.js';
export { compareNpm, npmScheme, parseNpm, satisfiesNpm } from './npm.js';
export { compareNuGet, nugetScheme, parseNuGet, satisfiesNuGet } from './nuget.js';
export { comparePep440, formatPep440, parsePep440, pep440Scheme, satisfiesPep440 } from './pep440.js';
export { comparatorFor, knownEcosystems, type Semantics } from './registry.js';
export { compareRpm, parseRpm, type RpmVersion, rpmScheme, rpmvercmp, satisfiesRpm } from './rpm.js';
export { compareGem, parseGem, rubygemsScheme, satisfiesGem } from './rubygems.js';
export type { Ordering, VersionScheme } from './types.js';
