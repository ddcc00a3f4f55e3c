/**
 * The package fields Trivy reads from an RPM header (go-rpmdb's getNEVRA), with `(none)` meaning absent for
 * the source RPM, license and vendor, and the installed files joined from DIRNAMES[DIRINDEXES[i]] + BASENAMES[i].
 */
import { posix } from 'node:path';
import {
  headerBinary,
  headerInt32s,
  headerString,
  headerStrings,
  parseHeaderBlob,
  RPM_TAG,
  RpmHeaderError,
} from './header.js';

export interface RpmPackageInfo {
  name: string;
  epoch?: number;
  version: string;
  release: string;
  arch: string;
  sourceRpm: string;
  license: string;
  vendor: string;
  modularityLabel: string;
  provides: string[];
  requires: string[];
  sigMd5: string;
  installedFiles: string[];
}

function noneToEmpty(value: string): string {
  return value === '(none)' ? '' : value;
}

export function rpmPackageFromHeader(blob: Buffer): RpmPackageInfo {
  const entries = parseHeaderBlob(blob);
  const epoch = headerInt32s(entries, RPM_TAG.epoch);
  const dirIndexes = headerInt32s(entries, RPM_TAG.dirIndexes) ?? [];
  const baseNames = headerStrings(entries, RPM_TAG.baseNames);
  const dirNames = headerStrings(entries, RPM_TAG.dirNames);
  const installedFiles: string[] = [];
  if (dirNames.length > 0 && dirIndexes.length > 0 && baseNames.length > 0) {
    if (dirIndexes.length !== baseNames.length) {
      throw new RpmHeaderError('DIRINDEXES and BASENAMES differ in length');
    }
    baseNames.forEach((base, i) => {
      const dir = dirNames[dirIndexes[i] ?? -1];
      if (dir === undefined) throw new RpmHeaderError(`DIRINDEXES[${i}] is out of range`);
      installedFiles.push(posix.join(dir, base));
    });
  }
  return {
    name: headerString(entries, RPM_TAG.name),
    ...(epoch?.[0] !== undefined ? { epoch: epoch[0] } : {}),
    version: headerString(entries, RPM_TAG.version),
    release: headerString(entries, RPM_TAG.release),
    arch: headerString(entries, RPM_TAG.arch),
    sourceRpm: noneToEmpty(headerString(entries, RPM_TAG.sourceRpm)),
    license: noneToEmpty(headerString(entries, RPM_TAG.license)),
    vendor: noneToEmpty(headerString(entries, RPM_TAG.vendor)),
    modularityLabel: headerString(entries, RPM_TAG.modularityLabel),
    provides: headerStrings(entries, RPM_TAG.provideName),
    requires: headerStrings(entries, RPM_TAG.requireName),
    sigMd5: headerBinary(entries, RPM_TAG.sigMd5)?.toString('hex') ?? '',
    installedFiles,
  };
}
