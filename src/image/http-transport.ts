// The HTTP layer under the registry client. The default sends with node:http/node:https, with keep-alive
// agents of its own. Not undici 7: merely loading it installs its Agent as Node 20's global fetch
// dispatcher (Node's bundled undici 6 then sends through an incompatible Agent, and built-in fetch breaks
// for the whole process). Not the built-in fetch either: it cannot skip TLS verification for one client
// (only the process-wide NODE_TLS_REJECT_UNAUTHORIZED), its bodies are web streams that must be converted
// before they pipe into the digest check and gunzip, and it refuses the Fetch standard's "bad ports"
// (6000, 5060, 10080, …) that a private registry may well use. Redirects are never followed here: the
// client follows them itself so that Authorization never reaches another host. A WHATWG fetch can still
// be injected (fetchTransport), e.g. by tests.
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';

export interface HttpRequest {
  url: string;
  method: 'GET' | 'HEAD' | 'POST';
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal | undefined;
}

export interface HttpResponse {
  status: number;
  /** Header lookup by lowercase name; repeated headers are joined with ", ". */
  header(name: string): string | undefined;
  /** Must be consumed or destroyed. */
  body: Readable;
}

export type HttpTransport = (request: HttpRequest) => Promise<HttpResponse>;

export interface NodeTransportOptions {
  /** Skip TLS certificate verification. */
  insecure?: boolean;
  /** The longest silence while connecting and waiting for headers (default 60 s). */
  idleTimeoutMs?: number;
  /** The longest silence while a body is read (default 5 min). */
  bodyIdleTimeoutMs?: number;
}

export interface ClosableTransport {
  send: HttpTransport;
  close(): Promise<void>;
}

export function createNodeTransport(options: NodeTransportOptions = {}): ClosableTransport {
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  const bodyIdleTimeoutMs = options.bodyIdleTimeoutMs ?? 300_000;
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const httpsAgent = new https.Agent({
    keepAlive: true,
    maxSockets: 16,
    rejectUnauthorized: !options.insecure,
  });
  return {
    send: (req) =>
      new Promise<HttpResponse>((resolve, reject) => {
        const url = new URL(req.url);
        const secure = url.protocol === 'https:';
        if (!secure && url.protocol !== 'http:') {
          reject(new Error(`unsupported URL scheme ${url.protocol} in ${req.url}`));
          return;
        }
        const headers: Record<string, string> = { ...req.headers };
        let waitingMs = idleTimeoutMs;
        let receiving: http.IncomingMessage | undefined;
        if (req.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(req.body));
        const request = (secure ? https : http).request(
          url,
          {
            method: req.method,
            headers,
            agent: secure ? httpsAgent : httpAgent,
            ...(req.signal === undefined ? {} : { signal: req.signal }),
          },
          (response) => {
            // The timeout keeps running while the body is read, so a stalled body fails too; it is longer
            // then, because a consumer that is busy (unpacking, analysing) also leaves the socket idle.
            waitingMs = bodyIdleTimeoutMs;
            receiving = response;
            request.setTimeout(bodyIdleTimeoutMs);
            resolve({
              status: response.statusCode ?? 0,
              header(name) {
                const value = response.headers[name];
                return Array.isArray(value) ? value.join(', ') : value;
              },
              body: response,
            });
          },
        );
        request.setTimeout(idleTimeoutMs, () => {
          const error = Object.assign(new Error(`no data from ${url.host} for ${waitingMs} ms`), {
            code: 'ETIMEDOUT',
          });
          // The body stream gets the reason too, rather than a bare "aborted".
          receiving?.destroy(error);
          request.destroy(error);
        });
        request.on('error', reject);
        request.end(req.body);
      }),
    async close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

type FetchFunction = (
  url: string,
  init: {
    method: string;
    headers: Record<string, string>;
    body?: string;
    redirect: 'manual';
    signal?: AbortSignal;
  },
) => Promise<{
  status: number;
  headers: { get(name: string): string | null };
  body: ReadableStream<Uint8Array> | null;
}>;

/** Adapts a WHATWG fetch (globalThis.fetch, undici's, a test double) to the transport interface. */
export function fetchTransport(fetchFn: FetchFunction): HttpTransport {
  return async (req) => {
    const response = await fetchFn(req.url, {
      method: req.method,
      headers: req.headers,
      redirect: 'manual',
      ...(req.body === undefined ? {} : { body: req.body }),
      ...(req.signal === undefined ? {} : { signal: req.signal }),
    });
    return {
      status: response.status,
      header: (name) => response.headers.get(name) ?? undefined,
      body:
        response.body === null
          ? Readable.from([])
          : Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>),
    };
  };
}

/** Reads a body up to max bytes; longer bodies reject with tooLarge(). */
export async function readBody(body: Readable, max: number, tooLarge: () => Error): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of body) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      total += buffer.length;
      if (total > max) throw tooLarge();
      chunks.push(buffer);
    }
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks, total);
}

/**
 * Drops a response body that is not wanted. Short bodies (401s, redirects, error JSON) are read to the end so
 * the connection goes back to the pool; anything past 64 KiB closes it instead.
 */
export function discard(body: Readable): void {
  let seen = 0;
  body.on('error', () => {});
  body.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > 64 * 1024) body.destroy();
  });
  body.resume();
}
