export { BoltError, type BoltErrorCode } from './errors.js';
export { createMemoryBucket, type MemoryBucket } from './memory-tree.js';
export { type ByteLru, createByteLru } from './page-cache.js';
export { DEFAULT_CACHE_BYTES, type PageStoreStats as BoltStats } from './page-store.js';
export {
  type BoltDb,
  type BoltEntry,
  type BoltKey,
  type BoltOpenOptions,
  type Bucket,
  type EntriesOptions,
  type EntryView,
  openBolt,
} from './reader.js';
export {
  type BoltBucketSource,
  type BoltWriteEntry,
  type BoltWriteOptions,
  type BoltWriteSummary,
  writeBolt,
} from './writer.js';
