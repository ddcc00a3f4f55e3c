export { type Authenticator, type AuthTarget, basicHeader, createAuthenticator } from './auth.js';
export { type Challenge, parseChallenges, pickChallenge } from './challenge.js';
export { type Clock, systemClock } from './clock.js';
export {
  type Credential,
  type CredentialOptions,
  type CredentialStore,
  createCredentialStore,
  type DockerConfig,
  dockerConfigCredential,
  parseDockerConfig,
} from './credentials.js';
export { createDigestVerifier, sha256Digest, verifyBytes } from './digest.js';
export { openDockerArchive } from './docker-archive.js';
export { ImageError, type ImageErrorCode, type RegistryErrorDetail } from './errors.js';
export { createDirectoryStore, createTarStore, type FileStore } from './file-store.js';
export {
  type ClosableTransport,
  createNodeTransport,
  fetchTransport,
  type HttpRequest,
  type HttpResponse,
  type HttpTransport,
} from './http-transport.js';
export { MAX_CONFIG_BYTES, parseConfig } from './image-config.js';
export type { ImageConfig, ImageSource, ImageSourceKind } from './image-source.js';
export { type InputOptions, openImageInput } from './input.js';
export { type Logger, silentLogger } from './logger.js';
export {
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  MAX_MANIFEST_BYTES,
  type ParsedManifest,
  parseManifest,
} from './manifest.js';
export * from './media-types.js';
export { openOciLayout } from './oci-layout.js';
export {
  DEFAULT_PLATFORM,
  formatPlatform,
  type Platform,
  parsePlatform,
  selectPlatform,
} from './platform.js';
export {
  DOCKER_HUB,
  DOCKER_HUB_API,
  familiarName,
  formatReference,
  type ImageReference,
  parseReference,
  repositoryName,
} from './reference.js';
export {
  createRegistryClient,
  type FetchedManifest,
  type RegistryClient,
  type RegistryClientOptions,
  type RequestOptions,
} from './registry-client.js';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
export {
  indexTarFile,
  normalizeTarPath,
  readTar,
  type StreamedTarEntry,
  TarError,
  type TarHeader,
} from './tar.js';
