// Platforms as `--platform os/arch[/variant]` names them, and the choice of one manifest from an index with
// go-containerregistry's rules (Trivy relies on them): OS and architecture must be equal, the variant only
// when one is asked for; the first match wins; "*" as OS takes the OS of the index's first entry.
import { ImageError } from './errors.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** ggcr's default when an index is resolved and no platform was given. */
export const DEFAULT_PLATFORM: Platform = Object.freeze({ os: 'linux', architecture: 'amd64' });

export function parsePlatform(text: string): Platform {
  const parts = text.trim().split('/');
  const [os = '', architecture = '', variant, ...extra] = parts;
  if (os === '' || architecture === '' || extra.length > 0 || variant === '') {
    throw new ImageError(
      'IMAGE_BAD_REFERENCE',
      `invalid platform ${JSON.stringify(text)}: expected os/arch or os/arch/variant, e.g. linux/arm64 or linux/arm/v7`,
    );
  }
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

export function formatPlatform(platform: Platform): string {
  return `${platform.os}/${platform.architecture}${platform.variant ? `/${platform.variant}` : ''}`;
}

export function platformMatches(wanted: Platform, candidate: Platform): boolean {
  if (wanted.os !== candidate.os || wanted.architecture !== candidate.architecture) return false;
  return !wanted.variant || wanted.variant === candidate.variant;
}

export interface PlatformEntry {
  platform?: Platform | undefined;
}

/**
 * The first entry matching `wanted`, or an IMAGE_PLATFORM error listing the platforms the index offers
 * (entries without a platform and attestation entries, "unknown/unknown", are not images and are not listed).
 */
export function selectPlatform<T extends PlatformEntry>(
  entries: readonly T[],
  wanted: Platform,
  what: string,
): T {
  const target = wanted.os === '*' ? { ...wanted, os: entries[0]?.platform?.os ?? '' } : wanted;
  const match = entries.find(
    (entry) => entry.platform !== undefined && platformMatches(target, entry.platform),
  );
  if (match !== undefined) return match;
  const available = entries
    .map((entry) => entry.platform)
    .filter((p): p is Platform => p !== undefined && !(p.os === 'unknown' && p.architecture === 'unknown'))
    .map(formatPlatform);
  throw new ImageError(
    'IMAGE_PLATFORM',
    `${what} has no image for platform ${formatPlatform(wanted)}; available platforms: ${
      available.length > 0 ? [...new Set(available)].join(', ') : 'none'
    }. Choose one with --platform.`,
  );
}
