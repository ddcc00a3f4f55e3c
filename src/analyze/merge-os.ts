/**
 * Trivy's OS.Merge (pkg/fanal/types/artifact.go): the first detection wins, except that a `redhat` or `debian`
 * family is replaced by any later detection (Oracle and CentOS images also carry /etc/redhat-release, Ubuntu
 * carries /etc/debian_version); missing name and family are filled in; Extended (Ubuntu ESM) is sticky.
 * Old family spellings are normalised as Trivy's OSTypeAliases do.
 */
import type { OS, OSFamily } from './types.js';

const ALIASES: Record<string, OSFamily> = {
  'opensuse.leap': 'opensuse-leap',
  'opensuse.tumbleweed': 'opensuse-tumbleweed',
  'suse linux enterprise micro': 'slem',
  'suse linux enterprise server': 'sles',
  'amazon linux': 'amazon',
  'debian gnu/linux': 'debian',
};

export function emptyOS(): OS {
  return { Family: '', Name: '' };
}

export function mergeOS(current: OS, next: OS | undefined): OS {
  if (!next || (next.Family === '' && next.Name === '' && !next.Extended && !next.Eosl)) return current;
  let merged: OS;
  if ((current.Family === 'redhat' || current.Family === 'debian') && next.Family !== '') {
    merged = { ...next };
  } else {
    merged = { ...current };
    if (merged.Family === '') merged.Family = next.Family;
    if (merged.Name === '') merged.Name = next.Name;
    if (current.Extended || next.Extended) merged.Extended = true;
  }
  const alias = ALIASES[merged.Family];
  if (alias) merged.Family = alias;
  return merged;
}
