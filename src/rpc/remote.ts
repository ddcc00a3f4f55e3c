/**
 * The client side of Trivy's client/server mode for Vigil's scan pipeline: the scan server's Cache service as
 * an artifact cache (MissingBlobs, PutBlob, PutArtifact — the shape of src/scan's ArtifactCache), and its
 * Scanner service as the detecting half of a scan. Works against a Vigil server and a Trivy server alike; the
 * token goes in the token header, custom headers (Trivy's --custom-headers) on every call.
 */
import type { BlobInfo } from '../analyze/index.js';
import type { BuildInfo } from '../detect/index.js';
import { toRpcArtifactInfo, toRpcPutBlobRequest, type WireArtifactInfo } from './convert-blob.js';
import type { PackageLike } from './convert-common.js';
import {
  type ClientScanResponse,
  fromRpcScanResponse,
  type ScanRequestInput,
  toRpcScanRequest,
} from './convert-scan.js';
import { Cache } from './gen/rpc/cache/service_pb.js';
import { Scanner } from './gen/rpc/scanner/service_pb.js';
import { createTwirpClient, type RetryPolicy } from './twirp-client.js';

export interface RemoteOptions {
  /** `http(s)://host:port` of the scan server. */
  serverUrl: string;
  token?: string;
  /** Default Trivy-Token. */
  tokenHeader?: string;
  /** Trivy's --custom-headers, as name → value. */
  customHeaders?: Record<string, string>;
  pathPrefix?: string;
  fetch?: typeof fetch;
  retry?: RetryPolicy | false;
  /** Per call (default none). */
  timeoutMs?: number;
}

function clientOptions(options: RemoteOptions) {
  const headers: Record<string, string> = { ...options.customHeaders };
  if (options.token) headers[options.tokenHeader ?? 'Trivy-Token'] = options.token;
  return {
    baseUrl: options.serverUrl,
    headers,
    ...(options.pathPrefix ? { pathPrefix: options.pathPrefix } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.retry !== undefined ? { retry: options.retry } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  };
}

export interface RemoteCache {
  missingBlobs(
    artifactId: string,
    blobIds: readonly string[],
  ): Promise<{ missingArtifact: boolean; missingBlobIds: string[] }>;
  putArtifact(
    artifactId: string,
    info: Omit<WireArtifactInfo, 'HistoryPackages'> & { HistoryPackages?: readonly PackageLike[] },
  ): Promise<void>;
  putBlob(blobId: string, blob: BlobInfo & { BuildInfo?: BuildInfo }): Promise<void>;
  deleteBlobs(blobIds: readonly string[]): Promise<void>;
}

export function createRemoteCache(options: RemoteOptions): RemoteCache {
  const client = createTwirpClient(Cache, clientOptions(options));
  return {
    async missingBlobs(artifactId, blobIds) {
      const answer = await client.missingBlobs({ artifactId, blobIds: [...blobIds] });
      return { missingArtifact: answer.missingArtifact, missingBlobIds: [...answer.missingBlobIds] };
    },
    async putArtifact(artifactId, info) {
      await client.putArtifact({ artifactId, artifactInfo: toRpcArtifactInfo(info) });
    },
    async putBlob(blobId, blob) {
      await client.putBlob(toRpcPutBlobRequest(blobId, blob));
    },
    async deleteBlobs(blobIds) {
      await client.deleteBlobs({ blobIds: [...blobIds] });
    },
  };
}

export interface RemoteScanner {
  /** Scan on the server: it applies the blobs it holds under these keys and detects with its DB. */
  scan(request: ScanRequestInput, call?: { signal?: AbortSignal }): Promise<ClientScanResponse>;
}

export function createRemoteScanner(options: RemoteOptions): RemoteScanner {
  const client = createTwirpClient(Scanner, clientOptions(options));
  return {
    async scan(request, call) {
      return fromRpcScanResponse(
        await client.scan(toRpcScanRequest(request), call?.signal ? { signal: call.signal } : {}),
      );
    },
  };
}
