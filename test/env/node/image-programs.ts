import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { vigilCli } from '../paths.js';
import type { Container } from './pod-types.js';

/**
 * What a container of a given image runs on the process node. Images are never pulled; the first rule whose
 * pattern matches the image decides:
 * - `vigil`: the image carries the vigil CLI. `vigil` (and `/usr/local/bin/vigil`) in the command resolve to the
 *   built CLI (node dist/src/cli/main.js) through a shim put first on PATH, so `sh -c "vigil …"` works too.
 * - `command`: the container's command and args run as host programs (sh, echo, sleep, …). A container without a
 *   command runs `defaultCommand` (a long-running stand-in for the image's own entrypoint).
 * - `unavailable`: the image cannot be pulled; the container waits with ErrImagePull, as a kubelet would.
 */
export interface ImageRule {
  pattern: RegExp;
  run: 'vigil' | 'command' | 'unavailable';
  defaultCommand?: string[];
}

export const DEFAULT_IMAGE_RULES: readonly ImageRule[] = [
  { pattern: /(^|\/)vigil(:|@|$)/, run: 'vigil' },
  { pattern: /(^|\/)(unavailable|does-not-exist)[^/]*$/, run: 'unavailable' },
  { pattern: /.*/, run: 'command', defaultCommand: ['sleep', 'infinity'] },
];

export interface ContainerProgram {
  file: string;
  args: string[];
  /** Directories to put first on PATH. */
  pathPrefix: string[];
}

export class ImageUnavailableError extends Error {
  override readonly name = 'ImageUnavailableError';
}

/** Resolves containers to programs by the rules; writes the vigil shim once into shimDir. */
export function createImagePrograms(rules: readonly ImageRule[], shimDir: string) {
  mkdirSync(shimDir, { recursive: true });
  const shim = join(shimDir, 'vigil');
  writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${vigilCli()}" "$@"\n`);
  chmodSync(shim, 0o755);

  return {
    resolve(container: Container): ContainerProgram {
      const rule = rules.find((r) => r.pattern.test(container.image));
      if (!rule || rule.run === 'unavailable') {
        throw new ImageUnavailableError(
          `image "${container.image}" cannot be pulled: the process node maps no program to it (test/env/node/image-programs.ts)`,
        );
      }
      let argv = [...(container.command ?? []), ...(container.args ?? [])];
      if (rule.run === 'vigil') {
        if (!container.command || container.command.length === 0) argv = ['vigil', ...argv];
        if (argv[0] === '/usr/local/bin/vigil') argv[0] = 'vigil';
        return { file: argv[0] === 'vigil' ? shim : argv[0]!, args: argv.slice(1), pathPrefix: [shimDir] };
      }
      if (argv.length === 0) argv = [...(rule.defaultCommand ?? ['sleep', 'infinity'])];
      return { file: argv[0]!, args: argv.slice(1), pathPrefix: [] };
    },
  };
}
export type ImagePrograms = ReturnType<typeof createImagePrograms>;
