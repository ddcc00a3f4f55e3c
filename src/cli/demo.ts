import type { Command } from 'commander';

interface DemoOptions {
  once?: boolean;
}

/**
 * `vigil demo`: the local end-to-end showcase. It runs the real control plane (etcd, kube-apiserver,
 * kube-controller-manager built from upstream modules), a process node and a local OCI registry, and shows
 * how to reach them. The server, the operator and sample workloads join as they land.
 */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'run a local Kubernetes control plane, process node and OCI registry, and print how to reach them',
    )
    .option(
      '--once',
      'exit after bringing everything up and checking it, instead of running until interrupted',
    )
    .action(async (options: DemoOptions) => {
      // The environment lives with the tests (test/env); load it only for this command.
      const { runDemo } = await import('../../test/env/demo.js');
      await runDemo({ once: options.once ?? false, out: process.stdout, err: process.stderr });
    });
}
