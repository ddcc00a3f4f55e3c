import http from 'node:http';
import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError } from './errors.js';

/** One event of a watch stream, as the API server sends it. */
export interface WatchEvent<T = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** The fields every Kubernetes object has that the machinery relies on. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
    deletionTimestamp?: string;
    creationTimestamp?: string;
    generation?: number;
    finalizers?: string[];
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeList<T = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** Defaults to application/json; patches need one of the patch content types. */
  contentType?: string;
  signal?: AbortSignal;
  /** Milliseconds before the request is abandoned; default 30 s. Not applied to watches and streams. */
  timeoutMs?: number;
}

export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const JSON_PATCH = 'application/json-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';

/**
 * A small JSON-over-HTTP client for the Kubernetes API. Authentication and TLS material come from a
 * kubeconfig through @kubernetes/client-node; connections are pooled on one agent per client (client-node 1.x
 * makes a new agent per request, which leaks sockets under watch churn).
 */
export interface KubeClient {
  readonly server: string;
  request<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<T>;
  get<T = KubeObject>(path: string, options?: RequestOptions): Promise<T>;
  /** Like get, but resolves to undefined on 404. */
  find<T = KubeObject>(path: string, options?: RequestOptions): Promise<T | undefined>;
  list<T = KubeObject>(path: string, options?: RequestOptions): Promise<KubeList<T>>;
  create<T = KubeObject>(path: string, body: unknown, options?: RequestOptions): Promise<T>;
  replace<T = KubeObject>(path: string, body: unknown, options?: RequestOptions): Promise<T>;
  patch<T = KubeObject>(
    path: string,
    body: unknown,
    contentType?: string,
    options?: RequestOptions,
  ): Promise<T>;
  delete<T = unknown>(path: string, options?: RequestOptions): Promise<T | undefined>;
  /**
   * Opens a watch and calls onEvent for each event until the server ends the stream, the signal aborts or an
   * error occurs. Resolves when the stream ends; rejects with KubeApiError on a non-2xx answer.
   */
  watch<T = KubeObject>(
    path: string,
    query: Query,
    onEvent: (event: WatchEvent<T>) => void,
    signal?: AbortSignal,
  ): Promise<void>;
  /** Reads a plain-text subresource such as pods/log. */
  text(path: string, options?: RequestOptions): Promise<string>;
  close(): void;
}

export interface KubeClientOptions {
  kubeConfig: KubeConfig;
  userAgent?: string;
}

/** Loads a kubeconfig from a file path, or from the default chain (KUBECONFIG, ~/.kube/config, in-cluster). */
export function loadKubeConfig(path?: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (path) kubeConfig.loadFromFile(path);
  else kubeConfig.loadFromDefault();
  return kubeConfig;
}

export function createKubeClient(options: KubeClientOptions): KubeClient {
  const cluster = options.kubeConfig.getCurrentCluster();
  if (!cluster)
    throw new Error('kubeconfig has no current cluster: set a current-context or pass a kubeconfig');
  const server = cluster.server.replace(/\/+$/, '');
  const serverUrl = new URL(server);
  const isHttps = serverUrl.protocol === 'https:';
  const userAgent = options.userAgent ?? 'vigil';
  let agent: http.Agent | undefined;
  let agentKey = '';

  async function connectionOptions(): Promise<{
    headers: http.OutgoingHttpHeaders;
    auth?: string;
    agent: http.Agent;
  }> {
    const opts: https.RequestOptions = { headers: {} };
    await options.kubeConfig.applyToHTTPSOptions(opts);
    // Keep one pooled agent; rebuild it only when the TLS material changes (e.g. a rotated client cert).
    const key = [opts.ca, opts.cert, opts.key, opts.rejectUnauthorized, opts.servername]
      .map(String)
      .join('|');
    if (!agent || key !== agentKey) {
      agent?.destroy();
      const tls = {
        keepAlive: true,
        maxSockets: 64,
        ...(opts.ca === undefined ? {} : { ca: opts.ca }),
        ...(opts.cert === undefined ? {} : { cert: opts.cert }),
        ...(opts.key === undefined ? {} : { key: opts.key }),
        ...(opts.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: opts.rejectUnauthorized }),
        ...(opts.servername === undefined ? {} : { servername: opts.servername }),
      };
      agent = isHttps ? new https.Agent(tls) : new http.Agent({ keepAlive: true, maxSockets: 64 });
      agentKey = key;
    }
    return {
      headers: (opts.headers ?? {}) as http.OutgoingHttpHeaders,
      ...(opts.auth ? { auth: opts.auth } : {}),
      agent,
    };
  }

  function urlFor(path: string, query?: Query): URL {
    const url = new URL(server + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  async function open(
    method: string,
    path: string,
    opts: RequestOptions,
    accept: string,
  ): Promise<{ response: http.IncomingMessage; url: URL }> {
    const url = urlFor(path, opts.query);
    const conn = await connectionOptions();
    const body =
      opts.body === undefined
        ? undefined
        : typeof opts.body === 'string'
          ? opts.body
          : JSON.stringify(opts.body);
    const headers: http.OutgoingHttpHeaders = {
      ...conn.headers,
      Accept: accept,
      'User-Agent': userAgent,
      ...(body === undefined
        ? {}
        : {
            'Content-Type': opts.contentType ?? 'application/json',
            'Content-Length': Buffer.byteLength(body),
          }),
    };
    const transport = isHttps ? https : http;
    return new Promise((resolve, reject) => {
      const req = transport.request(
        url,
        {
          method,
          headers,
          agent: conn.agent,
          ...(conn.auth === undefined ? {} : { auth: conn.auth }),
          ...(opts.signal ? { signal: opts.signal } : {}),
        },
        (response) => resolve({ response, url }),
      );
      if (opts.timeoutMs !== 0) {
        req.setTimeout(opts.timeoutMs ?? 30_000, () =>
          req.destroy(new Error(`timed out after ${opts.timeoutMs ?? 30_000} ms`)),
        );
      }
      req.on('error', (cause) => reject(KubeApiError.network(method, url.pathname, cause)));
      req.end(body);
    });
  }

  async function readAll(response: http.IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of response) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const { response } = await open(method, path, opts, 'application/json');
    const text = await readAll(response);
    const status = response.statusCode ?? 0;
    if (status < 200 || status >= 300) throw KubeApiError.fromResponse(method, path, status, text);
    return (text.length === 0 ? undefined : JSON.parse(text)) as T;
  }

  return {
    server,
    request,
    get: (path, opts) => request('GET', path, opts),
    async find<T>(path: string, opts?: RequestOptions) {
      try {
        return await request<T>('GET', path, opts);
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 404) return undefined;
        throw error;
      }
    },
    list: (path, opts) => request('GET', path, opts),
    create: (path, body, opts) => request('POST', path, { ...opts, body }),
    replace: (path, body, opts) => request('PUT', path, { ...opts, body }),
    patch: (path, body, contentType = MERGE_PATCH, opts) =>
      request('PATCH', path, { ...opts, body, contentType }),
    async delete<T>(path: string, opts?: RequestOptions) {
      try {
        return await request<T>('DELETE', path, opts);
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 404) return undefined;
        throw error;
      }
    },
    async watch<T>(
      path: string,
      query: Query,
      onEvent: (event: WatchEvent<T>) => void,
      signal?: AbortSignal,
    ) {
      const { response } = await open(
        'GET',
        path,
        { query: { ...query, watch: true }, timeoutMs: 0, ...(signal ? { signal } : {}) },
        'application/json',
      );
      const status = response.statusCode ?? 0;
      if (status < 200 || status >= 300)
        throw KubeApiError.fromResponse('WATCH', path, status, await readAll(response));
      let pending = '';
      try {
        for await (const chunk of response) {
          pending += (chunk as Buffer).toString('utf8');
          let newline = pending.indexOf('\n');
          while (newline >= 0) {
            const line = pending.slice(0, newline).trim();
            pending = pending.slice(newline + 1);
            if (line.length > 0) onEvent(JSON.parse(line) as WatchEvent<T>);
            newline = pending.indexOf('\n');
          }
        }
      } catch (error) {
        if (signal?.aborted) return;
        throw KubeApiError.network('WATCH', path, error);
      }
    },
    async text(path: string, opts: RequestOptions = {}) {
      const { response } = await open('GET', path, opts, '*/*');
      const text = await readAll(response);
      const status = response.statusCode ?? 0;
      if (status < 200 || status >= 300) throw KubeApiError.fromResponse('GET', path, status, text);
      return text;
    },
    close() {
      agent?.destroy();
      agent = undefined;
    },
  };
}
