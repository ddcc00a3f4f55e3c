import { readFileSync } from 'node:fs';

/** Version of this build, read from the package.json that ships beside the compiled code. */
export function readPackageVersion(): string {
  for (const candidate of ['../../../package.json', '../../package.json']) {
    try {
      const parsed = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (parsed.name === 'vigil' && typeof parsed.version === 'string') return parsed.version;
    } catch {
      // try the next layout
    }
  }
  return '0.0.0-unknown';
}
