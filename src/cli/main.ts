#!/usr/bin/env node
import { reportFatal } from './errors.js';
// Entry point of the `vigil` binary: builds the command tree and maps failures to exit codes.
import { buildProgram } from './program.js';

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    process.exitCode = reportFatal(error, process.stderr);
  });
