/**
 * The `memory` cache backend (Trivy's `--cache-backend memory`): the same contract and size bound as the disk
 * cache, for a server whose clients re-send what it forgets on restart, and for tests.
 */
import { clone, type DescMessage, toBinary } from '@bufbuild/protobuf';
import { cachePb } from '../rpc/index.js';
import {
  ARTIFACT_SCHEMA_VERSION,
  BLOB_SCHEMA_VERSION,
  type BlobStore,
  createLruIndex,
  type EntryKind,
} from './blob-store.js';
import { DEFAULT_CACHE_MAX_BYTES } from './fs-blob-store.js';

type Stored =
  | { kind: 'blob'; message: cachePb.BlobInfo }
  | { kind: 'artifact'; message: cachePb.ArtifactInfo };

export function createMemoryBlobStore(options: { maxBytes?: number } = {}): BlobStore {
  const maxBytes = options.maxBytes ?? DEFAULT_CACHE_MAX_BYTES;
  const index = createLruIndex<Stored>();
  const counters = { hits: 0, misses: 0, evictions: 0, corrupt: 0 };
  const key = (kind: EntryKind, id: string) => `${kind}/${id}`;

  function put(stored: Stored, id: string, schema: DescMessage): void {
    const k = key(stored.kind, id);
    index.set(k, stored, toBinary(schema, stored.message as never).length + id.length);
    for (const victim of index.overflow(maxBytes, k)) {
      index.delete(victim);
      counters.evictions++;
    }
  }

  function get<K extends EntryKind>(
    kind: K,
    id: string,
  ): Extract<Stored, { kind: K }>['message'] | undefined {
    const stored = index.touch(key(kind, id));
    return stored === undefined
      ? undefined
      : (clone(SCHEMA[kind] as never, stored.message as never) as never);
  }

  return {
    backend: 'memory',
    async missingBlobs(artifactId, blobIds) {
      const missingBlobIds = blobIds.filter((id) => {
        const ok = get('blob', id)?.schemaVersion === BLOB_SCHEMA_VERSION;
        if (ok) counters.hits++;
        else counters.misses++;
        return !ok;
      });
      const missingArtifact = get('artifact', artifactId)?.schemaVersion !== ARTIFACT_SCHEMA_VERSION;
      return { missingArtifact, missingBlobIds };
    },
    async putArtifact(id, info) {
      put(
        { kind: 'artifact', message: clone(cachePb.ArtifactInfoSchema, info) },
        id,
        cachePb.ArtifactInfoSchema,
      );
    },
    async putBlob(id, blob) {
      put({ kind: 'blob', message: clone(cachePb.BlobInfoSchema, blob) }, id, cachePb.BlobInfoSchema);
    },
    getArtifact: async (id) => get('artifact', id),
    getBlob: async (id) => get('blob', id),
    async deleteBlobs(ids) {
      for (const id of ids) index.delete(key('blob', id));
    },
    stats: () => ({ entries: index.size, bytes: index.bytes, maxBytes, ...counters }),
    async close() {},
  };
}

const SCHEMA = { blob: cachePb.BlobInfoSchema, artifact: cachePb.ArtifactInfoSchema } as const;
