/**
 * Twirp's error model (twitchtv/twirp v8, the version Trivy's generated code uses): a code from a fixed set, a
 * message and string metadata, sent as JSON `{"code","msg","meta"}` with the HTTP status the code maps to. Every
 * failure of the RPC boundary, on the server and in the client, is a TwirpError.
 */

export const TWIRP_CODES = [
  'canceled',
  'unknown',
  'invalid_argument',
  'malformed',
  'deadline_exceeded',
  'not_found',
  'bad_route',
  'already_exists',
  'permission_denied',
  'unauthenticated',
  'resource_exhausted',
  'failed_precondition',
  'aborted',
  'out_of_range',
  'unimplemented',
  'internal',
  'unavailable',
  'dataloss',
] as const;

export type TwirpCode = (typeof TWIRP_CODES)[number];

const HTTP_STATUS: Record<TwirpCode, number> = {
  canceled: 408,
  unknown: 500,
  invalid_argument: 400,
  malformed: 400,
  deadline_exceeded: 408,
  not_found: 404,
  bad_route: 404,
  already_exists: 409,
  permission_denied: 403,
  unauthenticated: 401,
  resource_exhausted: 429,
  failed_precondition: 412,
  aborted: 409,
  out_of_range: 400,
  unimplemented: 501,
  internal: 500,
  unavailable: 503,
  dataloss: 500,
};

export function isTwirpCode(value: unknown): value is TwirpCode {
  return typeof value === 'string' && (TWIRP_CODES as readonly string[]).includes(value);
}

/** The HTTP status a Twirp server answers with for an error code. */
export function httpStatusOf(code: TwirpCode): number {
  return HTTP_STATUS[code];
}

export class TwirpError extends Error {
  readonly code: TwirpCode;
  readonly meta: Readonly<Record<string, string>>;
  /** The code's status, unless the server has a more precise one (413 for a body over the limit). */
  readonly httpStatus: number;

  constructor(
    code: TwirpCode,
    message: string,
    options: { meta?: Record<string, string>; cause?: unknown; httpStatus?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TwirpError';
    this.code = code;
    this.meta = Object.freeze({ ...(options.meta ?? {}) });
    this.httpStatus = options.httpStatus ?? httpStatusOf(code);
  }

  /** The body a Twirp server writes; `meta` is left out when empty, as Go's twirp does. */
  toJSON(): { code: TwirpCode; msg: string; meta?: Record<string, string> } {
    const body: { code: TwirpCode; msg: string; meta?: Record<string, string> } = {
      code: this.code,
      msg: this.message,
    };
    if (Object.keys(this.meta).length > 0) body.meta = { ...this.meta };
    return body;
  }

  /** Anything thrown, as a TwirpError; errors that are not Twirp's become `internal` with the original as cause. */
  static from(error: unknown, code: TwirpCode = 'internal'): TwirpError {
    if (error instanceof TwirpError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new TwirpError(code, message, { cause: error });
  }
}

/**
 * What a client makes of a non-200 response: the Twirp error in its body, or, when the body is not one (a proxy
 * or load balancer answered), an error whose code follows the HTTP status as twirp's client maps it.
 */
export function twirpErrorFromResponse(status: number, body: string): TwirpError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  if (parsed !== null && typeof parsed === 'object') {
    const { code, msg, meta } = parsed as { code?: unknown; msg?: unknown; meta?: unknown };
    if (isTwirpCode(code) && typeof msg === 'string') {
      const stringMeta: Record<string, string> = {};
      if (meta !== null && typeof meta === 'object') {
        for (const [key, value] of Object.entries(meta))
          if (typeof value === 'string') stringMeta[key] = value;
      }
      return new TwirpError(code, msg, { meta: stringMeta });
    }
  }
  return new TwirpError(
    codeFromIntermediaryStatus(status),
    `Error from intermediary with HTTP status code ${status}`,
    {
      meta: { http_error_from_intermediary: 'true', status_code: String(status), body: body.slice(0, 1024) },
    },
  );
}

function codeFromIntermediaryStatus(status: number): TwirpCode {
  if (status >= 300 && status < 400) return 'internal';
  switch (status) {
    case 400:
      return 'internal';
    case 401:
      return 'unauthenticated';
    case 403:
      return 'permission_denied';
    case 404:
      return 'bad_route';
    case 429:
    case 502:
    case 503:
    case 504:
      return 'unavailable';
    default:
      return 'unknown';
  }
}
