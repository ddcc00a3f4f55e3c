/**
 * Red Hat Enterprise Linux and CentOS (trivy:pkg/detector/ospkg/redhat with trivy-db's redhat-oval reader).
 *
 * One version-less bucket "Red Hat" keyed by binary package name ("<module>:<stream>::<name>" for modular
 * packages). Each entry lists the CPE indices it affects; the image's CPE indices come from its content sets
 * (from /root/buildinfo, else a default per major version) and its NVR, through "Red Hat CPE". An unpatched
 * issue is keyed by CVE ID, a patched one by RHSA ID with the CVEs inside. Per CVE the advisory with the
 * highest fixed version wins; the entry's severity is package-specific, so Red Hat is the severity source.
 * No data source is attached, as in Trivy.
 */
import { severityName, statusName } from '../../vulndb/index.js';
import { DetectError } from '../errors.js';
import { eolTable, major, supported } from '../os-version.js';
import type { DetectedVulnerability, Package } from '../types.js';
import { formatRpm, formatVersion, rpmLessThan } from '../versions.js';
import {
  copyList,
  type DriverContext,
  dbError,
  modularName,
  type OsDriver,
  rawAdvisoriesOf,
} from './driver.js';
import { GoShapeError, goFields, goInt, goList, goString } from './go-fields.js';

const DEFAULT_CONTENT_SETS: ReadonlyMap<string, readonly string[]> = new Map([
  ['6', ['rhel-6-server-rpms', 'rhel-6-server-extras-rpms']],
  ['7', ['rhel-7-server-rpms', 'rhel-7-server-extras-rpms']],
  ['8', ['rhel-8-for-x86_64-baseos-rpms', 'rhel-8-for-x86_64-appstream-rpms']],
  ['9', ['rhel-9-for-x86_64-baseos-rpms', 'rhel-9-for-x86_64-appstream-rpms']],
]);

// RHEL 7 and later have no published end date in Trivy's table (year 3000).
const REDHAT_EOL = eolTable([
  ['4', 2017, 5, 31],
  ['5', 2020, 11, 30],
  ['6', 2024, 6, 30],
  ['7', 3000, 1, 1],
  ['8', 3000, 1, 1],
  ['9', 3000, 1, 1],
  ['10', 3000, 1, 1],
]);

const CENTOS_EOL = eolTable([
  ['3', 2010, 10, 31],
  ['4', 2012, 2, 29],
  ['5', 2017, 3, 31],
  ['6', 2020, 11, 30],
  ['7', 2024, 6, 30],
  ['8', 2021, 12, 31],
]);

const REDHAT_BUCKET = 'Red Hat';
const CPE_BUCKET = 'Red Hat CPE';

/** Image build artefacts such as "repo__8" name no real repository; "__9_DOT_2" (EUS) suffixes are kept. */
function cleanContentSet(contentSet: string): string {
  return contentSet.replace(/__\d+$/, '');
}

interface RedHatAdvisory {
  vulnerabilityId: string;
  vendorIds?: string[];
  severity: number;
  fixedVersion: string;
  arches: string[];
  status: number;
}

interface Entry {
  fixedVersion: string;
  cves: { id: string; severity: number }[];
  arches: string[];
  status: number;
  affected: number[];
}

function decodeEntries(raw: string): Entry[] {
  const top = goFields(JSON.parse(raw), ['Entries'], 'redhatoval.Advisory');
  return goList(top.Entries, 'Entries', (value, at) => {
    const e = goFields(value, ['FixedVersion', 'Cves', 'Arches', 'Status', 'Affected'], at);
    return {
      fixedVersion: goString(e.FixedVersion, `${at}.FixedVersion`),
      cves: goList(e.Cves, `${at}.Cves`, (cve, cveAt) => {
        const c = goFields(cve, ['ID', 'Severity'], cveAt);
        return { id: goString(c.ID, `${cveAt}.ID`), severity: goInt(c.Severity, `${cveAt}.Severity`) };
      }),
      arches: goList(e.Arches, `${at}.Arches`, goString),
      status: goInt(e.Status, `${at}.Status`),
      affected: goList(e.Affected, `${at}.Affected`, goInt),
    };
  });
}

async function cpeIndices(ctx: DriverContext, bucket: string, keys: readonly string[]): Promise<number[]> {
  const out: number[] = [];
  for (const key of keys) {
    if (key === '') continue; // bbolt finds nothing under an empty key
    let value: Buffer | undefined;
    try {
      value = await ctx.db.get([CPE_BUCKET, bucket], key);
    } catch (error) {
      throw dbError(`cannot read ${CPE_BUCKET}/${bucket}/${key}`, error);
    }
    if (value === undefined || value.length === 0) continue;
    let indices: unknown;
    try {
      indices = JSON.parse(value.toString('utf8'));
      out.push(...goList(indices, `${CPE_BUCKET}/${bucket}/${key}`, goInt));
    } catch (error) {
      throw dbError(`cannot decode ${CPE_BUCKET}/${bucket}/${key}`, error);
    }
  }
  return out;
}

/** The CPE indices of an image's content sets and NVRs; packages of one layer share them, so they are cached. */
type CpeLookup = (contentSets: readonly string[], nvrs: readonly string[]) => Promise<ReadonlySet<number>>;

function cpeLookup(ctx: DriverContext): CpeLookup {
  const cache = new Map<string, Promise<ReadonlySet<number>>>();
  return (contentSets, nvrs) => {
    const key = JSON.stringify([contentSets, nvrs]);
    let found = cache.get(key);
    if (found === undefined) {
      found = (async () =>
        new Set([
          ...(await cpeIndices(ctx, 'repository', contentSets)),
          ...(await cpeIndices(ctx, 'nvr', nvrs)),
        ]))();
      cache.set(key, found);
    }
    return found;
  };
}

async function advisoriesFor(
  ctx: DriverContext,
  cpes: CpeLookup,
  pkgName: string,
  contentSets: readonly string[],
  nvrs: readonly string[],
): Promise<RedHatAdvisory[]> {
  const indices = await cpes(contentSets, nvrs);
  if (indices.size === 0) {
    throw new DetectError(
      'DETECT_DB',
      `Red Hat: unable to find CPE indices for content sets [${contentSets.join(', ')}] and NVRs [${nvrs.join(', ')}] ` +
        '(package ' +
        JSON.stringify(pkgName) +
        '); see https://github.com/aquasecurity/trivy-db/issues/435',
    );
  }
  const out: RedHatAdvisory[] = [];
  for (const raw of await rawAdvisoriesOf(ctx, REDHAT_BUCKET, pkgName)) {
    let entries: Entry[];
    try {
      entries = decodeEntries(raw.raw);
    } catch (error) {
      if (error instanceof GoShapeError || error instanceof SyntaxError) {
        throw dbError(`cannot decode Red Hat advisory ${raw.id} of ${JSON.stringify(pkgName)}`, error);
      }
      throw error;
    }
    for (const entry of entries) {
      if (!entry.affected.some((i) => indices.has(i))) continue;
      for (const cve of entry.cves) {
        const byCve = raw.id.startsWith('CVE-');
        out.push({
          vulnerabilityId: byCve ? raw.id : cve.id,
          vendorIds: byCve ? undefined : [raw.id],
          severity: cve.severity,
          fixedVersion: entry.fixedVersion,
          arches: entry.arches,
          status: entry.status,
        });
      }
    }
  }
  return out;
}

async function detectPackage(
  ctx: DriverContext,
  cpes: CpeLookup,
  release: string,
  pkg: Package,
): Promise<DetectedVulnerability[]> {
  const pkgName = modularName(pkg.Name, pkg.Modularitylabel);
  let contentSets: readonly string[];
  let nvr = '';
  if (pkg.BuildInfo === undefined) {
    contentSets = DEFAULT_CONTENT_SETS.get(release) ?? [];
  } else {
    contentSets = pkg.BuildInfo.ContentSets ?? [];
    nvr = `${pkg.BuildInfo.Nvr ?? ''}-${pkg.BuildInfo.Arch ?? ''}`;
  }
  const advisories = await advisoriesFor(ctx, cpes, pkgName, contentSets.map(cleanContentSet), [nvr]);

  // Per CVE, the advisory with the highest fixed version (an unpatched one has none and loses to any).
  const byId = new Map<string, RedHatAdvisory>();
  for (const adv of advisories) {
    if (adv.arches.length > 0 && pkg.Arch !== 'noarch' && !adv.arches.includes(pkg.Arch ?? '')) continue;
    const seen = byId.get(adv.vulnerabilityId);
    if (seen === undefined || rpmLessThan(seen.fixedVersion, adv.fixedVersion))
      byId.set(adv.vulnerabilityId, adv);
  }

  const installed = formatVersion(pkg);
  const vulns: DetectedVulnerability[] = [];
  for (const adv of byId.values()) {
    if (adv.fixedVersion !== '' && !rpmLessThan(installed, adv.fixedVersion)) continue;
    vulns.push({
      VulnerabilityID: adv.vulnerabilityId,
      VendorIDs: copyList(adv.vendorIds),
      PkgID: pkg.ID,
      PkgName: pkg.Name,
      InstalledVersion: installed,
      FixedVersion: formatRpm(adv.fixedVersion),
      PkgIdentifier: pkg.Identifier,
      Status: adv.status === 0 ? undefined : statusName(adv.status),
      Layer: pkg.Layer,
      SeveritySource: 'redhat',
      Severity: severityName(adv.severity),
    });
  }
  return vulns.sort((a, b) =>
    a.VulnerabilityID < b.VulnerabilityID ? -1 : a.VulnerabilityID > b.VulnerabilityID ? 1 : 0,
  );
}

export function createRedHatDriver(): OsDriver {
  return {
    async detect(ctx, osVersion, _repository, packages) {
      const release = major(osVersion);
      ctx.logger.info('Detecting RHEL/CentOS vulnerabilities...', {
        os_version: release,
        pkg_num: packages.length,
      });
      const vulns: DetectedVulnerability[] = [];
      const cpes = cpeLookup(ctx);
      for (const pkg of packages) vulns.push(...(await detectPackage(ctx, cpes, release, pkg)));
      return vulns;
    },
    isSupportedVersion(ctx, family, osVersion) {
      return supported(
        family === 'centos' ? CENTOS_EOL : REDHAT_EOL,
        family,
        major(osVersion),
        ctx.now,
        ctx.logger,
      );
    },
  };
}
