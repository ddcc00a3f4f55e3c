import { DEFAULT_DB_REPOSITORIES, parseDbRepository } from '../vulndb/index.js';
import { UsageError } from './errors.js';

/**
 * The DB repositories a command uses, as Trivy picks them: the --db-repository flags, else $TRIVY_DB_REPOSITORY
 * (already split by the caller), else the defaults; each one checked, a bad one a usage error naming the flag.
 */
export function resolveDbRepositories(
  flags: readonly string[],
  fromEnv: readonly string[] | undefined,
): string[] {
  const repositories =
    flags.length > 0 ? [...flags] : fromEnv !== undefined ? [...fromEnv] : [...DEFAULT_DB_REPOSITORIES];
  for (const repository of repositories) {
    try {
      parseDbRepository(repository);
    } catch (error) {
      throw new UsageError(`--db-repository: ${(error as Error).message}`, { cause: error });
    }
  }
  return repositories;
}
