// What every image input offers the scanner, whether it comes from a registry, a `docker save` tarball or an
// OCI layout: the manifest, the config, and each layer as a stream of its stored (usually compressed) bytes,
// checked against its digest while it is read.
import type { Readable } from 'node:stream';
import type { Descriptor, ImageManifest } from './manifest.js';
import type { Platform } from './platform.js';

/** The parts of an image config (OCI image-spec config / Docker container config) that scanners read. */
export interface ImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  config?: {
    Env?: string[];
    Cmd?: string[];
    Entrypoint?: string[];
    User?: string;
    WorkingDir?: string;
    Labels?: Record<string, string>;
    [key: string]: unknown;
  };
  rootfs?: { type: string; diff_ids: string[] };
  history?: Array<{ created?: string; created_by?: string; empty_layer?: boolean; comment?: string }>;
  [key: string]: unknown;
}

export type ImageSourceKind = 'remote' | 'docker-archive' | 'oci-layout';

export interface ImageSource {
  readonly kind: ImageSourceKind;
  /** What was asked for: "127.0.0.1:5000/app:1.0", or the archive/layout path. */
  readonly reference: string;
  /** Digest of what the reference names: the index digest for a multi-platform image (Trivy's RepoDigests). */
  readonly digest: string;
  /** Digest of the platform manifest used (equal to digest for single-platform images). */
  readonly manifestDigest: string;
  readonly manifest: ImageManifest;
  readonly manifestBytes: Buffer;
  readonly config: ImageConfig;
  /** The config exactly as stored; its sha256 is configDigest, the image ID. */
  readonly configBytes: Buffer;
  readonly configDigest: string;
  /** The manifest's layers, bottom first. */
  readonly layers: readonly Descriptor[];
  /** The platform chosen from an index; undefined for single-platform images. */
  readonly platform: Platform | undefined;
  /** "repo:tag" names (Docker Hub names in their short form, as Trivy reports them). */
  readonly repoTags: readonly string[];
  /** "repo@sha256:…" names. */
  readonly repoDigests: readonly string[];
  /**
   * The stored bytes of a layer (or the config) by digest. The stream fails with IMAGE_DIGEST_MISMATCH at
   * its end if the bytes do not hash to the digest; whatever was read must then be discarded.
   */
  openLayer(digest: string, options?: { signal?: AbortSignal }): Promise<Readable>;
  close(): Promise<void>;
}
