import type { Command } from 'commander';
import { UsageError } from './errors.js';

interface DemoOptions {
  once?: boolean;
}

/**
 * `vigil demo`: the local end-to-end showcase. It runs the real control plane (etcd, kube-apiserver,
 * kube-controller-manager built from upstream modules), a process node, a local OCI registry with the test
 * images and vulnerability DB, `vigil server` and `vigil operator` configured as the seed configures Trivy
 * Operator, deploys sample workloads in three namespaces (one excluded), waits for their VulnerabilityReports
 * and prints them.
 */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'run Vigil on a local Kubernetes control plane with sample workloads and print their VulnerabilityReports',
    )
    .option('--once', 'exit after printing the reports, instead of running until interrupted')
    .action(async (options: DemoOptions) => {
      // The environment lives with the tests (test/env); load it only for this command.
      const { runDemo, DemoError } = await import('../../test/env/demo.js');
      try {
        await runDemo({ once: options.once ?? false, out: process.stdout, err: process.stderr });
      } catch (error) {
        if (error instanceof DemoError)
          throw new UsageError(`demo failed: ${error.message}`, { exitCode: 1, cause: error });
        throw error;
      }
    });
}
