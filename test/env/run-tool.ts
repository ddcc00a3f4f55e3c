import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { repoRoot } from './paths.js';

const execFileAsync = promisify(execFile);

/**
 * Runs one of the repository's idempotent build scripts (tools/*.sh) and returns the path it prints on its
 * last line. The scripts cache their output outside the repository, so a warm call takes milliseconds.
 */
export async function runBuildScript(script: string, args: string[] = []): Promise<string> {
  try {
    const { stdout } = await execFileAsync('bash', [`${repoRoot()}/tools/${script}`, ...args], {
      maxBuffer: 16 * 1024 * 1024,
      timeout: 80 * 60_000,
    });
    const last = stdout.trim().split('\n').pop();
    if (!last) throw new Error(`tools/${script} printed no path`);
    return last;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`tools/${script} failed: ${stderr.trim().split('\n').slice(-15).join('\n')}`, {
      cause: error,
    });
  }
}
