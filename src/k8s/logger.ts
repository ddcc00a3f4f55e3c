// What the Kubernetes machinery reports (watch restarts, reconcile failures, leadership changes); the program
// that builds it decides where the lines go.
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = Object.freeze({
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
});

/** The fields a log line carries for a caught error: its message and, for programming errors, the stack. */
export function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error) };
  return { error: error.message, ...(error.stack ? { stack: error.stack } : {}) };
}
