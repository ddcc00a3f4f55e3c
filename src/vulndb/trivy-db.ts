// Reads Trivy's vulnerability database (trivy-db schema 2) the way Trivy does (tdb:pkg/db/*.go): advisories
// live at <root bucket>/<package>/<vulnerability id>, language ecosystems spread over several root buckets
// sharing a "<eco>::" prefix, each root bucket's data source is in "data-source", and details per
// vulnerability ID in "vulnerability".

import { scanAdvisory } from './advisory-scan.js';
import { type BoltDb, type BoltOpenOptions, type BoltStats, type Bucket, openBolt } from './bolt/index.js';
import { createDecodedCache } from './decoded-cache.js';
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

/**
 * One advisory of a getAdvisories result. A record is either the caller's own (decoded for this call: a
 * plain object the caller may change) or, when it comes from the decoded cache's main part, shared
 * between lookups and then frozen, arrays and Custom included; treat records as read-only either way.
 * DataSource is one frozen object per root bucket, shared by all records.
 */
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

/** Caches keyed by caller-supplied names are cleared when they reach this size. */
const NAME_CACHE_LIMIT = 4096;

/**
 * Wraps an open bbolt database; closing the TrivyDb closes it.
 *
 * Every method does its work synchronously (the reader's reads are synchronous, see PageStore) and only
 * returns a promise for the API's sake: a lookup never yields to the event loop halfway, so views into
 * cached pages stay valid for as long as the lookup uses them.
 */
export function createTrivyDb(db: BoltDb, options: Pick<TrivyDbOptions, 'decodedCacheBytes'> = {}): TrivyDb {
  const decodedCacheBytes = Math.max(0, options.decodedCacheBytes ?? DEFAULT_DECODED_CACHE_BYTES);
  // Values are the records in key order; each one's advisory.VulnerabilityID is its key.
  // The cache keeps a result's strings (immutable), not the caller's records; frozen records are made
  // from them when the result is first served from the cache, and afresh for the main part when a result
  // is admitted there (see CachedResult and fromCache).
  const decoded = createDecodedCache<CachedResult>(decodedCacheBytes, (result) => ({
    ...result,
    records: Object.freeze(result.ids.map((id, i) => decodeCached(result, i, id))),
  }));

  function decodeError(what: string, error: unknown): VulnDbError {
    const detail = error instanceof Error ? error.message : String(error);
    return new VulnDbError('VULNDB_DECODE', `${db.path}: cannot decode ${what}: ${detail}`, { cause: error });
  }

  function rootBuckets(prefix?: string): string[] {
    const names: string[] = [];
    db.root.forEachView(
      (view) => {
        names.push(view.buf.toString('utf8', view.keyStart, view.keyEnd));
        return true;
      },
      prefix === undefined ? {} : { prefix },
    );
    return names;
  }

  // The file never changes while open: the root buckets of an ecosystem prefix are listed once, and each
  // top-level bucket is located once.
  const prefixRoots = new Map<string, string[]>();
  const topBuckets = new Map<string, Bucket | null>();

  function rootBucketsCached(prefix: string): string[] {
    let names = prefixRoots.get(prefix);
    if (names === undefined) {
      if (prefixRoots.size >= NAME_CACHE_LIMIT) prefixRoots.clear(); // prefixes come from callers
      names = rootBuckets(prefix);
      prefixRoots.set(prefix, names);
    }
    return names;
  }

  function topBucket(name: string): Bucket | undefined {
    let bucket = topBuckets.get(name);
    if (bucket === undefined) {
      if (topBuckets.size >= NAME_CACHE_LIMIT) topBuckets.clear(); // names come from callers
      bucket = db.root.bucketSync(name) ?? null;
      topBuckets.set(name, bucket);
    }
    return bucket ?? undefined;
  }

  // Likewise each root bucket's data source is decoded once.
  const dataSources = new Map<string, DataSource | undefined>();

  function getDataSource(rootBucket: string): DataSource | undefined {
    if (dataSources.has(rootBucket)) return dataSources.get(rootBucket);
    if (dataSources.size >= NAME_CACHE_LIMIT) dataSources.clear(); // names come from callers
    const source = readDataSource(rootBucket);
    dataSources.set(rootBucket, source);
    return source;
  }

  function readDataSource(rootBucket: string): DataSource | undefined {
    const raw = topBucket(DATA_SOURCE_BUCKET)?.getSync(rootBucket);
    if (raw === undefined) return undefined;
    try {
      const source = decodeDataSource(raw.toString('utf8'));
      // Frozen: one object per root bucket is shared by every lookup and every advisory record.
      return Object.values(source).some((v) => v !== '') ? Object.freeze(source) : undefined;
    } catch (error) {
      // Trivy only logs a broken data source at debug level and carries on without it.
      if (error instanceof GoDecodeError) return undefined;
      throw error;
    }
  }

  /**
   * ForEachAdvisory's walk: for each non-empty value, in order of first appearance, the ID, what `take`
   * makes of the value (a view, valid only during the call) and the index of its root bucket in
   * `roots`. A later root bucket replaces an earlier one's value for the same ID.
   */
  function collect<T>(
    sources: readonly string[],
    pkgName: string,
    take: (buf: Buffer, start: number, end: number) => T,
  ): { roots: readonly string[]; ids: string[]; values: T[]; rootOf: number[] } {
    const rootName = sources[0];
    if (rootName === undefined) throw new TypeError('forEachAdvisory needs a source');
    const roots = rootName.includes('::') ? rootBucketsCached(rootName) : [rootName];
    const nested = sources.length === 1 ? [pkgName] : [...sources.slice(1), pkgName];
    const ids: string[] = [];
    const values: T[] = [];
    const rootOf: number[] = [];
    // Keys are unique within a bucket, but two byte strings may decode to one JS string, and an ID may
    // recur across root buckets: "last value wins, first position kept", as Map.set does.
    const position = new Map<string, number>();
    for (let r = 0; r < roots.length; r++) {
      const bucket = topBucket(roots[r]!)?.bucketSync(...nested);
      if (bucket === undefined) continue;
      bucket.forEachView((view) => {
        if (view.isBucket || view.valueEnd === view.valueStart) return true;
        const id = view.buf.toString('utf8', view.keyStart, view.keyEnd);
        const value = take(view.buf, view.valueStart, view.valueEnd);
        const at = position.get(id);
        if (at === undefined) {
          position.set(id, ids.length);
          ids.push(id);
          values.push(value);
          rootOf.push(r);
        } else {
          values[at] = value;
          rootOf[at] = r;
        }
        return true;
      });
    }
    return { roots, ids, values, rootOf };
  }

  const asScanned = (buf: Buffer, start: number, end: number) => {
    const raw = utf8Slice(buf, start, end);
    return { raw, scanned: scanAdvisory(buf, start, end, raw) };
  };
  const asCopy = (buf: Buffer, start: number, end: number) => {
    const out = Buffer.allocUnsafe(end - start);
    buf.copy(out, 0, start, end);
    return out;
  };

  /** `scanned` is scanAdvisory's result for raw's bytes, if it had them. */
  function decodeOne(
    id: string,
    raw: string,
    scanned: Advisory | undefined,
    pkgName: string,
    rootBucket: string,
    source: DataSource | undefined,
  ) {
    let advisory: Advisory;
    try {
      advisory = scanned ?? decodeAdvisory(raw);
    } catch (error) {
      throw decodeError(
        `advisory ${id} of package ${JSON.stringify(pkgName)} in ${JSON.stringify(rootBucket)}`,
        error,
      );
    }
    advisory.VulnerabilityID = id;
    if (source !== undefined) advisory.DataSource = source;
    // Fresh objects for this caller alone: freezing them (a runtime call per object, some 6% of a random
    // lookup) is left to the records the decoded cache shares.
    return { advisory, raw, rootBucket };
  }

  /** Record i of a cached result, decoded again from its strings (it decoded before, so it decodes), frozen. */
  function decodeCached(result: CachedResult, i: number, id: string): AdvisoryRecord {
    const rootBucket = result.rootBuckets[i]!;
    const { advisory, raw } = decodeOne(
      id,
      result.raws[i]!,
      undefined,
      '',
      rootBucket,
      getDataSource(rootBucket),
    );
    return Object.freeze({ advisory: freezeAdvisory(advisory as Advisory), raw, rootBucket });
  }

  /**
   * A cached result as a Map of shared frozen records. A window entry gets its records on its first hit:
   * a result looked up twice is likely to be looked up again (an image's packages), and from then on
   * it is served like one from the main part.
   */
  function fromCache(result: CachedResult): Map<string, AdvisoryRecord> {
    const ids = result.ids;
    result.records ??= Object.freeze(ids.map((id, i) => decodeCached(result, i, id)));
    // Keyed by the cached IDs: reading each record's ID here made cache hits a third slower (measured).
    const records = result.records;
    const map = new Map<string, AdvisoryRecord>();
    for (let i = 0; i < ids.length; i++) map.set(ids[i]!, records[i]!);
    return map;
  }

  /**
   * Trivy's GetAdvisories for one root bucket: no ID can be replaced by a later bucket, so no staging.
   * Appends the records in key order; returns their estimated footprint.
   */
  function advisoriesOfOneRoot(rootBucket: string, pkgName: string, out: AdvisoryRecord[]): number {
    const bucket = topBucket(rootBucket)?.bucketSync(pkgName);
    if (bucket === undefined) return 0;
    const source = getDataSource(rootBucket);
    let bytes = 0;
    // The page's keys and values as one string of one character per byte, made once per page: keys and
    // values are slices of it (V8 makes a slice of 13 characters or more without copying), instead of
    // a decoding call per key and value. A slice is the UTF-8 text only when its bytes are ASCII: keys
    // are checked, and a value the scanner accepts is ASCII; anything else is decoded on its own.
    let visit = 0;
    let text = '';
    let textStart = 0;
    let textEnd = 0;
    bucket.forEachView((view) => {
      if (view.isBucket || view.valueEnd === view.valueStart) return true;
      const { buf, keyStart, keyEnd, valueStart, valueEnd } = view;
      if (view.pageVisit !== visit) {
        visit = view.pageVisit;
        textStart = view.dataStart;
        textEnd = view.dataEnd;
        text = latin1Slice(buf, textStart, textEnd);
      }
      const inText = keyStart >= textStart && valueEnd <= textEnd;
      const id =
        inText && isAscii(buf, keyStart, keyEnd)
          ? text.slice(keyStart - textStart, keyEnd - textStart)
          : utf8Slice(buf, keyStart, keyEnd);
      let raw = inText ? text.slice(valueStart - textStart, valueEnd - textStart) : '';
      const scanned = inText ? scanAdvisory(buf, valueStart, valueEnd, raw) : undefined;
      if (scanned === undefined) raw = utf8Slice(buf, valueStart, valueEnd);
      out.push(decodeOne(id, raw, scanned, pkgName, rootBucket, source));
      bytes += 4 * raw.length + 2 * id.length + 300;
      return true;
    });
    return bytes;
  }

  function getAdvisoriesSync(source: string, pkgName: string): Map<string, AdvisoryRecord> {
    const cached = decodedCacheBytes > 0 ? decoded.get(source, pkgName) : undefined;
    if (cached !== undefined) return fromCache(cached);
    let list: AdvisoryRecord[] = [];
    // Rough footprint of the raw strings, the decoded objects and the map entries.
    let bytes = 64;
    // An ecosystem prefix ("npm::") names every root bucket it starts; with one of them (or a whole
    // bucket name, which contains "::" too) no ID can be replaced, and the direct path serves.
    const roots = source.includes('::') ? rootBucketsCached(source) : undefined;
    if (roots === undefined) bytes += advisoriesOfOneRoot(source, pkgName, list);
    else if (roots.length === 1) bytes += advisoriesOfOneRoot(roots[0]!, pkgName, list);
    else if (roots.length > 1) {
      // Decoding waits until every root bucket is read: as in Trivy, only the surviving value per ID
      // is decoded.
      // (A value the scanner takes cannot fail to decode, so scanning a value that a later bucket
      // replaces changes nothing but the work done.)
      const { roots, ids, values, rootOf } = collect([source], pkgName, asScanned);
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        const { raw, scanned } = values[i]!;
        const rootBucket = roots[rootOf[i]!]!;
        list.push(decodeOne(id, raw, scanned, pkgName, rootBucket, getDataSource(rootBucket)));
        bytes += 4 * raw.length + 2 * id.length + 300;
      }
    }
    const records = toMap(list);
    // Distinct keys can decode to one string (invalid UTF-8): the Map kept the first position and the
    // last value, as collect() does; the cache must hold the same.
    if (records.size !== list.length) list = [...records.values()];
    // The cache keeps the strings; the caller gets the records.
    if (decodedCacheBytes > 0) {
      const n = list.length;
      const result: CachedResult = { ids: new Array(n), raws: new Array(n), rootBuckets: new Array(n) };
      for (let i = 0; i < n; i++) {
        const record = list[i]!;
        result.ids[i] = record.advisory.VulnerabilityID;
        result.raws[i] = record.raw;
        result.rootBuckets[i] = record.rootBucket;
      }
      decoded.add(source, result, bytes, pkgName);
    }
    return records;
  }

  return {
    path: db.path,
    async forEachAdvisory(sources, pkgName) {
      const { roots, ids, values: contents, rootOf } = collect(sources, pkgName, asCopy);
      const values = new Map<string, StoredValue>();
      for (let i = 0; i < ids.length; i++) {
        const rootBucket = roots[rootOf[i]!]!;
        const source = getDataSource(rootBucket);
        values.set(ids[i]!, {
          rootBucket,
          source: source && { ...source },
          content: contents[i]!,
        });
      }
      return values;
    },
    async getAdvisories(source, pkgName) {
      return getAdvisoriesSync(source, pkgName);
    },
    async getVulnerability(id) {
      const raw = topBucket(VULNERABILITY_BUCKET)?.getSync(id);
      if (raw === undefined) return undefined;
      const text = raw.toString('utf8');
      try {
        return { vulnerability: decodeVulnerability(text), raw: text };
      } catch (error) {
        throw decodeError(`vulnerability ${id}`, error);
      }
    },
    async getDataSource(rootBucket) {
      const source = getDataSource(rootBucket);
      return source && { ...source };
    },
    async get(bucketNames, key) {
      return db.root.bucketSync(...bucketNames)?.getSync(key);
    },
    async rootBuckets(prefix) {
      return rootBuckets(prefix);
    },
    async info() {
      const stats = db.stats();
      return {
        path: db.path,
        fileSize: stats.fileSize,
        pageSize: stats.pageSize,
        txid: stats.txid,
        topLevelBuckets: rootBuckets(),
      };
    },
    async countBucket(name) {
      const bucket = db.root.bucketSync(name);
      if (bucket === undefined) return undefined;
      let buckets = 0;
      let values = 0;
      // Counts only: no key or value is copied. Nested buckets are walked from the view's callback, which
      // is safe because the outer walk re-checks its pages after each callback (see Bucket.forEachView).
      const walk = (b: Bucket, depth: number): void => {
        b.forEachView((view) => {
          if (!view.isBucket) values++;
          else {
            if (depth === 0) buckets++;
            walk(view.bucket(), depth + 1);
          }
          return true;
        });
      };
      walk(bucket, 0);
      return { name, buckets, values };
    },
    async legacyMetadata() {
      const raw = db.root.bucketSync('trivy', 'metadata')?.getSync('data');
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

function toMap(list: readonly AdvisoryRecord[]): Map<string, AdvisoryRecord> {
  const map = new Map<string, AdvisoryRecord>();
  for (let i = 0; i < list.length; i++) {
    const record = list[i]!;
    map.set(record.advisory.VulnerabilityID, record);
  }
  return map;
}

/**
 * A getAdvisories result in the decoded cache: per record, in order, the ID, the stored JSON and the root
 * bucket (strings, which nothing can change); once hit or admitted to the main part, also the decoded
 * records, frozen because every hit shares them.
 */
interface CachedResult {
  readonly ids: string[];
  readonly raws: string[];
  readonly rootBuckets: string[];
  records?: readonly AdvisoryRecord[];
}

type Utf8Sliceable = { utf8Slice(start: number, end: number): string };

/**
 * buf.toString('utf8', start, end) without toString's argument handling, a noticeable share of a lookup
 * that makes a dozen strings. Buffer.prototype.utf8Slice is not documented but has been there in every
 * Node release; should it go, toString takes over.
 */
const utf8Slice: (buf: Buffer, start: number, end: number) => string =
  typeof (Buffer.prototype as Partial<Utf8Sliceable>).utf8Slice === 'function'
    ? (buf, start, end) => (buf as unknown as Utf8Sliceable).utf8Slice(start, end)
    : (buf, start, end) => buf.toString('utf8', start, end);

type Latin1Sliceable = { latin1Slice(start: number, end: number): string };

/** buf.toString('latin1', start, end), the same way as utf8Slice. */
const latin1Slice: (buf: Buffer, start: number, end: number) => string =
  typeof (Buffer.prototype as Partial<Latin1Sliceable>).latin1Slice === 'function'
    ? (buf, start, end) => (buf as unknown as Latin1Sliceable).latin1Slice(start, end)
    : (buf, start, end) => buf.toString('latin1', start, end);

function isAscii(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i]! >= 0x80) return false;
  return true;
}

/**
 * Freezes a decoded advisory: its own arrays, and any Custom value in depth. DataSource objects are
 * frozen already (one per root bucket).
 */
function freezeAdvisory(advisory: Advisory): Advisory {
  if (advisory.VendorIDs !== undefined) Object.freeze(advisory.VendorIDs);
  if (advisory.OSes !== undefined) Object.freeze(advisory.OSes);
  if (advisory.Arches !== undefined) Object.freeze(advisory.Arches);
  if (advisory.VulnerableVersions !== undefined) Object.freeze(advisory.VulnerableVersions);
  if (advisory.PatchedVersions !== undefined) Object.freeze(advisory.PatchedVersions);
  if (advisory.UnaffectedVersions !== undefined) Object.freeze(advisory.UnaffectedVersions);
  if (advisory.DataSource !== undefined) Object.freeze(advisory.DataSource);
  if (advisory.Custom !== undefined) deepFreeze(advisory.Custom);
  return Object.freeze(advisory);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
