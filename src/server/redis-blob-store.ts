/**
 * The `redis://` cache backend, so several server replicas share what clients uploaded. Entries are the
 * messages as clients sent them, in protobuf binary, under `vigil::blob::<key>` and `vigil::artifact::<key>` —
 * not Trivy's `fanal::…` keys, whose values are Trivy's own JSON: a Trivy server sharing the Redis must not read
 * Vigil's entries or the reverse. Bounds are Redis's (maxmemory with an LRU policy) plus an optional TTL
 * (Trivy's --cache-ttl); MissingBlobs is one MGET.
 */
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { cachePb } from '../rpc/index.js';
import { ARTIFACT_SCHEMA_VERSION, BLOB_SCHEMA_VERSION, type BlobStore } from './blob-store.js';
import { type ServerLogger, silentServerLogger } from './logger.js';
import { createRedisClient, type RedisClient, type RespValue, redisTarget } from './redis-client.js';

export const REDIS_KEY_PREFIX = 'vigil::';

export interface RedisBlobStoreOptions {
  url: string;
  /** Entries expire this long after their last write (seconds; none by default). */
  ttlSeconds?: number;
  logger?: ServerLogger;
  client?: RedisClient;
}

export function createRedisBlobStore(options: RedisBlobStoreOptions): BlobStore {
  const client = options.client ?? createRedisClient({ url: options.url });
  const logger = options.logger ?? silentServerLogger;
  const counters = { hits: 0, misses: 0, evictions: 0, corrupt: 0 };
  const blobKey = (id: string) => `${REDIS_KEY_PREFIX}blob::${id}`;
  const artifactKey = (id: string) => `${REDIS_KEY_PREFIX}artifact::${id}`;

  function decode<T>(what: string, value: RespValue, read: (bytes: Buffer) => T): T | undefined {
    if (!Buffer.isBuffer(value)) return undefined;
    try {
      return read(value);
    } catch (error) {
      counters.corrupt++;
      logger.warn('an unreadable Redis cache entry is treated as missing', {
        key: what,
        error: String(error),
      });
      return undefined;
    }
  }
  const readBlob = (key: string, value: RespValue) =>
    decode(key, value, (b) => fromBinary(cachePb.BlobInfoSchema, b));
  const readArtifact = (key: string, value: RespValue) =>
    decode(key, value, (b) => fromBinary(cachePb.ArtifactInfoSchema, b));

  async function set(key: string, bytes: Uint8Array): Promise<void> {
    const args: (string | Buffer)[] = ['SET', key, Buffer.from(bytes)];
    if (options.ttlSeconds) args.push('EX', String(options.ttlSeconds));
    await client.command(args);
  }

  return {
    backend: `redis (${redisTarget(options.url)})`,
    async missingBlobs(artifactId, blobIds) {
      const keys = [...blobIds.map(blobKey), artifactKey(artifactId)];
      const values = await client.command(['MGET', ...keys]);
      const list = Array.isArray(values) ? values : [];
      const missingBlobIds: string[] = [];
      blobIds.forEach((id, i) => {
        const blob = readBlob(blobKey(id), list[i] ?? null);
        if (blob?.schemaVersion === BLOB_SCHEMA_VERSION) counters.hits++;
        else {
          counters.misses++;
          missingBlobIds.push(id);
        }
      });
      const artifact = readArtifact(artifactKey(artifactId), list[blobIds.length] ?? null);
      return { missingArtifact: artifact?.schemaVersion !== ARTIFACT_SCHEMA_VERSION, missingBlobIds };
    },
    async putArtifact(id, info) {
      await set(artifactKey(id), toBinary(cachePb.ArtifactInfoSchema, info));
    },
    async putBlob(id, blob) {
      await set(blobKey(id), toBinary(cachePb.BlobInfoSchema, blob));
    },
    async getArtifact(id) {
      return readArtifact(artifactKey(id), await client.command(['GET', artifactKey(id)]));
    },
    async getBlob(id) {
      return readBlob(blobKey(id), await client.command(['GET', blobKey(id)]));
    },
    async deleteBlobs(ids) {
      if (ids.length > 0) await client.command(['DEL', ...ids.map(blobKey)]);
    },
    stats: () => ({ entries: 0, bytes: 0, maxBytes: 0, ...counters }),
    close: () => client.close(),
  };
}
