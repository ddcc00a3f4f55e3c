import { Command } from 'commander';
import { readPackageVersion } from './version.js';

type Register = (program: Command) => void;

// Each command's module is loaded only when that command runs: the operator's Kubernetes client alone costs
// ~1.4 s and ~90 MiB to load, which every scan Job container (`vigil scan image`) would otherwise pay.
// Order is the order of `vigil --help`.
const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  version: async () => (await import('./version-command.js')).registerVersionCommand,
  db: async () => (await import('./db.js')).registerDbCommand,
  scan: async () => (await import('./scan.js')).registerScanCommand,
  server: async () => (await import('./server.js')).registerServerCommand,
  operator: async () => (await import('./operator.js')).registerOperatorCommand,
  demo: async () => (await import('./demo.js')).registerDemoCommand,
};

/**
 * The `vigil` command tree for an argument vector: the named subcommand alone when argv names one, every
 * subcommand otherwise (help, unknown commands). A subcommand is listed here only once it works end to end.
 */
export async function buildProgram(argv: readonly string[] = process.argv): Promise<Command> {
  const program = new Command('vigil')
    .description(
      "Keeps running workloads' images scanned for known vulnerabilities (Trivy Operator compatible)",
    )
    .version(readPackageVersion(), '--version', 'print the version and exit')
    .showHelpAfterError()
    .exitOverride();
  const named = argv[2];
  const wanted =
    named !== undefined && Object.hasOwn(COMMANDS, named) ? [COMMANDS[named]!] : Object.values(COMMANDS);
  for (const load of wanted) (await load())(program);
  return program;
}
