/**
 * Token authentication as Trivy's server does it (withToken): when a token is configured, every Twirp call
 * must carry it in the token header, else the answer is `unauthenticated` "invalid token"; /healthz, /readyz,
 * /version and /metrics are open. The comparison hashes both sides first so that timingSafeEqual always sees
 * equal lengths and the time taken says nothing about the token's length or content.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { TwirpError } from '../rpc/index.js';

export const DEFAULT_TOKEN_HEADER = 'Trivy-Token';

export interface TokenCheck {
  /** Whether a token is required at all. */
  readonly enabled: boolean;
  /** Throws TwirpError unauthenticated unless the headers carry the token. */
  verify(headers: IncomingHttpHeaders): void;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export function createTokenCheck(
  token: string | undefined,
  header: string = DEFAULT_TOKEN_HEADER,
): TokenCheck {
  if (token === undefined || token === '') {
    return { enabled: false, verify: () => {} };
  }
  const expected = digest(token);
  const name = header.toLowerCase();
  return {
    enabled: true,
    verify(headers) {
      const raw = headers[name];
      // Go's Header.Get reads the first value of a repeated header.
      const given = Array.isArray(raw) ? raw[0] : raw;
      if (given === undefined || !timingSafeEqual(digest(given), expected)) {
        throw new TwirpError('unauthenticated', 'invalid token');
      }
    },
  };
}
