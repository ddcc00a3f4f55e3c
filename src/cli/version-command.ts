import type { Command } from 'commander';
import { readPackageVersion } from './version.js';

/** `vigil version`, as `trivy version`: plain text, or JSON for scripts. */
export function registerVersionCommand(program: Command): void {
  program
    .command('version')
    .description('print the version')
    .option('-f, --format <format>', 'output format: text or json', 'text')
    .action((options: { format: string }) => {
      const version = readPackageVersion();
      if (options.format === 'json') process.stdout.write(`${JSON.stringify({ Version: version })}\n`);
      else process.stdout.write(`Version: ${version}\n`);
    });
}
