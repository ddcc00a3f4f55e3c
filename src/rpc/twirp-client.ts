/**
 * Client side of Twirp over fetch: one typed function per method of a generated service. Requests carry the
 * headers Go's twirp client sends (Content-Type, Accept, Twirp-Version) plus the caller's (token, custom
 * headers); a non-200 answer becomes a TwirpError. Like Trivy's client (pkg/rpc/retry.go), calls answered
 * `unavailable` are retried with exponential backoff, 10 tries at most; nothing else is retried.
 */
import type { DescMethod, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { CONTENT_TYPES, decodeMessage, type Encoding, encodeMessage, toMessage } from './codec.js';
import { TwirpError, twirpErrorFromResponse } from './twirp-error.js';
import { DEFAULT_PATH_PREFIX } from './twirp-server.js';

/** The version of twirp that generated Trivy's code; sent for the same reason Go's client sends it. */
export const TWIRP_VERSION = 'v8.1.3';

type AnyService = GenService<GenServiceMethods>;

export interface CallOptions {
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

export type ServiceClient<S extends AnyService> = {
  [K in keyof S['method']]: (
    request: MessageInitShape<S['method'][K]['input']>,
    options?: CallOptions,
  ) => Promise<MessageShape<S['method'][K]['output']>>;
};

export interface RetryPolicy {
  /** Tries in all, the first included (Trivy: 10). */
  maxAttempts: number;
  initialDelayMs: number;
  multiplier: number;
  maxDelayMs: number;
  /** ± this fraction of each delay, drawn at random (backoff's RandomizationFactor). */
  jitter: number;
}

/** cenkalti/backoff's ExponentialBackOff defaults with Trivy's 10 tries. */
export const TRIVY_RETRY: RetryPolicy = {
  maxAttempts: 10,
  initialDelayMs: 500,
  multiplier: 1.5,
  maxDelayMs: 60_000,
  jitter: 0.5,
};

export interface TwirpClientOptions {
  /** `http(s)://host:port[/base]`. */
  baseUrl: string;
  pathPrefix?: string;
  /** Default protobuf, as Trivy's client. */
  encoding?: Encoding;
  /** Sent with every call (token header, --custom-headers). */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  /** Per-attempt deadline in milliseconds (none by default). */
  timeoutMs?: number;
  retry?: RetryPolicy | false;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  onRetry?: (info: { procedure: string; attempt: number; delayMs: number; error: TwirpError }) => void;
}

export function createTwirpClient<S extends AnyService>(
  service: S,
  options: TwirpClientOptions,
): ServiceClient<S> {
  const base = options.baseUrl.replace(/\/+$/, '');
  if (!/^https?:\/\//.test(base)) {
    throw new TwirpError(
      'invalid_argument',
      `server URL ${JSON.stringify(options.baseUrl)} must start with http:// or https://`,
    );
  }
  const prefix = (options.pathPrefix ?? DEFAULT_PATH_PREFIX).replace(/^\/*/, '/').replace(/\/+$/, '');
  const encoding = options.encoding ?? 'protobuf';
  const doFetch = options.fetch ?? fetch;
  const retry = options.retry === undefined ? TRIVY_RETRY : options.retry;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;

  async function attempt(method: DescMethod, body: Uint8Array, call: CallOptions): Promise<unknown> {
    const url = `${base}${prefix}/${service.typeName}/${method.name}`;
    const signals = [
      call.signal,
      options.timeoutMs ? AbortSignal.timeout(options.timeoutMs) : undefined,
    ].filter((s): s is AbortSignal => s !== undefined);
    let response: Response;
    try {
      response = await doFetch(url, {
        method: 'POST',
        headers: {
          ...options.headers,
          ...call.headers,
          'Content-Type': CONTENT_TYPES[encoding],
          Accept: CONTENT_TYPES[encoding],
          'Twirp-Version': TWIRP_VERSION,
        },
        body,
        ...(signals.length > 0 ? { signal: AbortSignal.any(signals) } : {}),
      });
    } catch (error) {
      throw transportError(error, url);
    }
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      throw transportError(error, url);
    }
    if (response.status !== 200)
      throw twirpErrorFromResponse(response.status, Buffer.from(bytes).toString('utf8'));
    return decodeResponse(method, bytes);
  }

  function decodeResponse(method: DescMethod, bytes: Uint8Array): unknown {
    try {
      return decodeMessage(method.output, bytes, encoding);
    } catch (error) {
      throw new TwirpError('internal', `failed to decode the ${method.name} response`, { cause: error });
    }
  }

  async function call(method: DescMethod, request: unknown, callOptions: CallOptions = {}): Promise<unknown> {
    const message = toMessage(method.input, request as MessageInitShape<typeof method.input>);
    const body = encodeMessage(method.input, message, encoding);
    const procedure = `${service.typeName}/${method.name}`;
    const maxAttempts = retry ? retry.maxAttempts : 1;
    let delay = retry ? retry.initialDelayMs : 0;
    for (let n = 1; ; n++) {
      try {
        return await attempt(method, body, callOptions);
      } catch (error) {
        const twirpError = TwirpError.from(error);
        if (!retry || twirpError.code !== 'unavailable' || n >= maxAttempts || callOptions.signal?.aborted) {
          throw twirpError;
        }
        const jittered = delay * (1 - retry.jitter + 2 * retry.jitter * random());
        options.onRetry?.({ procedure, attempt: n, delayMs: jittered, error: twirpError });
        await sleep(jittered, callOptions.signal);
        delay = Math.min(delay * retry.multiplier, retry.maxDelayMs);
      }
    }
  }

  const client: Record<string, (request: unknown, options?: CallOptions) => Promise<unknown>> = {};
  for (const method of service.methods) {
    client[method.localName] = (request, callOptions) => call(method, request, callOptions);
  }
  return client as ServiceClient<S>;
}

// A failure below HTTP: what twirp's Go client reports as an internal error, except that a refused or reset
// connection is what a restarting server looks like, and Trivy retries only `unavailable`.
function transportError(error: unknown, url: string): TwirpError {
  const name = (error as { name?: string }).name;
  if (name === 'AbortError' || name === 'TimeoutError') {
    return new TwirpError(
      name === 'TimeoutError' ? 'deadline_exceeded' : 'canceled',
      `request to ${url} was aborted`,
      {
        cause: error,
      },
    );
  }
  const code = causeCode(error);
  const unavailable =
    code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET';
  return new TwirpError(
    unavailable ? 'unavailable' : 'internal',
    `failed to do request to ${url}: ${describe(error)}`,
    {
      cause: error,
    },
  );
}

function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function describe(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    parts.push(current.message);
    current = current.cause;
  }
  return parts.join(': ') || String(error);
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
