/**
 * Conversions of the shared pieces (trivy.common: OS, packages, layers, identifiers, times) between Vigil's
 * analysis model and Trivy's protobuf messages, with the meanings Trivy's pkg/rpc/convert.go gives them: a
 * package always carries a layer message (empty when unknown), identifiers and package repositories only
 * when set; what the wire does not carry (InstalledFiles, Modularitylabel, a package's BuildInfo) is dropped
 * as a Go client or server drops it. Vigil leaves out fields Go would hold as zero values.
 */
import { create } from '@bufbuild/protobuf';
import { type Timestamp, TimestampSchema } from '@bufbuild/protobuf/wkt';
import type {
  Application,
  Location,
  OS,
  OSFamily,
  Package,
  PackageInfo,
  Repository,
  RepositoryClass,
} from '../analyze/index.js';
import type { Layer, PkgIdentifier } from '../detect/index.js';
import {
  ApplicationSchema,
  LayerSchema,
  LocationSchema,
  OSSchema,
  PackageInfoSchema,
  PackageRepositorySchema,
  PackageSchema,
  PkgIdentifierSchema,
  RepositorySchema,
  type Application as RpcApplication,
  type Layer as RpcLayer,
  type Location as RpcLocation,
  type OS as RpcOS,
  type Package as RpcPackage,
  type PackageInfo as RpcPackageInfo,
  type PkgIdentifier as RpcPkgIdentifier,
  type Repository as RpcRepository,
} from './gen/rpc/common/service_pb.js';

/**
 * A package as the wire carries it: Vigil's analysed package plus what Trivy's clients fill in before sending
 * (PURL/UID, the analyser's name). Families, language types and repository classes on the wire are whatever
 * the sending Trivy knows, possibly more than Vigil's analysers produce; detection treats unknown ones as
 * unsupported, as Trivy does.
 */
export interface WirePackage extends Package {
  Identifier?: PkgIdentifier;
  AnalyzedBy?: string;
}

/** Drops keys whose value is undefined, so optional fields are absent rather than present-and-undefined. */
export function compact<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return value;
}

const nonEmpty = (s: string): string | undefined => (s === '' ? undefined : s);
const nonZero = (n: number): number | undefined => (n === 0 ? undefined : n);
const nonEmptyList = <T>(list: readonly T[]): T[] | undefined => (list.length === 0 ? undefined : [...list]);

// ---- OS, repository, layer ----

/** Any OS shape: analysed (family union) or detected (family string). */
export interface OSLike {
  Family?: string;
  Name?: string;
  Eosl?: boolean;
  Extended?: boolean;
  Supplier?: string;
}

export function toRpcOS(os: OSLike): RpcOS {
  return create(OSSchema, {
    family: os.Family ?? '',
    name: os.Name ?? '',
    eosl: os.Eosl ?? false,
    extended: os.Extended ?? false,
    supplier: os.Supplier ?? '',
  });
}

/** An absent OS message is the zero OS, as ConvertFromRPCOS reads it. */
export function fromRpcOS(os: RpcOS | undefined): OS {
  return compact({
    Family: (os?.family ?? '') as OSFamily | '',
    Name: os?.name ?? '',
    Eosl: os?.eosl ? true : undefined,
    Extended: os?.extended ? true : undefined,
  });
}

export function toRpcRepository(repository: Repository | undefined): RpcRepository | undefined {
  return repository && create(RepositorySchema, { family: repository.Family, release: repository.Release });
}

export function fromRpcRepository(repository: RpcRepository | undefined): Repository | undefined {
  return repository && { Family: repository.family as OSFamily | '', Release: repository.release };
}

export function toRpcLayer(layer: Layer | undefined): RpcLayer {
  return create(LayerSchema, {
    digest: layer?.Digest ?? '',
    diffId: layer?.DiffID ?? '',
    createdBy: layer?.CreatedBy ?? '',
    size: BigInt(layer?.Size ?? 0),
  });
}

export function fromRpcLayer(layer: RpcLayer | undefined): Layer {
  if (layer === undefined) return {};
  return compact({
    Size: nonZero(Number(layer.size)),
    Digest: nonEmpty(layer.digest),
    DiffID: nonEmpty(layer.diffId),
    CreatedBy: nonEmpty(layer.createdBy),
  });
}

// ---- packages ----

export function toRpcPkgIdentifier(identifier: PkgIdentifier | undefined): RpcPkgIdentifier | undefined {
  if (!identifier?.PURL && !identifier?.UID && !identifier?.BOMRef) return undefined;
  return create(PkgIdentifierSchema, {
    purl: identifier.PURL ?? '',
    bomRef: identifier.BOMRef ?? '',
    uid: identifier.UID ?? '',
  });
}

export function fromRpcPkgIdentifier(identifier: RpcPkgIdentifier | undefined): PkgIdentifier | undefined {
  if (identifier === undefined) return undefined;
  const out = compact({
    PURL: nonEmpty(identifier.purl),
    UID: nonEmpty(identifier.uid),
    BOMRef: nonEmpty(identifier.bomRef),
  });
  return Object.keys(out).length === 0 ? undefined : out;
}

function toRpcLocations(
  locations: readonly { StartLine?: number; EndLine?: number }[] | undefined,
): RpcLocation[] {
  return (locations ?? []).map((l) =>
    create(LocationSchema, { startLine: l.StartLine ?? 0, endLine: l.EndLine ?? 0 }),
  );
}

function fromRpcLocations(locations: readonly RpcLocation[]): Location[] | undefined {
  return nonEmptyList(locations.map((l) => ({ StartLine: l.startLine, EndLine: l.endLine })));
}

/** The fields of a package the wire carries; accepts analysed and detected packages alike. */
export interface PackageLike {
  ID?: string;
  Name: string;
  Version: string;
  Release?: string;
  Epoch?: number;
  Arch?: string;
  Identifier?: PkgIdentifier;
  Dev?: boolean;
  SrcName?: string;
  SrcVersion?: string;
  SrcRelease?: string;
  SrcEpoch?: number;
  Licenses?: readonly string[];
  Locations?: readonly { StartLine?: number; EndLine?: number }[];
  Layer?: Layer;
  FilePath?: string;
  DependsOn?: readonly string[];
  Digest?: string;
  Relationship?: number;
  Indirect?: boolean;
  Maintainer?: string;
  AnalyzedBy?: string;
  Repository?: { Class?: string };
}

export function toRpcPackage(pkg: PackageLike): RpcPackage {
  return create(PackageSchema, {
    id: pkg.ID ?? '',
    name: pkg.Name,
    version: pkg.Version,
    release: pkg.Release ?? '',
    epoch: pkg.Epoch ?? 0,
    identifier: toRpcPkgIdentifier(pkg.Identifier),
    arch: pkg.Arch ?? '',
    srcName: pkg.SrcName ?? '',
    srcVersion: pkg.SrcVersion ?? '',
    srcRelease: pkg.SrcRelease ?? '',
    srcEpoch: pkg.SrcEpoch ?? 0,
    licenses: [...(pkg.Licenses ?? [])],
    locations: toRpcLocations(pkg.Locations),
    layer: toRpcLayer(pkg.Layer),
    filePath: pkg.FilePath ?? '',
    dependsOn: [...(pkg.DependsOn ?? [])],
    digest: pkg.Digest ?? '',
    dev: pkg.Dev ?? false,
    indirect: pkg.Indirect ?? false,
    maintainer: pkg.Maintainer ?? '',
    relationship: pkg.Relationship ?? 0,
    analyzedBy: pkg.AnalyzedBy ?? '',
    repository: pkg.Repository?.Class
      ? create(PackageRepositorySchema, { class: pkg.Repository.Class })
      : undefined,
  });
}

// Relationship values Trivy defines (unknown, root, workspace, direct, indirect); others read as unknown.
function relationshipOf(value: number): WirePackage['Relationship'] {
  return value >= 1 && value <= 4 ? (value as 1 | 2 | 3 | 4) : undefined;
}

export function fromRpcPackage(pkg: RpcPackage): WirePackage {
  const layer = fromRpcLayer(pkg.layer);
  return compact<WirePackage>({
    ID: nonEmpty(pkg.id),
    Name: pkg.name,
    Identifier: fromRpcPkgIdentifier(pkg.identifier),
    Version: pkg.version,
    Release: nonEmpty(pkg.release),
    Epoch: nonZero(pkg.epoch),
    Arch: nonEmpty(pkg.arch),
    Dev: pkg.dev || undefined,
    SrcName: nonEmpty(pkg.srcName),
    SrcVersion: nonEmpty(pkg.srcVersion),
    SrcRelease: nonEmpty(pkg.srcRelease),
    SrcEpoch: nonZero(pkg.srcEpoch),
    Licenses: nonEmptyList(pkg.licenses),
    Maintainer: nonEmpty(pkg.maintainer),
    Repository: pkg.repository?.class ? { Class: pkg.repository.class as RepositoryClass } : undefined,
    Indirect: pkg.indirect || undefined,
    Relationship: relationshipOf(pkg.relationship),
    DependsOn: nonEmptyList(pkg.dependsOn),
    Layer: layer.Digest || layer.DiffID ? { Digest: layer.Digest, DiffID: layer.DiffID } : undefined,
    FilePath: nonEmpty(pkg.filePath),
    Digest: nonEmpty(pkg.digest),
    Locations: fromRpcLocations(pkg.locations),
    AnalyzedBy: nonEmpty(pkg.analyzedBy),
  });
}

export function toRpcPackageInfo(info: PackageInfo): RpcPackageInfo {
  return create(PackageInfoSchema, { filePath: info.FilePath, packages: info.Packages.map(toRpcPackage) });
}

export function fromRpcPackageInfo(info: RpcPackageInfo): PackageInfo {
  return { FilePath: info.filePath, Packages: info.packages.map(fromRpcPackage) };
}

export function toRpcApplication(app: Application): RpcApplication {
  return create(ApplicationSchema, {
    type: app.Type,
    filePath: app.FilePath ?? '',
    packages: app.Packages.map(toRpcPackage),
  });
}

export function fromRpcApplication(app: RpcApplication): Application {
  return compact<Application>({
    Type: app.type as Application['Type'],
    FilePath: nonEmpty(app.filePath),
    Packages: app.packages.map(fromRpcPackage),
  });
}

// ---- times ----

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** An RFC 3339 time (as trivy-db and image configs store them) as a protobuf Timestamp; undefined if unreadable. */
export function timestampOf(text: string | undefined): Timestamp | undefined {
  const m = text === undefined ? null : RFC3339.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, frac, , sign, oh, om] = m;
  // setUTCFullYear, unlike Date.UTC, keeps years 0–99 as they are.
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s), 0);
  let seconds = date.getTime() / 1000;
  if (sign !== undefined) seconds -= (sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om) * 60);
  const nanos = frac === undefined ? 0 : Number(frac.padEnd(9, '0'));
  return create(TimestampSchema, { seconds: BigInt(seconds), nanos });
}

/** A Timestamp as Go's time.Time marshals the UTC time AsTime gives: RFC 3339 with trailing zeros trimmed. */
export function formatTimestamp(ts: Timestamp): string {
  const ms = Number(ts.seconds) * 1000;
  const date = new Date(ms);
  const year = date.getUTCFullYear();
  const iso = date.toISOString().replace(/^[+-]?\d+/, String(year).padStart(4, '0'));
  const base = iso.slice(0, iso.indexOf('.'));
  const fraction = ts.nanos === 0 ? '' : `.${String(ts.nanos).padStart(9, '0').replace(/0+$/, '')}`;
  return `${base}${fraction}Z`;
}
