import { Command } from 'commander';
import { registerDbCommand } from './db.js';
import { registerDemoCommand } from './demo.js';
import { registerOperatorCommand } from './operator.js';
import { registerScanCommand } from './scan.js';
import { registerServerCommand } from './server.js';
import { readPackageVersion } from './version.js';
import { registerVersionCommand } from './version-command.js';

/** The `vigil` command tree. A subcommand is registered here only once it works end to end. */
export function buildProgram(): Command {
  const program = new Command('vigil')
    .description(
      "Keeps running workloads' images scanned for known vulnerabilities (Trivy Operator compatible)",
    )
    .version(readPackageVersion(), '--version', 'print the version and exit')
    .showHelpAfterError()
    .exitOverride();
  registerVersionCommand(program);
  registerDbCommand(program);
  registerScanCommand(program);
  registerServerCommand(program);
  registerOperatorCommand(program);
  registerDemoCommand(program);
  return program;
}
