import { CommanderError } from 'commander';

/**
 * A failure the user can act on: printed as a single line without a stack trace.
 * `exitCode` follows the usual convention: 2 for bad usage, 1 for everything else.
 */
export class UsageError extends Error {
  readonly exitCode: number;
  constructor(message: string, options?: { exitCode?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UsageError';
    this.exitCode = options?.exitCode ?? 2;
  }
}

/** Prints a fatal error for a person and returns the exit code to use. */
export function reportFatal(error: unknown, out: NodeJS.WritableStream): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  if (error instanceof UsageError) {
    out.write(`vigil: ${error.message}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  out.write(`vigil: unexpected error: ${message}\n`);
  return 1;
}
