/**
 * Trivy's JSON report (trivy:pkg/types/report.go), with Go's field names. Optional fields are absent when
 * Go would hold a zero value; the encoder (encode.ts) decides what is printed.
 */
import type { DetectedVulnerability, Layer, OS, Package } from '../detect/index.js';

export const SCHEMA_VERSION = 2;

export type ArtifactType =
  | 'container_image'
  | 'filesystem'
  | 'repository'
  | 'cyclonedx'
  | 'spdx'
  | 'vm'
  | string;

export interface Result {
  Target: string;
  /** "os-pkgs" or "lang-pkgs" for vulnerability results. */
  Class?: string;
  /** The OS family or the language package type. */
  Type?: string;
  Packages?: Package[];
  Vulnerabilities?: DetectedVulnerability[];
}

export interface Metadata {
  /** Total uncompressed size of the layers. */
  Size?: number;
  OS?: OS;
  ImageID?: string;
  DiffIDs?: string[];
  RepoTags?: string[];
  RepoDigests?: string[];
  /** The RepoTag or RepoDigest that matches the artifact name (go-containerregistry's Reference.String()). */
  Reference?: string;
  /** The image's config blob as decoded JSON; written in go-containerregistry's ConfigFile field order. */
  ImageConfig?: unknown;
  Layers?: Layer[];
}

export interface Report {
  SchemaVersion: number;
  Trivy?: { Version?: string };
  ReportID?: string;
  /** RFC 3339 with nanoseconds, as Go writes time.Time. */
  CreatedAt?: string;
  ArtifactID?: string;
  ArtifactName?: string;
  ArtifactType?: ArtifactType;
  Metadata?: Metadata;
  Results?: Result[];
}
