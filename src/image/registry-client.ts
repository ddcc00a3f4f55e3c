// A client for the OCI distribution / Docker Registry HTTP API v2, read side: manifests (with media-type
// negotiation), blobs (streamed and verified), authentication, redirects, retries, plain-HTTP and
// skip-verify registries. Everything it needs (transport, clock, logger, credentials) is passed in;
// the only state is per client: learned schemes and challenges per host, and cached tokens.
import type { Readable } from 'node:stream';
import { type AuthTarget, createAuthenticator, unauthorizedMessage } from './auth.js';
import { type Clock, systemClock } from './clock.js';
import { type CredentialOptions, type CredentialStore, createCredentialStore } from './credentials.js';
import { createDigestVerifier, sha256Digest, verifyBytes } from './digest.js';
import { describeError, ImageError, type RegistryErrorDetail } from './errors.js';
import {
  createNodeTransport,
  discard,
  fetchTransport,
  type HttpRequest,
  type HttpResponse,
  type HttpTransport,
  readBody,
} from './http-transport.js';
import { MAX_CONFIG_BYTES } from './image-config.js';
import type { ImageSource } from './image-source.js';
import { type Logger, silentLogger } from './logger.js';
import {
  type Descriptor,
  isObject,
  MAX_MANIFEST_BYTES,
  type ParsedManifest,
  parseManifest,
} from './manifest.js';
import { MANIFEST_ACCEPT } from './media-types.js';
import type { Platform } from './platform.js';
import {
  apiHost,
  formatReference,
  type ImageReference,
  isLoopbackRegistry,
  manifestReference,
  parseReference,
  repositoryName,
} from './reference.js';
import { openRemoteImage } from './remote-image.js';
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  isRetryableStatus,
  isTransientNetworkError,
  parseRetryAfter,
  type RetryPolicy,
} from './retry.js';

export interface RegistryClientOptions extends CredentialOptions {
  /** How requests are sent; default: node:http/https with agents honouring `insecure`. */
  transport?: HttpTransport;
  /** A WHATWG fetch to send requests with instead (ignored when `transport` is given). */
  fetch?: Parameters<typeof fetchTransport>[0];
  clock?: Clock;
  logger?: Logger;
  /** Replaces the credential lookup built from username/password/registryToken/env/dockerConfig. */
  credentials?: CredentialStore;
  /**
   * Skip TLS verification, and fall back to plain HTTP when HTTPS fails (go-containerregistry's "insecure
   * registry"). Loopback registries (localhost, 127.0.0.0/8, ::1) get the HTTP fallback without it.
   */
  insecure?: boolean;
  /** Use plain HTTP for every registry. */
  plainHttp?: boolean;
  retry?: Partial<RetryPolicy>;
  /** Jitter source for backoff delays (tests pass a constant). */
  random?: () => number;
  userAgent?: string;
  maxRedirects?: number;
}

export interface FetchedManifest {
  reference: ImageReference;
  bytes: Buffer;
  /** sha256 of the bytes as served. */
  digest: string;
  parsed: ParsedManifest;
}

export interface RequestOptions {
  signal?: AbortSignal | undefined;
}

export interface RegistryClient {
  /**
   * The manifest or index a reference names (or `descriptor.digest` in its repository), with its digest
   * checked when one is known.
   */
  getManifest(
    reference: ImageReference | string,
    options?: RequestOptions & { descriptor?: Pick<Descriptor, 'digest' | 'size'> },
  ): Promise<FetchedManifest>;
  /** A blob's bytes as a stream that fails at its end unless they match the descriptor's digest and size. */
  openBlob(
    reference: ImageReference | string,
    descriptor: Pick<Descriptor, 'digest'> & { size?: number | undefined },
    options?: RequestOptions,
  ): Promise<Readable>;
  /** A small blob (a config) in memory, verified; larger than maxBytes is an error. */
  readBlob(
    reference: ImageReference | string,
    descriptor: Pick<Descriptor, 'digest' | 'size'>,
    options?: RequestOptions & { maxBytes?: number },
  ): Promise<Buffer>;
  /**
   * A container image: the index is resolved to `platform` (default linux/amd64; ignored for single-platform
   * images, as Trivy does), the config fetched and verified, layers opened on demand.
   */
  openImage(
    reference: ImageReference | string,
    options?: RequestOptions & { platform?: Platform | undefined },
  ): Promise<ImageSource>;
  close(): Promise<void>;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_ERROR_BODY = 64 * 1024;

export function createRegistryClient(options: RegistryClientOptions = {}): RegistryClient {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const random = options.random ?? Math.random;
  const userAgent = options.userAgent ?? 'vigil';
  const maxRedirects = options.maxRedirects ?? 5;
  const owned =
    options.transport === undefined && options.fetch === undefined
      ? createNodeTransport({ insecure: options.insecure ?? false })
      : undefined;
  const transport: HttpTransport =
    options.transport ?? (options.fetch ? fetchTransport(options.fetch) : (owned?.send as HttpTransport));
  const credentials = options.credentials ?? createCredentialStore(options);
  /** The scheme that worked for each registry, once one has. */
  const schemes = new Map<string, 'http' | 'https'>();

  const authenticator = createAuthenticator({
    credentials,
    clock,
    logger,
    userAgent,
    send: async (request) => {
      const host = new URL(request.url).host;
      return (await retrying(host, `token request to ${host}`, request.signal, () => transport(request)))
        .response;
    },
  });

  /** Sends until the answer is not a retryable status or the attempts or the time budget run out. */
  async function retrying(
    host: string,
    what: string,
    signal: AbortSignal | undefined,
    send: () => Promise<HttpResponse>,
  ): Promise<{ response: HttpResponse; attempts: number }> {
    const started = clock.now();
    for (let attempt = 1; ; attempt++) {
      let response: HttpResponse;
      try {
        response = await send();
      } catch (error) {
        if (error instanceof ImageError || signal?.aborted) throw error;
        const delay = backoffDelay(policy, attempt, random);
        if (
          isTransientNetworkError(error) &&
          attempt < policy.maxAttempts &&
          clock.now() - started + delay <= policy.maxElapsedMs
        ) {
          logger.warn('registry request failed; retrying', {
            host,
            what,
            error: describeError(error),
            delayMs: delay,
          });
          await clock.sleep(delay, signal);
          continue;
        }
        throw new ImageError('IMAGE_NETWORK', `cannot reach ${host} (${what}): ${describeError(error)}`, {
          cause: error,
          host,
        });
      }
      if (!isRetryableStatus(response.status) || attempt >= policy.maxAttempts)
        return { response, attempts: attempt };
      const retryAfter = parseRetryAfter(response.header('retry-after') ?? null, clock.now());
      const delay = retryAfter ?? backoffDelay(policy, attempt, random);
      if (clock.now() - started + delay > policy.maxElapsedMs) return { response, attempts: attempt };
      discard(response.body);
      logger.warn('registry answered with a retryable status; retrying', {
        host,
        what,
        status: response.status,
        delayMs: delay,
        retryAfter: retryAfter !== undefined,
      });
      await clock.sleep(delay, signal);
    }
  }

  function schemeCandidates(registry: string): Array<'http' | 'https'> {
    const known = schemes.get(registry);
    if (known !== undefined) return [known];
    if (options.plainHttp) return ['http'];
    return options.insecure || isLoopbackRegistry(registry) ? ['https', 'http'] : ['https'];
  }

  /** One GET (redirects followed by hand, Authorization kept to the registry's own origin). */
  async function getOnce(
    registry: string,
    path: string,
    headers: Record<string, string>,
    authorization: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<HttpResponse> {
    const candidates = schemeCandidates(registry);
    const failures: string[] = [];
    for (const [i, scheme] of candidates.entries()) {
      try {
        const response = await follow(
          new URL(`${scheme}://${apiHost(registry)}${path}`),
          headers,
          authorization,
          signal,
        );
        schemes.set(registry, scheme);
        return response;
      } catch (error) {
        if (error instanceof ImageError || signal?.aborted) throw error;
        failures.push(`${scheme.toUpperCase()}: ${describeError(error)}`);
        if (i === candidates.length - 1) {
          // Both schemes failed: say what each said (a certificate error over HTTPS is usually the real story).
          throw failures.length === 1 ? error : new Error(failures.join('; '), { cause: error });
        }
        logger.debug('HTTPS failed; trying plain HTTP', { registry, error: describeError(error) });
      }
    }
    throw new Error('unreachable: no scheme to try');
  }

  async function follow(
    start: URL,
    headers: Record<string, string>,
    authorization: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<HttpResponse> {
    let url = start;
    let auth = authorization;
    for (let hop = 0; ; hop++) {
      const request: HttpRequest = {
        url: url.toString(),
        method: 'GET',
        headers: {
          'User-Agent': userAgent,
          ...headers,
          ...(auth === undefined ? {} : { Authorization: auth }),
        },
        signal,
      };
      const response = await transport(request);
      if (!REDIRECTS.has(response.status)) return response;
      const location = response.header('location');
      discard(response.body);
      if (location === undefined || location === '') {
        throw new ImageError(
          'IMAGE_REGISTRY',
          `${url.host} answered HTTP ${response.status} without a Location`,
          {
            status: response.status,
            host: url.host,
          },
        );
      }
      if (hop >= maxRedirects) {
        throw new ImageError(
          'IMAGE_REGISTRY',
          `${start.host} redirected more than ${maxRedirects} times for ${start.pathname}`,
          {
            host: start.host,
          },
        );
      }
      const next = new URL(location, url);
      // Blob storage (S3, GCS, a CDN) gets a signed URL, never the registry's credentials.
      if (next.origin !== start.origin) auth = undefined;
      url = next;
    }
  }

  /** An authorised, retried GET whose answer is 2xx; anything else becomes an ImageError. */
  async function registryGet(
    target: AuthTarget,
    path: string,
    headers: Record<string, string>,
    what: string,
    signal: AbortSignal | undefined,
  ): Promise<HttpResponse> {
    const host = apiHost(target.registry);
    let authorization = await authenticator.headerFor(target, signal);
    let reauthorized = false;
    for (;;) {
      const { response, attempts } = await retrying(host, what, signal, () =>
        getOnce(target.registry, path, headers, authorization, signal),
      );
      if (response.status >= 200 && response.status < 300) return response;
      if (response.status === 401 && !reauthorized) {
        reauthorized = true;
        discard(response.body);
        const next = await authenticator.onUnauthorized(
          target,
          response.header('www-authenticate'),
          authorization,
          signal,
        );
        if (next !== undefined) {
          authorization = next;
          continue;
        }
        throw new ImageError(
          'IMAGE_UNAUTHORIZED',
          unauthorizedMessage(
            target.registry,
            await authenticator.credentialFor(target.registry),
            `${what}: HTTP 401`,
          ),
          { status: 401, host },
        );
      }
      throw await responseError(response, target, what, attempts);
    }
  }

  async function responseError(
    response: HttpResponse,
    target: AuthTarget,
    what: string,
    attempts: number,
  ): Promise<ImageError> {
    const body = await readBody(response.body, MAX_ERROR_BODY, () => new Error('long error body')).catch(() =>
      Buffer.alloc(0),
    );
    const registryErrors = parseRegistryErrors(body);
    const detail =
      registryErrors.length > 0
        ? registryErrors.map((e) => `${e.code}: ${e.message}`).join('; ')
        : body.toString('utf8').trim().slice(0, 200);
    const suffix = detail === '' ? '' : ` (${detail})`;
    const status = response.status;
    const host = apiHost(target.registry);
    const details = { status, registryErrors, host };
    if (status === 401) {
      const credential = await authenticator.credentialFor(target.registry);
      return new ImageError(
        'IMAGE_UNAUTHORIZED',
        unauthorizedMessage(target.registry, credential, `${what}${suffix}`),
        details,
      );
    }
    if (status === 403) {
      const credential = await authenticator.credentialFor(target.registry);
      return new ImageError(
        'IMAGE_UNAUTHORIZED',
        `${what}: access denied by ${target.registry}${suffix}; ${
          credential === undefined
            ? `provide credentials with --username/--password, TRIVY_USERNAME/TRIVY_PASSWORD or docker login ${target.registry}`
            : `the account from ${credential.source} may not pull ${target.repository}`
        }`,
        details,
      );
    }
    if (status === 404) {
      return new ImageError(
        'IMAGE_NOT_FOUND',
        `${what} not found${suffix}; check the repository name, tag or digest`,
        details,
      );
    }
    const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
    if (status === 429) {
      return new ImageError(
        'IMAGE_REGISTRY',
        `${what}: ${target.registry} is rate limiting requests (HTTP 429)${tries}${suffix}; try again later, or authenticate for a higher limit`,
        details,
      );
    }
    return new ImageError(
      'IMAGE_REGISTRY',
      `${what}: ${target.registry} answered HTTP ${status}${tries}${suffix}`,
      details,
    );
  }

  const toReference = (reference: ImageReference | string) =>
    typeof reference === 'string' ? parseReference(reference) : reference;

  const client: RegistryClient = {
    async getManifest(reference, requestOptions = {}) {
      const ref = toReference(reference);
      const pinned = requestOptions.descriptor?.digest ?? ref.digest;
      const name = pinned === undefined ? formatReference(ref) : `${repositoryName(ref)}@${pinned}`;
      const what = `manifest ${name}`;
      const response = await registryGet(
        ref,
        `/v2/${ref.repository}/manifests/${pinned ?? manifestReference(ref)}`,
        { Accept: MANIFEST_ACCEPT.join(', ') },
        what,
        requestOptions.signal,
      );
      const declared = Number(response.header('content-length') ?? Number.NaN);
      const tooLarge = () =>
        new ImageError(
          'IMAGE_BAD_MANIFEST',
          `${what} is larger than ${MAX_MANIFEST_BYTES} bytes; that is not a manifest`,
        );
      if (declared > MAX_MANIFEST_BYTES) {
        discard(response.body);
        throw tooLarge();
      }
      const bytes = await readBody(response.body, MAX_MANIFEST_BYTES, tooLarge).catch((error: unknown) => {
        throw error instanceof ImageError ? error : bodyError(error, what, ref.registry);
      });
      if (pinned !== undefined)
        verifyBytes(bytes, { digest: pinned, size: requestOptions.descriptor?.size, what });
      const parsed = parseManifest(bytes, response.header('content-type') ?? '', name);
      return { reference: ref, bytes, digest: pinned ?? sha256Digest(bytes), parsed };
    },

    async openBlob(reference, descriptor, requestOptions = {}) {
      const ref = toReference(reference);
      const what = `blob ${descriptor.digest} of ${repositoryName(ref)}`;
      const verifier = createDigestVerifier({ digest: descriptor.digest, size: descriptor.size, what });
      const response = await registryGet(
        ref,
        `/v2/${ref.repository}/blobs/${descriptor.digest}`,
        {},
        what,
        requestOptions.signal,
      );
      const body = response.body;
      body.on('error', (error) => {
        // An abort is the caller's own doing: it passes through as is, not as a network failure.
        verifier.destroy(requestOptions.signal?.aborted ? error : bodyError(error, what, ref.registry));
      });
      verifier.on('close', () => {
        if (!body.destroyed) body.destroy();
      });
      body.pipe(verifier);
      return verifier;
    },

    async readBlob(reference, descriptor, requestOptions = {}) {
      const max = requestOptions.maxBytes ?? MAX_CONFIG_BYTES;
      const ref = toReference(reference);
      const what = `blob ${descriptor.digest} of ${repositoryName(ref)}`;
      const tooLarge = () =>
        new ImageError(
          'IMAGE_BAD_MANIFEST',
          `${what} is ${descriptor.size} bytes, more than the ${max} allowed here`,
        );
      if (descriptor.size > max) throw tooLarge();
      return readBody(await client.openBlob(ref, descriptor, requestOptions), max, tooLarge);
    },

    async openImage(reference, requestOptions = {}) {
      return openRemoteImage(client, toReference(reference), requestOptions);
    },

    async close() {
      await owned?.close();
    },
  };
  return client;
}

function bodyError(error: unknown, what: string, registry: string): ImageError {
  if (error instanceof ImageError) return error;
  return new ImageError('IMAGE_NETWORK', `reading ${what} from ${registry} failed: ${describeError(error)}`, {
    cause: error,
    host: registry,
  });
}

function parseRegistryErrors(body: Buffer): RegistryErrorDetail[] {
  try {
    const json: unknown = JSON.parse(body.toString('utf8'));
    if (!isObject(json) || !Array.isArray(json.errors)) return [];
    return json.errors.filter(isObject).map((e) => ({
      code: typeof e.code === 'string' ? e.code : 'UNKNOWN',
      message: typeof e.message === 'string' ? e.message : '',
    }));
  } catch {
    return [];
  }
}
