// Manifests and indexes (OCI image spec and Docker schema 2), validated into plain typed objects. Schema 1 is
// refused: it was deprecated in 2015, has no content-addressed config, and Trivy cannot scan it either.
import { ImageError } from './errors.js';
import {
  INDEX_MEDIA_TYPES,
  MANIFEST_MEDIA_TYPES,
  OCI_INDEX,
  OCI_MANIFEST,
  SCHEMA1_MEDIA_TYPES,
} from './media-types.js';
import type { Platform } from './platform.js';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
  urls?: string[];
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export type ParsedManifest =
  | { kind: 'index'; index: ImageIndex }
  | { kind: 'manifest'; manifest: ImageManifest };

/** Registries cap manifests at 4 MiB (distribution's default); anything larger is not a manifest. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * Parses manifest bytes. `contentType` is the registry's Content-Type (may be empty or generic); the body's
 * own mediaType and, failing both, its shape decide then. `what` names the manifest in errors.
 */
export function parseManifest(bytes: Buffer, contentType: string, what: string): ParsedManifest {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    if (SCHEMA1_MEDIA_TYPES.has(baseType(contentType))) throw schema1(what);
    throw new ImageError('IMAGE_BAD_MANIFEST', `the manifest of ${what} is not valid JSON`, { cause: error });
  }
  if (!isObject(json)) throw bad(what, 'it is not a JSON object');
  if (json.schemaVersion === 1 || SCHEMA1_MEDIA_TYPES.has(baseType(contentType))) throw schema1(what);
  if (json.schemaVersion !== 2)
    throw bad(what, `schemaVersion is ${JSON.stringify(json.schemaVersion)}, not 2`);

  const declared = typeof json.mediaType === 'string' ? json.mediaType : '';
  const header = baseType(contentType);
  let mediaType = [header, declared].find((t) => INDEX_MEDIA_TYPES.has(t) || MANIFEST_MEDIA_TYPES.has(t));
  if (mediaType === undefined) {
    if (declared !== '' || (header !== '' && !GENERIC_TYPES.has(header))) {
      throw new ImageError(
        'IMAGE_UNSUPPORTED',
        `${what} has media type ${declared || header}, which is neither an image manifest nor an index`,
      );
    }
    // OCI allows an absent mediaType; the shape tells which of the two it is.
    mediaType = Array.isArray(json.manifests) ? OCI_INDEX : OCI_MANIFEST;
  }

  if (INDEX_MEDIA_TYPES.has(mediaType)) {
    if (!Array.isArray(json.manifests)) throw bad(what, 'an index needs a "manifests" list');
    const index: ImageIndex = {
      schemaVersion: 2,
      mediaType,
      manifests: json.manifests.map((d, i) => parseDescriptor(d, `${what} manifests[${i}]`)),
    };
    const annotations = parseAnnotations(json.annotations, what);
    if (annotations) index.annotations = annotations;
    return { kind: 'index', index };
  }
  if (!Array.isArray(json.layers)) throw bad(what, 'a manifest needs a "layers" list');
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType,
    config: parseDescriptor(json.config, `${what} config`),
    layers: json.layers.map((d, i) => parseDescriptor(d, `${what} layers[${i}]`)),
  };
  if (typeof json.artifactType === 'string') manifest.artifactType = json.artifactType;
  const annotations = parseAnnotations(json.annotations, what);
  if (annotations) manifest.annotations = annotations;
  return { kind: 'manifest', manifest };
}

export function isIndexType(mediaType: string): boolean {
  return INDEX_MEDIA_TYPES.has(mediaType);
}

export function parseDescriptor(value: unknown, what: string): Descriptor {
  if (!isObject(value)) throw bad(what, 'a descriptor must be an object');
  const { mediaType, digest, size } = value;
  if (typeof mediaType !== 'string' || mediaType === '') throw bad(what, 'the descriptor has no mediaType');
  if (typeof digest !== 'string' || !DIGEST.test(digest)) {
    throw bad(what, `digest ${JSON.stringify(digest)} is not sha256:<64 hex>`);
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw bad(what, `size ${JSON.stringify(size)} is not a non-negative integer`);
  }
  const descriptor: Descriptor = { mediaType, digest, size };
  const annotations = parseAnnotations(value.annotations, what);
  if (annotations) descriptor.annotations = annotations;
  if (typeof value.artifactType === 'string') descriptor.artifactType = value.artifactType;
  if (Array.isArray(value.urls))
    descriptor.urls = value.urls.filter((u): u is string => typeof u === 'string');
  if (isObject(value.platform)) {
    const { os, architecture, variant } = value.platform;
    if (typeof os === 'string' && typeof architecture === 'string') {
      descriptor.platform =
        typeof variant === 'string' && variant !== '' ? { os, architecture, variant } : { os, architecture };
    }
  }
  return descriptor;
}

function parseAnnotations(value: unknown, what: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw bad(what, 'annotations must be an object of strings');
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw bad(what, `annotation ${key} is not a string`);
    out[key] = v;
  }
  return out;
}

/** A Content-Type without parameters, lowercased. */
export function baseType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

const GENERIC_TYPES = new Set(['application/json', 'text/plain', 'application/octet-stream']);

function schema1(what: string): ImageError {
  return new ImageError(
    'IMAGE_UNSUPPORTED',
    `${what} is a Docker schema 1 manifest, which is deprecated and not supported; push the image again with a current Docker, Buildah or skopeo to get a schema 2 or OCI manifest`,
  );
}

function bad(what: string, why: string): ImageError {
  return new ImageError('IMAGE_BAD_MANIFEST', `invalid manifest for ${what}: ${why}`);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
