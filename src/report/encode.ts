/**
 * The report as Trivy's JSON writer prints it (trivy:pkg/report/json.go): struct field order as in Trivy's
 * Go types, `omitempty` (zero values, empty slices and maps dropped) and `omitzero` (zero structs and nil
 * slices dropped, empty slices kept) applied field by field, Go's escaping, two-space indentation and a
 * final newline.
 */
import type { DetectedVulnerability, Layer, OS, Package, PkgIdentifier } from '../detect/index.js';
import type { CVSS, DataSource } from '../vulndb/index.js';
import {
  anyValue,
  arr,
  bool,
  float,
  type GoJson,
  goMap,
  int,
  marshalIndent,
  str,
  struct,
} from './go-json.js';
import { goTime } from './go-time.js';
import { encodeImageConfig } from './image-config.js';
import type { Metadata, Report, Result } from './model.js';

/** string, omitempty */
function s(value: string | undefined): GoJson | undefined {
  return value ? str(value) : undefined;
}

/** int, omitempty */
function n(value: number | undefined): GoJson | undefined {
  return value ? int(value) : undefined;
}

/** bool, omitempty */
function b(value: boolean | undefined): GoJson | undefined {
  return value ? bool(true) : undefined;
}

/** []string, omitempty */
function list(values: readonly string[] | undefined): GoJson | undefined {
  return values && values.length > 0 ? arr(values.map(str)) : undefined;
}

/** *time.Time, omitempty */
function time(value: string | undefined): GoJson | undefined {
  return value ? str(goTime(value)) : undefined;
}

/** ftypes.Layer with omitzero: dropped when all fields are empty. */
export function encodeLayer(layer: Layer | undefined): GoJson | undefined {
  if (!layer || (!layer.Size && !layer.Digest && !layer.DiffID && !layer.CreatedBy)) return undefined;
  return struct([
    ['Size', n(layer.Size)],
    ['Digest', s(layer.Digest)],
    ['DiffID', s(layer.DiffID)],
    ['CreatedBy', s(layer.CreatedBy)],
  ]);
}

/** PkgIdentifier with omitzero; its MarshalJSON puts PURL first. */
function identifier(id: PkgIdentifier | undefined): GoJson | undefined {
  if (!id || (!id.PURL && !id.UID && !id.BOMRef)) return undefined;
  return struct([
    ['PURL', s(id.PURL)],
    ['UID', s(id.UID)],
    ['BOMRef', s(id.BOMRef)],
  ]);
}

const RELATIONSHIPS = ['unknown', 'root', 'workspace', 'direct', 'indirect'];

export function encodePackage(pkg: Package): GoJson {
  const relationship = pkg.Relationship ? RELATIONSHIPS[pkg.Relationship] : undefined;
  const repositoryClass = pkg.Repository?.Class;
  return struct([
    ['ID', s(pkg.ID)],
    ['Name', s(pkg.Name)],
    ['Identifier', identifier(pkg.Identifier)],
    ['Version', s(pkg.Version)],
    ['Release', s(pkg.Release)],
    ['Epoch', n(pkg.Epoch)],
    ['Arch', s(pkg.Arch)],
    ['Dev', b(pkg.Dev)],
    ['SrcName', s(pkg.SrcName)],
    ['SrcVersion', s(pkg.SrcVersion)],
    ['SrcRelease', s(pkg.SrcRelease)],
    ['SrcEpoch', n(pkg.SrcEpoch)],
    ['Licenses', list(pkg.Licenses)],
    ['Maintainer', s(pkg.Maintainer)],
    ['Modularitylabel', s(pkg.Modularitylabel)],
    [
      'BuildInfo',
      pkg.BuildInfo &&
        struct([
          ['ContentSets', list(pkg.BuildInfo.ContentSets)],
          ['Nvr', s(pkg.BuildInfo.Nvr)],
          ['Arch', s(pkg.BuildInfo.Arch)],
        ]),
    ],
    ['Repository', repositoryClass ? struct([['Class', str(repositoryClass)]]) : undefined],
    ['Indirect', b(pkg.Indirect)],
    ['Relationship', relationship ? str(relationship) : undefined],
    ['DependsOn', list(pkg.DependsOn)],
    ['Layer', encodeLayer(pkg.Layer)],
    ['FilePath', s(pkg.FilePath)],
    ['Digest', s(pkg.Digest)],
    [
      'Locations',
      pkg.Locations && pkg.Locations.length > 0
        ? arr(
            pkg.Locations.map((l) =>
              struct([
                ['StartLine', n(l.StartLine)],
                ['EndLine', n(l.EndLine)],
              ]),
            ),
          )
        : undefined,
    ],
    ['InstalledFiles', list(pkg.InstalledFiles)],
    ['AnalyzedBy', s(pkg.AnalyzedBy)],
  ]);
}

function dataSource(source: DataSource): GoJson {
  return struct([
    ['ID', s(source.ID)],
    ['Name', s(source.Name)],
    ['URL', s(source.URL)],
    ['BaseID', s(source.BaseID)],
  ]);
}

function cvss(score: CVSS): GoJson {
  return struct([
    ['V2Vector', s(score.V2Vector)],
    ['V3Vector', s(score.V3Vector)],
    ['V40Vector', s(score.V40Vector)],
    ['V2Score', score.V2Score ? float(score.V2Score) : undefined],
    ['V3Score', score.V3Score ? float(score.V3Score) : undefined],
    ['V40Score', score.V40Score ? float(score.V40Score) : undefined],
  ]);
}

function nonEmpty<T>(record: Record<string, T> | undefined): record is Record<string, T> {
  return record !== undefined && Object.keys(record).length > 0;
}

export function encodeVulnerability(v: DetectedVulnerability): GoJson {
  return struct([
    ['VulnerabilityID', s(v.VulnerabilityID)],
    ['VendorIDs', list(v.VendorIDs)],
    ['PkgID', s(v.PkgID)],
    ['PkgName', s(v.PkgName)],
    ['PkgPath', s(v.PkgPath)],
    ['PkgIdentifier', identifier(v.PkgIdentifier)],
    ['InstalledVersion', s(v.InstalledVersion)],
    ['FixedVersion', s(v.FixedVersion)],
    ['Status', v.Status && v.Status !== 'unknown' ? str(v.Status) : undefined],
    ['Layer', encodeLayer(v.Layer)],
    ['SeveritySource', s(v.SeveritySource)],
    ['PrimaryURL', s(v.PrimaryURL)],
    ['DataSource', v.DataSource && dataSource(v.DataSource)],
    ['Fingerprint', s(v.Fingerprint)],
    ['Custom', v.Custom === undefined || v.Custom === null ? undefined : anyValue(v.Custom)],
    ['Title', s(v.Title)],
    ['Description', s(v.Description)],
    ['Severity', s(v.Severity)],
    ['CweIDs', list(v.CweIDs)],
    ['VendorSeverity', nonEmpty(v.VendorSeverity) ? goMap(v.VendorSeverity, (x) => int(x)) : undefined],
    ['CVSS', nonEmpty(v.CVSS) ? goMap(v.CVSS, cvss) : undefined],
    ['References', list(v.References)],
    ['PublishedDate', time(v.PublishedDate)],
    ['LastModifiedDate', time(v.LastModifiedDate)],
  ]);
}

export function encodeOs(os: OS): GoJson {
  return struct([
    ['Family', str(os.Family)],
    ['Name', str(os.Name)],
    ['EOSL', b(os.Eosl)],
    ['extended', b(os.Extended)],
  ]);
}

export function encodeResult(result: Result): GoJson {
  return struct([
    ['Target', str(result.Target)],
    ['Class', s(result.Class)],
    ['Type', s(result.Type)],
    [
      'Packages',
      result.Packages && result.Packages.length > 0 ? arr(result.Packages.map(encodePackage)) : undefined,
    ],
    [
      'Vulnerabilities',
      result.Vulnerabilities && result.Vulnerabilities.length > 0
        ? arr(result.Vulnerabilities.map(encodeVulnerability))
        : undefined,
    ],
  ]);
}

/** Metadata with omitzero: undefined when nothing is set. */
function metadata(m: Metadata | undefined): GoJson | undefined {
  if (m === undefined) return undefined;
  const encoded = struct([
    ['Size', n(m.Size)],
    ['OS', m.OS && encodeOs(m.OS)],
    ['ImageID', s(m.ImageID)],
    ['DiffIDs', list(m.DiffIDs)],
    ['RepoTags', list(m.RepoTags)],
    ['RepoDigests', list(m.RepoDigests)],
    ['Reference', s(m.Reference)],
    ['ImageConfig', encodeImageConfig(m.ImageConfig)],
    // omitzero keeps an empty, non-nil slice; Trivy never sets one (no layers → nil).
    [
      'Layers',
      m.Layers && m.Layers.length > 0 ? arr(m.Layers.map((l) => encodeLayer(l) ?? struct([]))) : undefined,
    ],
  ]);
  return encoded.kind === 'object' && encoded.entries.length === 0 ? undefined : encoded;
}

export function encodeReport(report: Report): GoJson {
  return struct([
    ['SchemaVersion', n(report.SchemaVersion)],
    ['Trivy', report.Trivy?.Version ? struct([['Version', str(report.Trivy.Version)]]) : undefined],
    ['ReportID', s(report.ReportID)],
    ['CreatedAt', report.CreatedAt ? str(goTime(report.CreatedAt)) : undefined],
    ['ArtifactID', s(report.ArtifactID)],
    ['ArtifactName', s(report.ArtifactName)],
    ['ArtifactType', s(report.ArtifactType)],
    ['Metadata', metadata(report.Metadata)],
    [
      'Results',
      report.Results && report.Results.length > 0 ? arr(report.Results.map(encodeResult)) : undefined,
    ],
  ]);
}

export interface JsonWriteOptions {
  /** --list-all-pkgs: keep every result's Packages (default false: packages are dropped). */
  listAllPkgs?: boolean;
}

/**
 * The text `trivy … --format json` writes: packages dropped unless listAllPkgs, results without a target
 * and without findings dropped, indented, with a final newline.
 */
export function writeJsonReport(report: Report, options: JsonWriteOptions = {}): string {
  const results = (report.Results ?? [])
    .map((r) => (options.listAllPkgs ? r : { ...r, Packages: undefined }))
    .filter((r) => r.Target !== '' || (r.Packages?.length ?? 0) > 0 || (r.Vulnerabilities?.length ?? 0) > 0);
  return `${marshalIndent(encodeReport({ ...report, Results: results }))}\n`;
}
