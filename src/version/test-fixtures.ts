// Test support (not a test): finds the shared fixtures that CI places beside the clone.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * `<repoRoot>/../shared/fixtures`. At run time this file is `<repoRoot>/dist/src/version/test-fixtures.js`.
 * VIGIL_SHARED_FIXTURES overrides the location.
 */
export function sharedFixturesDir(): string {
  const dir =
    process.env.VIGIL_SHARED_FIXTURES ??
    fileURLToPath(new URL('../../../../shared/fixtures/', import.meta.url));
  if (!existsSync(dir)) {
    throw new Error(
      `shared fixtures not found at ${dir}: place the shared/ folder beside the repository clone ` +
        '(as CI does) or set VIGIL_SHARED_FIXTURES to its fixtures directory',
    );
  }
  return dir;
}

export function readSharedFixture(relativePath: string): string {
  const path = `${sharedFixturesDir().replace(/\/$/, '')}/${relativePath}`;
  if (!existsSync(path)) throw new Error(`shared fixture missing: ${path}`);
  return readFileSync(path, 'utf8');
}

/** A small deterministic PRNG (mulberry32), so randomized tests can be replayed from their seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}
