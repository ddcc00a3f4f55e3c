/**
 * The two Twirp services Trivy's clients call. Cache (PutArtifact, PutBlob, MissingBlobs, DeleteBlobs) is the
 * blob store behind a thin check of the requests; Scanner.Scan leases the current DB, reads the blobs the
 * client named, and hands them to the injected scan step (src/scan: apply layers, detect), then converts the
 * answer. Scan needs a DB, the cache does not: clients may upload while the server is still loading its DB,
 * and a Scan before then is answered `unavailable`, which Trivy's client retries.
 */

import {
  type Cache,
  type CallContext,
  fromRpcArtifactInfo,
  fromRpcBlobInfo,
  fromRpcScanOptions,
  type Scanner,
  type ServiceImpl,
  TwirpError,
  toRpcScanResponse,
  type WireArtifactInfo,
  type WireBlobInfo,
  type WireScanOptions,
  type WireScanResponse,
} from '../rpc/index.js';
import type { TrivyDb } from '../vulndb/index.js';
import type { BlobStore } from './blob-store.js';
import type { DbManager } from './db-manager.js';
import { messageOf, ServerError } from './errors.js';
import type { ServerLogger } from './logger.js';

export interface ScanStepRequest {
  /** The image name or archive path the client scanned (used in result targets). */
  target: string;
  artifactId: string;
  artifactInfo: WireArtifactInfo | undefined;
  /** In the client's order, bottom layer first. */
  blobs: WireBlobInfo[];
  options: WireScanOptions;
  db: TrivyDb;
  signal: AbortSignal;
}

/** Apply the layers and detect: the part of a scan that needs the DB. */
export type ScanStep = (request: ScanStepRequest) => Promise<WireScanResponse>;

/** Longest cache key accepted; Trivy's are "sha256:" + 64 hex digits. */
export const MAX_KEY_LENGTH = 1024;
/** Most blob ids one call may name. */
export const MAX_BLOB_IDS = 10_000;

function checkKey(what: string, key: string): void {
  if (key === '') throw new TwirpError('invalid_argument', `${what} is empty`, { meta: { argument: what } });
  if (key.length > MAX_KEY_LENGTH) {
    throw new TwirpError('invalid_argument', `${what} is longer than ${MAX_KEY_LENGTH} characters`, {
      meta: { argument: what },
    });
  }
}

function checkKeys(what: string, keys: readonly string[]): void {
  if (keys.length > MAX_BLOB_IDS) {
    throw new TwirpError('invalid_argument', `${what} names more than ${MAX_BLOB_IDS} blobs`, {
      meta: { argument: what },
    });
  }
  for (const key of keys) checkKey(what, key);
}

// A store failure is the server's problem, not the client's: `internal`, with the reason for the operator.
async function storeCall<T>(logger: ServerLogger, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof TwirpError) throw error;
    logger.error(`cache ${what} failed`, { error: messageOf(error) });
    throw new TwirpError('internal', `unable to ${what}: ${messageOf(error)}`, { cause: error });
  }
}

export function createCacheService(store: BlobStore, logger: ServerLogger): ServiceImpl<typeof Cache> {
  return {
    async putArtifact(request) {
      checkKey('artifact_id', request.artifactId);
      if (request.artifactInfo === undefined) throw new TwirpError('invalid_argument', 'empty image info');
      const info = request.artifactInfo;
      await storeCall(logger, 'store image info in cache', () => store.putArtifact(request.artifactId, info));
      return {};
    },
    async putBlob(request) {
      checkKey('diff_id', request.diffId);
      if (request.blobInfo === undefined) throw new TwirpError('invalid_argument', 'empty layer info');
      const blob = request.blobInfo;
      await storeCall(logger, 'store layer info in cache', () => store.putBlob(request.diffId, blob));
      return {};
    },
    async missingBlobs(request) {
      checkKeys('blob_ids', request.blobIds);
      const result = await storeCall(logger, 'get missing blobs', () =>
        store.missingBlobs(request.artifactId, request.blobIds),
      );
      return { missingArtifact: result.missingArtifact, missingBlobIds: result.missingBlobIds };
    },
    async deleteBlobs(request) {
      checkKeys('blob_ids', request.blobIds);
      await storeCall(logger, 'remove blobs', () => store.deleteBlobs(request.blobIds));
      return {};
    },
  };
}

export interface ScannerServiceOptions {
  store: BlobStore;
  db: DbManager;
  scan: ScanStep;
  logger: ServerLogger;
  /** Told of each Scan's outcome (metrics). */
  onScan?: (code: string, seconds: number) => void;
  now?: () => number;
}

export function createScannerService(options: ScannerServiceOptions): ServiceImpl<typeof Scanner> {
  const { store, logger } = options;
  const now = options.now ?? (() => performance.now());
  return {
    async scan(request, context: CallContext) {
      const started = now();
      let code = 'ok';
      try {
        return await scan(request, context);
      } catch (error) {
        code = TwirpError.from(error).code;
        throw error;
      } finally {
        options.onScan?.(code, (now() - started) / 1000);
      }
    },
  };

  async function scan(
    request: Parameters<ServiceImpl<typeof Scanner>['scan']>[0],
    context: CallContext,
  ): Promise<ReturnType<typeof toRpcScanResponse>> {
    checkKeys('blob_ids', request.blobIds);
    const lease = options.db.acquire();
    if (lease === undefined) {
      const reason = options.db.status().lastError;
      throw new TwirpError(
        'unavailable',
        `the vulnerability DB is not loaded yet${reason ? ` (${reason})` : ''}; try again later`,
      );
    }
    try {
      const blobs: WireBlobInfo[] = [];
      const missing: string[] = [];
      for (const id of request.blobIds) {
        const blob = await storeCall(logger, 'read layer info from cache', () => store.getBlob(id));
        // Trivy's applier takes a zero schema version for "not there" (pkg/fanal/applier).
        if (blob === undefined || blob.schemaVersion === 0) missing.push(id);
        else blobs.push(fromRpcBlobInfo(blob));
      }
      if (missing.length > 0) {
        throw new TwirpError(
          'not_found',
          `failed scan, ${request.target}: layer cache missing: ${missing.join(', ')}; upload the blobs with PutBlob (MissingBlobs lists what the server lacks) before Scan`,
          { meta: { missing_blob_ids: missing.join(',') } },
        );
      }
      const artifact = request.artifactId
        ? await storeCall(logger, 'read image info from cache', () => store.getArtifact(request.artifactId))
        : undefined;
      const scanOptions = fromRpcScanOptions(request.options, (message) => logger.warn(message));
      let response: WireScanResponse;
      try {
        response = await options.scan({
          target: request.target,
          artifactId: request.artifactId,
          artifactInfo: artifact && fromRpcArtifactInfo(artifact),
          blobs,
          options: scanOptions,
          db: lease.db,
          signal: context.signal,
        });
      } catch (error) {
        if (error instanceof TwirpError) throw error;
        logger.error('scan failed', { target: request.target, error: messageOf(error) });
        const code = ServerError.is(error, 'SERVER_DB') ? 'unavailable' : 'internal';
        throw new TwirpError(code, `failed scan, ${request.target}: ${messageOf(error)}`, { cause: error });
      }
      return toRpcScanResponse(response);
    } finally {
      lease.release();
    }
  }
}
