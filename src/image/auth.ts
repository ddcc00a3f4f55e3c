// Registry authentication (the Docker token protocol, "distribution/docs/spec/auth/token.md"): a 401 carries
// a challenge; Basic is answered with the credentials, Bearer by asking the challenge's realm for a token with
// the service and the scope "repository:<name>:pull" (plus any scope the challenge names). Tokens are cached
// per realm, service, scope and credential until shortly before they expire; once a host's challenge is
// known, later requests to it (other repositories included) carry a token from the start.

import { type Challenge, parseChallenges, pickChallenge } from './challenge.js';
import type { Clock } from './clock.js';
import type { Credential, CredentialStore } from './credentials.js';
import { ImageError } from './errors.js';
import { type HttpRequest, type HttpResponse, readBody } from './http-transport.js';
import type { Logger } from './logger.js';
import { isObject } from './manifest.js';

export interface AuthTarget {
  registry: string;
  repository: string;
}

export interface Authenticator {
  /** The Authorization header to send before any 401 was seen for this request, if any. */
  headerFor(target: AuthTarget, signal?: AbortSignal): Promise<string | undefined>;
  /**
   * Learns from a 401 and returns the header to retry with, or undefined when a retry cannot do better
   * (no usable challenge, or the credentials were just refused). `sent` is the header the 401 answered.
   */
  onUnauthorized(
    target: AuthTarget,
    wwwAuthenticate: string | undefined,
    sent: string | undefined,
    signal?: AbortSignal,
  ): Promise<string | undefined>;
  /** The credentials used for a registry (undefined when anonymous or unreadable), for error messages. */
  credentialFor(registry: string): Promise<Credential | undefined>;
}

export interface AuthenticatorOptions {
  credentials: CredentialStore;
  clock: Clock;
  logger: Logger;
  /** Sends a request to a token service with the client's retries; errors name the host. */
  send: (request: HttpRequest) => Promise<HttpResponse>;
  userAgent: string;
}

interface CachedToken {
  header: string;
  expiresAt: number;
}

const MAX_CACHED_TOKENS = 512;
/** Tokens without expires_in live 60 s (the token spec's default). */
const DEFAULT_TOKEN_SECONDS = 60;
const MAX_TOKEN_BYTES = 1024 * 1024;

export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const { credentials, clock, logger } = options;
  const challenges = new Map<string, Challenge>();
  const tokens = new Map<string, CachedToken>();

  async function authorize(
    challenge: Challenge,
    target: AuthTarget,
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    const credential = await credentials.lookup(target.registry);
    if (challenge.scheme === 'basic') {
      if (credential?.kind !== 'basic') return undefined;
      return basicHeader(credential.username, credential.password);
    }
    if (credential?.kind === 'registry-token') return `Bearer ${credential.token}`;
    const realm = challenge.params.realm;
    if (realm === undefined || realm === '') {
      throw new ImageError(
        'IMAGE_REGISTRY',
        `${target.registry} asked for a bearer token but named no realm to get it from`,
        { host: target.registry },
      );
    }
    const scopes = [`repository:${target.repository}:pull`];
    for (const scope of (challenge.params.scope ?? '').split(' ')) {
      if (scope !== '' && !scopes.includes(scope)) scopes.push(scope);
    }
    const service = challenge.params.service;
    const key = JSON.stringify([realm, service ?? '', [...scopes].sort(), credentialKey(credential)]);
    const cached = tokens.get(key);
    if (cached !== undefined && cached.expiresAt > clock.now()) return cached.header;
    const token = await fetchToken(realm, service, scopes, credential, target, signal);
    if (tokens.size >= MAX_CACHED_TOKENS) tokens.delete(tokens.keys().next().value as string);
    tokens.set(key, token);
    return token.header;
  }

  async function fetchToken(
    realm: string,
    service: string | undefined,
    scopes: string[],
    credential: Credential | undefined,
    target: AuthTarget,
    signal?: AbortSignal,
  ): Promise<CachedToken> {
    let url: URL;
    try {
      url = new URL(realm);
    } catch (error) {
      throw new ImageError(
        'IMAGE_REGISTRY',
        `${target.registry} named an invalid token realm ${JSON.stringify(realm)}`,
        {
          cause: error,
          host: target.registry,
        },
      );
    }
    const headers: Record<string, string> = { 'User-Agent': options.userAgent, Accept: 'application/json' };
    let request: HttpRequest;
    if (credential?.kind === 'identity-token') {
      // An identity token is an OAuth2 refresh token: it is exchanged with a POST, never sent as Basic.
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: credential.identityToken,
        client_id: 'vigil',
        scope: scopes.join(' '),
      });
      if (service !== undefined) form.set('service', service);
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      request = { url: url.toString(), method: 'POST', headers, body: form.toString(), signal };
    } else {
      if (service !== undefined) url.searchParams.set('service', service);
      for (const scope of scopes) url.searchParams.append('scope', scope);
      if (credential?.kind === 'basic')
        headers.Authorization = basicHeader(credential.username, credential.password);
      request = { url: url.toString(), method: 'GET', headers, signal };
    }
    logger.debug('requesting a registry token', {
      realm: url.origin + url.pathname,
      scopes,
      registry: target.registry,
    });
    const response = await options.send(request);
    const what = `the token service ${url.host} of ${target.registry}`;
    if (response.status === 401 || response.status === 403) {
      await readBody(response.body, 64 * 1024, () => new Error('ignored')).catch(() => undefined);
      throw new ImageError(
        'IMAGE_UNAUTHORIZED',
        unauthorizedMessage(
          target.registry,
          credential,
          `${what} refused to issue a pull token for ${target.repository}`,
        ),
        {
          status: response.status,
          host: url.host,
        },
      );
    }
    const body = await readBody(
      response.body,
      MAX_TOKEN_BYTES,
      () =>
        new ImageError('IMAGE_REGISTRY', `${what} answered with more than ${MAX_TOKEN_BYTES} bytes`, {
          host: url.host,
        }),
    );
    if (response.status < 200 || response.status >= 300) {
      throw new ImageError(
        'IMAGE_REGISTRY',
        `${what} answered HTTP ${response.status}: ${body.toString('utf8').slice(0, 300)}`,
        {
          status: response.status,
          host: url.host,
        },
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (error) {
      throw new ImageError('IMAGE_REGISTRY', `${what} answered with something that is not JSON`, {
        cause: error,
        host: url.host,
      });
    }
    const token = isObject(json)
      ? [json.token, json.access_token].find((t): t is string => typeof t === 'string' && t !== '')
      : undefined;
    if (token === undefined) {
      throw new ImageError('IMAGE_REGISTRY', `${what} answered without a "token" or "access_token"`, {
        host: url.host,
      });
    }
    const expiresIn =
      isObject(json) && typeof json.expires_in === 'number' && json.expires_in > 0
        ? json.expires_in
        : DEFAULT_TOKEN_SECONDS;
    // Refresh a little early so a token does not expire between the cache check and the registry's check.
    const lifetimeMs = Math.max(1000, expiresIn * 1000 - Math.min(30_000, expiresIn * 100));
    return { header: `Bearer ${token}`, expiresAt: clock.now() + lifetimeMs };
  }

  return {
    async headerFor(target, signal) {
      const challenge = challenges.get(target.registry);
      if (challenge !== undefined) return authorize(challenge, target, signal);
      return undefined;
    },
    async onUnauthorized(target, wwwAuthenticate, sent, signal) {
      const challenge = pickChallenge(parseChallenges(wwwAuthenticate ?? ''));
      if (challenge === undefined) return undefined;
      // Remembered for other requests to this registry without its scope, which named this request's resource.
      const { scope: _scope, ...hostParams } = challenge.params;
      challenges.set(target.registry, { scheme: challenge.scheme, params: hostParams });
      if (sent !== undefined) {
        // The header was refused: forget any cached token that produced it, then try once with a fresh one.
        for (const [key, token] of tokens) if (token.header === sent) tokens.delete(key);
      }
      const header = await authorize(challenge, target, signal);
      return header === sent ? undefined : header;
    },
    async credentialFor(registry) {
      try {
        return await credentials.lookup(registry);
      } catch {
        return undefined;
      }
    },
  };
}

export function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

function credentialKey(credential: Credential | undefined): string {
  if (credential === undefined) return 'anonymous';
  if (credential.kind === 'basic') return `basic:${credential.username}:${credential.source}`;
  if (credential.kind === 'identity-token') return `identity:${credential.username}:${credential.source}`;
  return `token:${credential.source}`;
}

/** Says which registry refused, and either whose credentials it refused or how to give some. */
export function unauthorizedMessage(
  registry: string,
  credential: Credential | undefined,
  what: string,
): string {
  if (credential !== undefined) {
    return `${what}: the credentials from ${credential.source} were rejected; check the username and password (or token) for ${registry}`;
  }
  return `${what}: ${registry} requires credentials (or the repository does not exist); provide them with --username/--password, TRIVY_USERNAME/TRIVY_PASSWORD, or docker login ${registry}`;
}
