// Reads Trivy's vulnerability database (trivy-db schema 2) the way Trivy does (tdb:pkg/db/*.go): advisories
// live at <root bucket>/<package>/<vulnerability id>, language ecosystems spread over several root buckets
// sharing a "<eco>::" prefix, each root bucket's data source is in "data-source", and details per
// vulnerability ID in "vulnerability".
import {
  type BoltDb,
  type BoltOpenOptions,
  type BoltStats,
  type Bucket,
  createByteLru,
  openBolt,
} from './bolt/index.js';
import { VulnDbError } from './errors.js';
import { decodeAdvisory, decodeDataSource, decodeVulnerability, GoDecodeError } from './go-decode.js';
import type { Advisory, DataSource, Vulnerability } from './trivy-types.js';

export const DATA_SOURCE_BUCKET = 'data-source';
export const VULNERABILITY_BUCKET = 'vulnerability';

/** A raw stored value with the data source of the root bucket it came from (Trivy's db.Value). */
export interface StoredValue {
  rootBucket: string;
  /** Undefined when the data-source bucket has no (decodable, non-empty) entry for rootBucket. */
  source: DataSource | undefined;
  content: Buffer;
}

/** Frozen: records are shared between lookups through the decoded-advisory cache. */
export interface AdvisoryRecord {
  /** Decoded as Trivy's GetAdvisories does: VulnerabilityID filled in, DataSource attached. */
  readonly advisory: Readonly<Advisory>;
  /** The stored JSON, unchanged. */
  readonly raw: string;
  readonly rootBucket: string;
}

export interface VulnerabilityRecord {
  vulnerability: Vulnerability;
  raw: string;
}

export interface TrivyDbInfo {
  path: string;
  fileSize: number;
  pageSize: number;
  txid: bigint;
  topLevelBuckets: string[];
}

export interface BucketCounts {
  name: string;
  /** Direct nested buckets (packages, for an advisory bucket). */
  buckets: number;
  /** Key/value pairs at any depth (advisories, for an advisory bucket). */
  values: number;
}

export interface TrivyDb {
  readonly path: string;
  /**
   * Trivy's ForEachAdvisory: every non-empty value under [...sources.slice(1), pkgName] of each root
   * bucket named sources[0] — or, when sources[0] contains "::", of every root bucket starting with it —
   * keyed by vulnerability ID. A later root bucket replaces an earlier one's entry for the same ID.
   */
  forEachAdvisory(sources: readonly string[], pkgName: string): Promise<Map<string, StoredValue>>;
  /** Trivy's GetAdvisories(source, pkgName), keyed by vulnerability ID. */
  getAdvisories(source: string, pkgName: string): Promise<Map<string, AdvisoryRecord>>;
  /** The "vulnerability" bucket's entry (Trivy errors with "no vulnerability details" when missing). */
  getVulnerability(id: string): Promise<VulnerabilityRecord | undefined>;
  getDataSource(rootBucket: string): Promise<DataSource | undefined>;
  /** A raw value at bucket path + key. */
  get(bucketNames: readonly string[], key: string): Promise<Buffer | undefined>;
  /** Names of all top-level buckets whose name starts with prefix (all when omitted), in byte order. */
  rootBuckets(prefix?: string): Promise<string[]>;
  info(): Promise<TrivyDbInfo>;
  /** Walks one top-level bucket completely; cost grows with its size. */
  countBucket(name: string): Promise<BucketCounts | undefined>;
  /** Schema 1 kept metadata at trivy/metadata/data; schema 2 files have none (undefined). */
  legacyMetadata(): Promise<unknown>;
  stats(): BoltStats;
  close(): Promise<void>;
}

export interface TrivyDbOptions extends BoltOpenOptions {
  /**
   * Budget for decoded getAdvisories results, reused while the file is open (default 4 MiB; 0 turns
   * it off). Scans of images sharing packages repeat the same lookups, and decoding JSON is most of a
   * lookup's cost once the pages are cached.
   */
  decodedCacheBytes?: number;
}

export const DEFAULT_DECODED_CACHE_BYTES = 4 * 1024 * 1024;

export async function openTrivyDb(path: string, options: TrivyDbOptions = {}): Promise<TrivyDb> {
  const db = await openBolt(path, options);
  return createTrivyDb(db, options);
}

/** Wraps an open bbolt database; closing the TrivyDb closes it. */
export function createTrivyDb(db: BoltDb, options: Pick<TrivyDbOptions, 'decodedCacheBytes'> = {}): TrivyDb {
  const decodedCacheBytes = options.decodedCacheBytes ?? DEFAULT_DECODED_CACHE_BYTES;
  const decoded = createByteLru<readonly [string, AdvisoryRecord][], string>(decodedCacheBytes);

  function decodeError(what: string, error: unknown): VulnDbError {
    const detail = error instanceof Error ? error.message : String(error);
    return new VulnDbError('VULNDB_DECODE', `${db.path}: cannot decode ${what}: ${detail}`, { cause: error });
  }

  async function rootBuckets(prefix?: string): Promise<string[]> {
    const names: string[] = [];
    for await (const entry of prefix === undefined ? db.root.entries() : db.root.scan(prefix)) {
      names.push(entry.key.toString('utf8'));
    }
    return names;
  }

  // The file never changes while open: the root buckets of an ecosystem prefix are listed once.
  const prefixRoots = new Map<string, Promise<string[]>>();

  function rootBucketsCached(prefix: string): Promise<string[]> {
    let names = prefixRoots.get(prefix);
    if (names === undefined) {
      if (prefixRoots.size >= 4096) prefixRoots.clear(); // prefixes come from callers: keep it bounded
      names = rootBuckets(prefix);
      prefixRoots.set(prefix, names);
      names.catch(() => prefixRoots.delete(prefix));
    }
    return names;
  }

  // Likewise each root bucket's data source is decoded once.
  const dataSources = new Map<string, Promise<DataSource | undefined>>();

  function getDataSource(rootBucket: string): Promise<DataSource | undefined> {
    let source = dataSources.get(rootBucket);
    if (source === undefined) {
      if (dataSources.size >= 4096) dataSources.clear(); // names come from callers: keep it bounded
      source = readDataSource(rootBucket);
      dataSources.set(rootBucket, source);
      source.catch(() => dataSources.delete(rootBucket));
    }
    return source;
  }

  async function readDataSource(rootBucket: string): Promise<DataSource | undefined> {
    const raw = await (await db.bucket(DATA_SOURCE_BUCKET))?.get(rootBucket);
    if (raw === undefined) return undefined;
    try {
      const source = decodeDataSource(raw.toString('utf8'));
      // Frozen: one object per root bucket is shared by every lookup; callers get copies.
      return Object.values(source).some((v) => v !== '') ? Object.freeze(source) : undefined;
    } catch (error) {
      // Trivy only logs a broken data source at debug level and carries on without it.
      if (error instanceof GoDecodeError) return undefined;
      throw error;
    }
  }

  /**
   * ForEachAdvisory's walk; `make` turns each non-empty value (a view into a cached page, valid only
   * during the call) into what the map holds.
   */
  async function collect<T>(
    sources: readonly string[],
    pkgName: string,
    make: (value: Buffer, rootBucket: string, source: DataSource | undefined) => T,
  ): Promise<Map<string, T>> {
    const [rootName, ...nested] = [...sources, pkgName];
    if (rootName === undefined || sources.length === 0) throw new TypeError('forEachAdvisory needs a source');
    const roots = rootName.includes('::') ? await rootBucketsCached(rootName) : [rootName];
    const values = new Map<string, T>();
    for (const rootBucket of roots) {
      const root = await db.bucket(rootBucket);
      if (root === undefined) continue;
      const source = await getDataSource(rootBucket);
      const bucket = await root.bucket(...nested);
      if (bucket === undefined) continue;
      for (const entry of await bucket.list({ views: true })) {
        if (entry.value === undefined || entry.value.length === 0) continue;
        values.set(entry.key.toString('utf8'), make(entry.value, rootBucket, source));
      }
    }
    return values;
  }

  return {
    path: db.path,
    forEachAdvisory(sources, pkgName) {
      return collect(sources, pkgName, (value, rootBucket, source) => ({
        rootBucket,
        source: source && { ...source },
        content: Buffer.from(value),
      }));
    },
    async getAdvisories(source, pkgName) {
      const cacheKey = `${source}\u0000${pkgName}`;
      const cached = decodedCacheBytes > 0 ? decoded.get(cacheKey) : undefined;
      if (cached !== undefined) return new Map(cached);
      // Decoding waits until every root bucket is read: as in Trivy, only the surviving value per ID is
      // decoded.
      const stored = await collect([source], pkgName, (value, rootBucket, dataSource) => ({
        raw: value.toString('utf8'),
        rootBucket,
        source: dataSource,
      }));
      const records: [string, AdvisoryRecord][] = [];
      let bytes = 64;
      for (const [id, value] of stored) {
        const { raw } = value;
        let advisory: Advisory;
        try {
          advisory = decodeAdvisory(raw);
        } catch (error) {
          throw decodeError(
            `advisory ${id} of package ${JSON.stringify(pkgName)} in ${JSON.stringify(value.rootBucket)}`,
            error,
          );
        }
        advisory.VulnerabilityID = id;
        if (value.source !== undefined) advisory.DataSource = { ...value.source };
        records.push([id, deepFreeze({ advisory, raw, rootBucket: value.rootBucket })]);
        // Rough footprint of the raw string, the decoded object and the map entry.
        bytes += 4 * raw.length + 2 * id.length + 300;
      }
      if (decodedCacheBytes > 0) decoded.set(cacheKey, records, bytes);
      return new Map(records);
    },
    async getVulnerability(id) {
      const raw = await (await db.bucket(VULNERABILITY_BUCKET))?.get(id);
      if (raw === undefined) return undefined;
      const text = raw.toString('utf8');
      try {
        return { vulnerability: decodeVulnerability(text), raw: text };
      } catch (error) {
        throw decodeError(`vulnerability ${id}`, error);
      }
    },
    async getDataSource(rootBucket) {
      const source = await getDataSource(rootBucket);
      return source && { ...source };
    },
    async get(bucketNames, key) {
      const bucket = await db.bucket(...bucketNames);
      return bucket?.get(key);
    },
    rootBuckets,
    async info() {
      const stats = db.stats();
      return {
        path: db.path,
        fileSize: stats.fileSize,
        pageSize: stats.pageSize,
        txid: stats.txid,
        topLevelBuckets: await rootBuckets(),
      };
    },
    async countBucket(name) {
      const bucket = await db.bucket(name);
      if (bucket === undefined) return undefined;
      let buckets = 0;
      let values = 0;
      const walk = async (b: Bucket, depth: number): Promise<void> => {
        for await (const entry of b.entries()) {
          if (entry.bucket === undefined) values++;
          else {
            if (depth === 0) buckets++;
            await walk(entry.bucket, depth + 1);
          }
        }
      };
      await walk(bucket, 0);
      return { name, buckets, values };
    },
    async legacyMetadata() {
      const raw = await (await db.bucket('trivy', 'metadata'))?.get('data');
      if (raw === undefined) return undefined;
      try {
        return JSON.parse(raw.toString('utf8'));
      } catch (error) {
        throw decodeError('the legacy trivy/metadata/data entry', error);
      }
    },
    stats: () => db.stats(),
    close: () => db.close(),
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
