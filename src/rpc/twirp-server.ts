/**
 * Server side of Twirp over node:http: `POST <prefix>/<package>.<Service>/<Method>` with a protobuf or JSON
 * body, answered in the encoding of the request; errors as Twirp JSON with their HTTP status; gzip responses for
 * clients that accept it (from 1400 bytes on, as gziphandler, which Trivy's server wraps its services in) and
 * gzip request bodies. The routing errors carry twirp's own messages so that clients see what a Go server says.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type {
  DescMessage,
  DescMethod,
  DescService,
  MessageInitShape,
  MessageShape,
} from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import {
  CONTENT_TYPES,
  decodeMessage,
  type Encoding,
  encodeMessage,
  encodingOf,
  toMessage,
} from './codec.js';
import { acceptsGzip, type BodyLimits, gzipBody, readRequestBody } from './http-body.js';
import { TwirpError } from './twirp-error.js';

export const DEFAULT_PATH_PREFIX = '/twirp';
/** gziphandler.DefaultMinSize: smaller responses are not worth compressing. */
export const DEFAULT_GZIP_MIN_BYTES = 1400;

export interface CallContext {
  /** Aborted when the client goes away before the answer is written. */
  readonly signal: AbortSignal;
  readonly headers: IncomingHttpHeaders;
  /** `<package>.<Service>/<Method>`, e.g. `trivy.scanner.v1.Scanner/Scan`. */
  readonly procedure: string;
}

type AnyService = GenService<GenServiceMethods>;

/** A typed implementation of every method of a generated service. */
export type ServiceImpl<S extends AnyService> = {
  [K in keyof S['method']]: (
    request: MessageShape<S['method'][K]['input']>,
    context: CallContext,
  ) => Promise<MessageShape<S['method'][K]['output']> | MessageInitShape<S['method'][K]['output']>>;
};

type UntypedMethodImpl = (request: never, context: CallContext) => Promise<unknown>;

export interface ServiceRegistration {
  readonly service: DescService;
  readonly methods: ReadonlyMap<string, { desc: DescMethod; impl: UntypedMethodImpl }>;
}

export function registerService<S extends AnyService>(service: S, impl: ServiceImpl<S>): ServiceRegistration {
  const methods = new Map<string, { desc: DescMethod; impl: UntypedMethodImpl }>();
  for (const desc of service.methods) {
    if (desc.methodKind !== 'unary') continue;
    const fn = (impl as Record<string, UntypedMethodImpl | undefined>)[desc.localName];
    if (fn === undefined)
      throw new Error(`registerService: ${service.typeName} has no implementation of ${desc.name}`);
    methods.set(desc.name, { desc, impl: fn });
  }
  return { service, methods };
}

export interface CallInfo {
  procedure: string;
  encoding: Encoding | undefined;
  /** `ok` or the Twirp error code answered. */
  code: string;
  durationMs: number;
  error?: TwirpError;
}

export interface TwirpHandlerOptions {
  services: readonly ServiceRegistration[];
  /** Default `/twirp`; Trivy's hidden `--path-prefix`. */
  pathPrefix?: string;
  limits: BodyLimits;
  gzipMinBytes?: number;
  /**
   * Runs once the service is known and before the body is read (authentication belongs here, as Trivy checks
   * the token before twirp routes); a TwirpError it throws is the answer.
   */
  before?: (request: { service: DescService; headers: IncomingHttpHeaders }) => void;
  /** Told of every call that reached a service, with its outcome (metrics, logs). */
  onCallEnd?: (info: CallInfo) => void;
  /** Milliseconds for durations (default performance.now). */
  now?: () => number;
}

export interface TwirpHandler {
  /** Whether the path belongs to this handler (under the prefix). */
  matches(pathname: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export function createTwirpHandler(options: TwirpHandlerOptions): TwirpHandler {
  const prefix = `/${(options.pathPrefix ?? DEFAULT_PATH_PREFIX).replace(/^\/+|\/+$/g, '')}/`;
  const services = new Map(options.services.map((s) => [s.service.typeName, s]));
  const gzipMin = options.gzipMinBytes ?? DEFAULT_GZIP_MIN_BYTES;
  const now = options.now ?? (() => performance.now());

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = now();
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = `${req.method ?? ''} ${pathname}`;
    const [serviceName = '', methodName = '', ...extra] = pathname.slice(prefix.length).split('/');
    const registration = services.get(serviceName);
    if (registration === undefined) {
      await writeError(req, res, badRoute(`no handler for path ${JSON.stringify(pathname)}`, route));
      return;
    }
    const procedure = `${serviceName}/${methodName}`;
    let encoding: Encoding | undefined;
    const finish = (error?: TwirpError) =>
      options.onCallEnd?.({
        procedure,
        encoding,
        code: error?.code ?? 'ok',
        durationMs: now() - started,
        ...(error ? { error } : {}),
      });
    const controller = new AbortController();
    const onClose = () => {
      if (!res.writableFinished)
        controller.abort(new TwirpError('canceled', 'the client closed the connection'));
    };
    res.once('close', onClose);
    try {
      options.before?.({ service: registration.service, headers: req.headers });
      if (req.method !== 'POST') {
        throw badRoute(`unsupported method ${JSON.stringify(req.method)} (only POST is allowed)`, route);
      }
      const method = extra.length === 0 ? registration.methods.get(methodName) : undefined;
      if (method === undefined) throw badRoute(`no handler for path ${JSON.stringify(pathname)}`, route);
      encoding = encodingOf(req.headers['content-type']);
      if (encoding === undefined) {
        throw badRoute(
          `unexpected Content-Type: ${JSON.stringify(req.headers['content-type'] ?? '')}`,
          route,
        );
      }
      const body = await readRequestBody(req, options.limits);
      const input = decodeMessage(method.desc.input, body, encoding);
      const context: CallContext = { signal: controller.signal, headers: req.headers, procedure };
      let output: unknown;
      try {
        output = await method.impl(input as never, context);
      } catch (error) {
        throw TwirpError.from(error);
      }
      const message = toMessage(method.desc.output, output as MessageInitShape<DescMessage>);
      const bytes = encodeMessage(method.desc.output, message, encoding);
      await writeBody(req, res, 200, CONTENT_TYPES[encoding], bytes, gzipMin);
      finish();
    } catch (error) {
      const twirpError = TwirpError.from(error);
      await writeError(req, res, twirpError);
      finish(twirpError);
    } finally {
      res.off('close', onClose);
    }
  }

  return {
    matches: (pathname) => pathname.startsWith(prefix),
    handle,
  };

  async function writeError(req: IncomingMessage, res: ServerResponse, error: TwirpError): Promise<void> {
    // An unread body (refused before reading, or over the limit) is not worth draining: close after answering.
    if (!req.readableEnded) res.setHeader('Connection', 'close');
    const bytes = Buffer.from(JSON.stringify(error.toJSON()), 'utf8');
    await writeBody(req, res, error.httpStatus, CONTENT_TYPES.json, bytes, gzipMin);
  }
}

function badRoute(message: string, route: string): TwirpError {
  return new TwirpError('bad_route', message, { meta: { twirp_invalid_route: route } });
}

async function writeBody(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  contentType: string,
  bytes: Uint8Array,
  gzipMin: number,
): Promise<void> {
  if (res.headersSent || res.destroyed) return;
  let body: Uint8Array = bytes;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Vary', 'Accept-Encoding');
  if (bytes.length >= gzipMin && acceptsGzip(req.headers['accept-encoding'])) {
    body = await gzipBody(bytes);
    res.setHeader('Content-Encoding', 'gzip');
  }
  res.setHeader('Content-Length', body.length);
  res.statusCode = status;
  res.end(body);
}
