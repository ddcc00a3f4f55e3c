export type Ordering = -1 | 0 | 1;

/**
 * One versioning scheme: how versions are read, ordered and matched against advisory constraints.
 * `compare` and `satisfies` throw a VersionError for input the scheme cannot read.
 */
export interface VersionScheme {
  /** Short name used in messages, e.g. "dpkg" or "pep440". */
  readonly name: string;
  /** Throws a VersionError explaining why `version` is not a valid version of this scheme. */
  validate(version: string): void;
  isValid(version: string): boolean;
  compare(a: string, b: string): Ordering;
  /** Whether `version` matches `constraint`, in the constraint syntax documented on the scheme's module. */
  satisfies(version: string, constraint: string): boolean;
}

export function sign(n: number | bigint): Ordering {
  if (n < 0) return -1;
  if (n > 0) return 1;
  return 0;
}

/** Builds validate/isValid from a parser, so that each scheme writes its parser once. */
export function validatorsFrom(
  parse: (version: string) => unknown,
): Pick<VersionScheme, 'validate' | 'isValid'> {
  return {
    validate(version: string): void {
      parse(version);
    },
    isValid(version: string): boolean {
      try {
        parse(version);
        return true;
      } catch {
        return false;
      }
    },
  };
}
