/**
 * The per-architecture advisory shape (trivy-db types.Advisories) that Rocky Linux and Oracle Linux store:
 * `{FixedVersion, Entries: [{FixedVersion, Arches, …}]}`. An entry applies when its architectures list the
 * package's; a value without entries (older databases) applies as a whole.
 */
import type { Advisories, DataSource } from '../../vulndb/index.js';
import { type DriverContext, decodeRaw, rawAdvisoriesOf } from './driver.js';

export interface ArchAdvisory {
  vulnerabilityId: string;
  fixedVersion: string;
  source: DataSource;
  custom: unknown;
}

export async function archAdvisories(
  ctx: DriverContext,
  bucket: string,
  pkgName: string,
  arch: string,
  decode: (raw: string) => Advisories,
): Promise<ArchAdvisory[]> {
  const out: ArchAdvisory[] = [];
  for (const raw of await rawAdvisoriesOf(ctx, bucket, pkgName)) {
    const value = decodeRaw(raw, bucket, decode);
    const entries = value.Entries ?? [];
    if (entries.length === 0) {
      out.push({
        vulnerabilityId: raw.id,
        fixedVersion: value.FixedVersion ?? '',
        source: raw.source,
        custom: value.Custom,
      });
      continue;
    }
    for (const entry of entries) {
      if (!(entry.Arches ?? []).includes(arch)) continue;
      out.push({
        vulnerabilityId: raw.id,
        fixedVersion: entry.FixedVersion ?? '',
        source: raw.source,
        custom: entry.Custom,
      });
    }
  }
  return out;
}
