#!/usr/bin/env node
// Entry point of the `vigil` binary: builds the command tree and maps failures to exit codes.
import { reportFatal } from './errors.js';
import { buildProgram } from './program.js';

buildProgram(process.argv)
  .then((program) => program.parseAsync(process.argv))
  .catch((error: unknown) => {
    process.exitCode = reportFatal(error, process.stderr);
  });
