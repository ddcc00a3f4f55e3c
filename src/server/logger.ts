/**
 * The server's structured log: one JSON object per line (pino), ISO times, level names. Fields are passed
 * explicitly by the caller; nothing logs request headers, and the token options are redacted should a caller
 * ever pass them, so a token never reaches the log.
 */
import { pino } from 'pino';

export interface ServerLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentServerLogger: ServerLogger = Object.freeze({
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
});

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Paths pino blanks out wherever they appear in a log line's fields. */
export const REDACTED_PATHS = [
  'token',
  '*.token',
  'headers["trivy-token"]',
  'headers.authorization',
  '*.headers.authorization',
  'password',
  '*.password',
];

export interface JsonLoggerOptions {
  level?: LogLevel;
  /** Where lines go (default stderr, so stdout stays free for command output). */
  destination?: NodeJS.WritableStream;
  /** Fields on every line, e.g. { component: 'server' }. */
  base?: Record<string, unknown>;
  /** More paths to redact, e.g. a custom token header name. */
  redact?: string[];
}

export function createJsonLogger(options: JsonLoggerOptions = {}): ServerLogger {
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: options.base ?? {},
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACTED_PATHS, ...(options.redact ?? [])], censor: '[redacted]' },
    },
    // pino writes synchronously to a plain stream; no worker thread or transport.
    (options.destination ?? process.stderr) as pino.DestinationStream,
  );
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (fields === undefined) logger[level](message);
      else logger[level](fields, message);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
