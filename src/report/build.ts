/**
 * Assembling a report from detection results (trivy:pkg/scan/service.go ScanArtifact and
 * pkg/fingerprint): identity of the artifact, image metadata, and a fingerprint per finding.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { DetectionResult, Layer, OS } from '../detect/index.js';
import { goTimeOf } from './go-time.js';
import { type ArtifactType, type Metadata, type Report, type Result, SCHEMA_VERSION } from './model.js';

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * ArtifactID of a container image: sha256 of "<image ID>:<registry/repository>" (the reference's context,
 * e.g. "index.docker.io/library/alpine"), so the same image in two repositories has two IDs but its tags
 * share one. Without a repository (no RepoTags or RepoDigests) it is the image ID; without an image ID, "".
 */
export function containerArtifactId(imageId: string, repositoryContext: string | undefined): string {
  if (imageId === '') return '';
  if (!repositoryContext) return imageId;
  return `sha256:${sha256Hex(`${imageId}:${repositoryContext}`)}`;
}

/** sha256 of "<artifact ID>:<target>:<package ID>:<vulnerability ID>". */
export function vulnerabilityFingerprint(
  artifactId: string,
  target: string,
  pkgId: string,
  vulnId: string,
): string {
  return `sha256:${sha256Hex(`${artifactId}:${target}:${pkgId}:${vulnId}`)}`;
}

/** Fills every vulnerability's Fingerprint in place. */
export function fillFingerprints(report: Report): void {
  for (const result of report.Results ?? []) {
    for (const v of result.Vulnerabilities ?? []) {
      v.Fingerprint = vulnerabilityFingerprint(
        report.ArtifactID ?? '',
        result.Target,
        v.PkgID ?? '',
        v.VulnerabilityID,
      );
    }
  }
}

/** A UUID version 7 (RFC 9562): 48-bit Unix milliseconds, then random bits. */
export function uuidV7(nowMs: number = Date.now(), random: Buffer = randomBytes(10)): string {
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(Math.trunc(nowMs) % 2 ** 48, 0, 6);
  random.copy(bytes, 6, 0, 10);
  bytes[6] = 0x70 | ((bytes[6] ?? 0) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export interface ImageMetadata {
  ImageID: string;
  DiffIDs?: string[];
  RepoTags?: string[];
  RepoDigests?: string[];
  /** The RepoTag or RepoDigest matching the artifact name, as written (Metadata.Reference). */
  Reference?: string;
  /** The Reference's registry/repository, e.g. "index.docker.io/library/alpine" (for ArtifactID). */
  RepositoryContext?: string;
  /** The decoded config blob. */
  ImageConfig?: unknown;
}

export interface ReportInput {
  artifactName: string;
  artifactType: ArtifactType;
  results: readonly (DetectionResult | Result)[];
  /** The scanned OS (with Eosl); omitted from the report when none was detected. */
  os?: OS;
  image?: ImageMetadata;
  /** The image's layers; Size is their total, CreatedBy is never reported. */
  layers?: readonly Layer[];
  /** Overrides the computed ArtifactID (e.g. for repositories). */
  artifactId?: string;
  /** Trivy.Version (the scanner's version). */
  version?: string;
  /** Default: a fresh UUIDv7. */
  reportId?: string;
  /** Default: now. A string is taken as an RFC 3339 time. */
  createdAt?: Date | string;
}

/** The report before filtering: results as detected, fingerprints filled. */
export function buildReport(input: ReportInput): Report {
  const created = input.createdAt ?? new Date();
  const layers = (input.layers ?? []).map((l) => ({ Size: l.Size, Digest: l.Digest, DiffID: l.DiffID }));
  const size = layers.reduce((sum, l) => sum + (l.Size ?? 0), 0);
  const image = input.image;
  const metadata: Metadata = {
    Size: size || undefined,
    OS: input.os && input.os.Family !== '' ? { ...input.os } : undefined,
    ImageID: image?.ImageID || undefined,
    DiffIDs: image?.DiffIDs,
    RepoTags: image?.RepoTags,
    RepoDigests: image?.RepoDigests,
    Reference: image?.Reference,
    ImageConfig: image?.ImageConfig,
    Layers: layers.length > 0 ? layers : undefined,
  };
  const artifactId =
    input.artifactId ??
    (input.artifactType === 'container_image'
      ? containerArtifactId(image?.ImageID ?? '', image?.RepositoryContext)
      : '');
  const report: Report = {
    SchemaVersion: SCHEMA_VERSION,
    Trivy: input.version ? { Version: input.version } : undefined,
    ReportID: input.reportId ?? uuidV7(),
    CreatedAt: typeof created === 'string' ? created : goTimeOf(created),
    ArtifactID: artifactId || undefined,
    ArtifactName: input.artifactName,
    ArtifactType: input.artifactType,
    Metadata: metadata,
    Results: input.results.map((r) => ({
      Target: r.Target,
      Class: r.Class,
      Type: r.Type,
      Packages: r.Packages && [...r.Packages],
      Vulnerabilities: r.Vulnerabilities?.map((v) => ({ ...v })),
    })),
  };
  fillFingerprints(report);
  return report;
}
