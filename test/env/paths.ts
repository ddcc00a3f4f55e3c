import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file whether it runs from test/env or dist/test/env. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tools'))) return dir;
    dir = dirname(dir);
  }
  throw new Error(
    'cannot find the repository root (a directory with package.json and tools/) above test/env',
  );
}

/** Vigil's cache outside the repository: built binaries, root filesystems, Go caches. */
export function cacheDir(): string {
  return (
    process.env.VIGIL_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'vigil')
  );
}

/** The built vigil CLI (dist/src/cli/main.js). */
export function vigilCli(): string {
  return resolve(repoRoot(), 'dist/src/cli/main.js');
}

/** The shared fixtures directory that sits beside the repository (../shared/fixtures). */
export function sharedFixtures(): string {
  const dir = resolve(repoRoot(), '../shared/fixtures');
  if (!existsSync(dir))
    throw new Error(`shared fixtures not found at ${dir}: check out shared/ beside the repository`);
  return dir;
}
