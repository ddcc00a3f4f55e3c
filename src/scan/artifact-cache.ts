/**
 * The cache contract of the scan pipeline, Trivy's ArtifactCache (what the analysing side writes and asks
 * about) and LocalArtifactCache (what the detecting side reads). Standalone scans use the file cache; the
 * client of a scan server implements ArtifactCache over the server's Cache RPCs.
 */
import type { BlobInfo } from '../analyze/index.js';

/** Trivy's ArtifactInfo (image config facts), schema 1. */
export interface ArtifactInfo {
  SchemaVersion: 1;
  Architecture?: string;
  /** RFC 3339, as in the image config. */
  Created?: string;
  DockerVersion?: string;
  OS?: string;
}

export const ARTIFACT_SCHEMA_VERSION = 1;

export interface MissingBlobs {
  missingArtifact: boolean;
  missingBlobIds: string[];
}

export interface ArtifactCache {
  missingBlobs(artifactId: string, blobIds: readonly string[]): Promise<MissingBlobs>;
  putArtifact(artifactId: string, info: ArtifactInfo): Promise<void>;
  putBlob(blobId: string, blob: BlobInfo): Promise<void>;
}

export interface LocalArtifactCache {
  getArtifact(artifactId: string): Promise<ArtifactInfo | undefined>;
  getBlob(blobId: string): Promise<BlobInfo | undefined>;
}

export type Cache = ArtifactCache & LocalArtifactCache;

/** A cache in memory (tests, and a server's `memory` backend later). */
export function createMemoryCache(): Cache & { readonly blobs: Map<string, BlobInfo> } {
  const blobs = new Map<string, BlobInfo>();
  const artifacts = new Map<string, ArtifactInfo>();
  return {
    blobs,
    async missingBlobs(artifactId, blobIds) {
      return {
        missingArtifact: !artifacts.has(artifactId),
        missingBlobIds: blobIds.filter((id) => !blobs.has(id)),
      };
    },
    async putArtifact(artifactId, info) {
      artifacts.set(artifactId, structuredClone(info));
    },
    async putBlob(blobId, blob) {
      blobs.set(blobId, structuredClone(blob));
    },
    async getArtifact(artifactId) {
      const info = artifacts.get(artifactId);
      return info && structuredClone(info);
    },
    async getBlob(blobId) {
      const blob = blobs.get(blobId);
      return blob && structuredClone(blob);
    },
  };
}
