/**
 * Completing detected vulnerabilities (trivy:pkg/vulnerability FillInfo): the status, the details from the
 * "vulnerability" bucket, the severity and where it came from, and the primary URL.
 *
 * Severity selection with the default source list ["auto"]: the advisory's own data source (its BaseID,
 * else its ID) if it rated the issue, else GitHub for GHSA IDs, else NVD, else the deprecated severity
 * stored with the vulnerability (with no source). An explicit list is walked in order ("auto" inside it
 * switches to the automatic choice). A package-specific severity set by the driver (Debian, Red Hat, Echo)
 * always wins and is written back into VendorSeverity.
 */
import { SEVERITIES, type SeverityName, severityName, type TrivyDb } from '../vulndb/index.js';
import type { DetectedVulnerability, Logger } from './types.js';

/** Reference prefixes that make a good primary URL per data source, when the ID gives none. */
const PRIMARY_URL_PREFIXES: ReadonlyMap<string, readonly string[]> = new Map([
  ['debian', ['http://www.debian.org', 'https://www.debian.org']],
  ['ubuntu', ['http://www.ubuntu.com', 'https://usn.ubuntu.com']],
  ['redhat', ['https://access.redhat.com']],
  ['suse-cvrf', ['http://lists.opensuse.org', 'https://lists.opensuse.org']],
  ['oracle-oval', ['http://linux.oracle.com/errata', 'https://linux.oracle.com/errata']],
  ['nodejs-security-wg', ['https://www.npmjs.com', 'https://hackerone.com']],
  ['ruby-advisory-db', ['https://groups.google.com']],
]);

export function primaryUrl(
  vulnId: string,
  references: readonly string[] | undefined,
  sourceId: string,
): string {
  if (vulnId.startsWith('CVE-')) return `https://avd.aquasec.com/nvd/${vulnId.toLowerCase()}`;
  if (vulnId.startsWith('RUSTSEC-')) return `https://osv.dev/vulnerability/${vulnId}`;
  if (vulnId.startsWith('GHSA-')) return `https://github.com/advisories/${vulnId}`;
  if (vulnId.startsWith('TEMP-')) return `https://security-tracker.debian.org/tracker/${vulnId}`;
  for (const prefix of PRIMARY_URL_PREFIXES.get(sourceId) ?? []) {
    const ref = references?.find((r) => r.startsWith(prefix));
    if (ref !== undefined) return ref;
  }
  return '';
}

function severityIndex(name: string): number {
  const i = SEVERITIES.indexOf(name as SeverityName);
  return Math.max(i, 0);
}

interface Selected {
  severity: string;
  source: string;
}

function fromSources(
  vulnId: string,
  vendorSeverity: Record<string, number> | undefined,
  deprecatedSeverity: string | undefined,
  dataSourceId: string,
  sources: readonly string[],
): Selected {
  for (const source of sources) {
    if (source === 'auto') return automatic(vulnId, vendorSeverity, deprecatedSeverity, dataSourceId);
    const s = vendorSeverity?.[source];
    if (s !== undefined) return { severity: severityName(s), source };
  }
  return { severity: 'UNKNOWN', source: '' };
}

function automatic(
  vulnId: string,
  vendorSeverity: Record<string, number> | undefined,
  deprecatedSeverity: string | undefined,
  dataSourceId: string,
): Selected {
  const own = vendorSeverity?.[dataSourceId];
  if (own !== undefined) return { severity: severityName(own), source: dataSourceId };
  const fallbacks = vulnId.startsWith('GHSA-') ? [dataSourceId, 'ghsa', 'nvd'] : [dataSourceId, 'nvd'];
  const found = fromSources(vulnId, vendorSeverity, deprecatedSeverity, dataSourceId, fallbacks);
  if (found.severity !== 'UNKNOWN') return found;
  if (!deprecatedSeverity) return { severity: 'UNKNOWN', source: '' };
  return { severity: deprecatedSeverity, source: '' };
}

export interface FillInfoOptions {
  /** --vuln-severity-source; default ["auto"]. */
  severitySources?: readonly string[];
  logger?: Logger;
}

/** Fills the vulnerabilities in place (Trivy mutates them the same way). */
export async function fillInfo(
  db: TrivyDb,
  vulns: DetectedVulnerability[],
  options: FillInfoOptions = {},
): Promise<void> {
  const sources = options.severitySources ?? ['auto'];
  const noSeverity: string[] = [];
  let borrowed = false;
  for (const v of vulns) {
    // A fix makes it fixed whatever the vendor said; otherwise the vendor's status, or affected.
    if (v.FixedVersion) v.Status = 'fixed';
    else if (v.Status === undefined || v.Status === 'unknown') v.Status = 'affected';

    // Like Trivy, a missing or unreadable entry costs the details of this finding, not the scan.
    let record: Awaited<ReturnType<TrivyDb['getVulnerability']>>;
    let problem: string | undefined;
    try {
      record = await db.getVulnerability(v.VulnerabilityID);
    } catch (error) {
      problem = error instanceof Error ? error.message : String(error);
    }
    if (record === undefined) {
      options.logger?.warn('Unable to get vulnerability details (CVE may be rejected)', {
        id: v.VulnerabilityID,
        ...(problem === undefined ? {} : { error: problem }),
      });
      v.Severity = v.Severity || 'UNKNOWN';
      continue;
    }
    const details = record.vulnerability;
    const dataSourceId = v.DataSource?.BaseID || v.DataSource?.ID || '';
    let { severity, source } = fromSources(
      v.VulnerabilityID,
      details.VendorSeverity,
      details.Severity,
      dataSourceId,
      sources,
    );
    if (severity === 'UNKNOWN') noSeverity.push(v.VulnerabilityID);
    else if (source === '' && sources.includes('auto')) borrowed = true;

    const vendorSeverity = details.VendorSeverity ? { ...details.VendorSeverity } : undefined;
    let vendor = vendorSeverity;
    if (v.SeveritySource) {
      severity = v.Severity ?? '';
      source = v.SeveritySource;
      vendor = vendor ?? {};
      vendor[source] = severityIndex(severity);
    }

    v.Title = details.Title;
    v.Description = details.Description;
    v.CweIDs = details.CweIDs && [...details.CweIDs];
    v.VendorSeverity = vendor;
    v.CVSS = details.CVSS && structuredClone(details.CVSS);
    v.References = details.References && [...details.References];
    v.PublishedDate = details.PublishedDate;
    v.LastModifiedDate = details.LastModifiedDate;
    v.Severity = severity;
    v.SeveritySource = source || undefined;
    v.PrimaryURL = primaryUrl(v.VulnerabilityID, details.References, v.DataSource?.ID ?? '') || undefined;
  }
  if (borrowed) {
    options.logger?.warn(
      'Using severities from other vendors for some vulnerabilities (see Trivy severity selection)',
    );
  }
  if (!sources.includes('auto') && noSeverity.length > 0) {
    options.logger?.warn('No severity found in specified sources', {
      'vulnerability-ids': noSeverity,
      'severity-sources': sources,
    });
  }
}
