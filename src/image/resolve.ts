// The steps every image input shares once it can fetch manifests by descriptor: walk an index (possibly
// nested) down to the manifest for the wanted platform, and insist that the result is a container image.
import { ImageError } from './errors.js';
import type { Descriptor, ImageManifest, ParsedManifest } from './manifest.js';
import {
  IMAGE_CONFIG_MEDIA_TYPES,
  INDEX_MEDIA_TYPES,
  MANIFEST_MEDIA_TYPES,
  SCHEMA1_MEDIA_TYPES,
} from './media-types.js';
import { DEFAULT_PLATFORM, type Platform, selectPlatform } from './platform.js';

/** Indexes may nest (an index of indexes); deeper than this is a loop or an attack. */
const MAX_INDEX_DEPTH = 4;

export interface ManifestContent {
  digest: string;
  bytes: Buffer;
  parsed: ParsedManifest;
}

export interface ResolvedManifest {
  content: ManifestContent;
  manifest: ImageManifest;
  /** The platform of the index entry chosen, when there was an index. */
  platform: Platform | undefined;
}

export async function resolveImageManifest(
  top: ManifestContent,
  fetchManifest: (descriptor: Descriptor) => Promise<ManifestContent>,
  platform: Platform | undefined,
  name: string,
): Promise<ResolvedManifest> {
  let current = top;
  let chosen: Platform | undefined;
  for (let depth = 0; current.parsed.kind === 'index'; depth++) {
    if (depth >= MAX_INDEX_DEPTH) {
      throw new ImageError(
        'IMAGE_BAD_MANIFEST',
        `${name}: indexes nest more than ${MAX_INDEX_DEPTH} levels deep`,
      );
    }
    const entry = selectPlatform(current.parsed.index.manifests, platform ?? DEFAULT_PLATFORM, name);
    chosen = entry.platform;
    // Schema 1 entries are fetched anyway so that the manifest parser gives its clear schema 1 error.
    const known = [INDEX_MEDIA_TYPES, MANIFEST_MEDIA_TYPES, SCHEMA1_MEDIA_TYPES].some((set) =>
      set.has(entry.mediaType),
    );
    if (!known) {
      throw new ImageError(
        'IMAGE_UNSUPPORTED',
        `${name}: the index entry ${entry.digest} has media type ${entry.mediaType}, not an image manifest`,
      );
    }
    current = await fetchManifest(entry);
  }
  if (current.parsed.kind !== 'manifest') throw new Error('unreachable: an index after resolution');
  const manifest = current.parsed.manifest;
  if (!IMAGE_CONFIG_MEDIA_TYPES.has(manifest.config.mediaType)) {
    throw new ImageError(
      'IMAGE_UNSUPPORTED',
      `${name} is not a container image but an OCI artifact (${
        manifest.artifactType ?? manifest.config.mediaType
      }); only images can be scanned`,
    );
  }
  return { content: current, manifest, platform: chosen };
}
