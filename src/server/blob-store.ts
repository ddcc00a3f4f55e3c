/**
 * The server's blob and artifact cache (Trivy's cache.Cache behind the Cache service). It keeps the messages
 * clients sent, as sent, so nothing a client analysed is lost even where Vigil's own scan does not use it.
 * What counts as present is Trivy's rule (pkg/cache/fs.go MissingBlobs): a blob whose SchemaVersion is not 2,
 * or an artifact whose SchemaVersion is not 1, is reported missing so that clients send it again.
 */
import type { cachePb } from '../rpc/index.js';

export const BLOB_SCHEMA_VERSION = 2;
export const ARTIFACT_SCHEMA_VERSION = 1;

export type EntryKind = 'blob' | 'artifact';

export interface MissingBlobsResult {
  missingArtifact: boolean;
  missingBlobIds: string[];
}

export interface BlobStoreStats {
  entries: number;
  bytes: number;
  maxBytes: number;
  hits: number;
  misses: number;
  evictions: number;
  /** Entries found unreadable and dropped. */
  corrupt: number;
}

export interface BlobStore {
  readonly backend: string;
  missingBlobs(artifactId: string, blobIds: readonly string[]): Promise<MissingBlobsResult>;
  putArtifact(artifactId: string, info: cachePb.ArtifactInfo): Promise<void>;
  putBlob(blobId: string, blob: cachePb.BlobInfo): Promise<void>;
  getArtifact(artifactId: string): Promise<cachePb.ArtifactInfo | undefined>;
  getBlob(blobId: string): Promise<cachePb.BlobInfo | undefined>;
  deleteBlobs(blobIds: readonly string[]): Promise<void>;
  stats(): BlobStoreStats;
  close(): Promise<void>;
}

/** MissingBlobs over single reads, with Trivy's schema rule; stores with a cheaper check may do their own. */
export async function missingBlobsByReading(
  store: Pick<BlobStore, 'getArtifact' | 'getBlob'>,
  artifactId: string,
  blobIds: readonly string[],
): Promise<MissingBlobsResult> {
  const missingBlobIds: string[] = [];
  for (const id of blobIds) {
    const blob = await store.getBlob(id);
    if (blob === undefined || blob.schemaVersion !== BLOB_SCHEMA_VERSION) missingBlobIds.push(id);
  }
  const artifact = await store.getArtifact(artifactId);
  return {
    missingArtifact: artifact === undefined || artifact.schemaVersion !== ARTIFACT_SCHEMA_VERSION,
    missingBlobIds,
  };
}

/**
 * Least-recently-used bookkeeping by byte size: a Map keeps insertion order, and touching an entry re-inserts
 * it at the end, so the first entries are the ones to evict.
 */
export interface LruIndex<T> {
  get(key: string): T | undefined;
  /** Marks as used now; returns the entry. */
  touch(key: string): T | undefined;
  set(key: string, value: T, bytes: number): void;
  delete(key: string): boolean;
  readonly bytes: number;
  readonly size: number;
  /** Keys to evict, oldest first, until the total is at most maxBytes; `keep` is never chosen. */
  overflow(maxBytes: number, keep?: string): string[];
}

export function createLruIndex<T>(): LruIndex<T> {
  const entries = new Map<string, { value: T; bytes: number }>();
  let total = 0;
  return {
    get: (key) => entries.get(key)?.value,
    touch(key) {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      entries.delete(key);
      entries.set(key, entry);
      return entry.value;
    },
    set(key, value, bytes) {
      const old = entries.get(key);
      if (old !== undefined) {
        total -= old.bytes;
        entries.delete(key);
      }
      entries.set(key, { value, bytes });
      total += bytes;
    },
    delete(key) {
      const old = entries.get(key);
      if (old === undefined) return false;
      total -= old.bytes;
      entries.delete(key);
      return true;
    },
    get bytes() {
      return total;
    },
    get size() {
      return entries.size;
    },
    overflow(maxBytes, keep) {
      const victims: string[] = [];
      let excess = total - maxBytes;
      for (const [key, entry] of entries) {
        if (excess <= 0) break;
        if (key === keep) continue;
        victims.push(key);
        excess -= entry.bytes;
      }
      return victims;
    },
  };
}
