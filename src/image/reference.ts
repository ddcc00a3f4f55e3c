// Image references with the grammar and normalisation of Docker's reference package (distribution/reference):
// a first path component without a dot or a colon that is not "localhost" (and is lowercase) is a Docker Hub
// path, not a host; single-component Docker Hub names get "library/"; no tag and no digest means "latest".
import { ImageError } from './errors.js';

export const DOCKER_HUB = 'docker.io';
/** Where Docker Hub's registry API lives; docker.io itself only redirects. */
export const DOCKER_HUB_API = 'registry-1.docker.io';

export interface ImageReference {
  /** The registry as written after normalisation: "docker.io", "ghcr.io", "127.0.0.1:5000", "[::1]:5000". */
  readonly registry: string;
  /** The repository path inside the registry: "library/alpine", "aquasec/trivy-db". */
  readonly repository: string;
  /** The tag, when given or defaulted ("latest" when neither tag nor digest was given). */
  readonly tag: string | undefined;
  /** "sha256:<hex>" when the reference pins a digest; a pull then uses it and ignores the tag. */
  readonly digest: string | undefined;
}

const MAX_NAME_LENGTH = 255;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6 = /^\[[a-fA-F0-9:.]+\]$/;
const PORT = /^[0-9]+$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const SHA256_HEX = /^[a-f0-9]{64}$/;

/**
 * Parses "name[:tag][@digest]" as `docker pull` does. Throws IMAGE_BAD_REFERENCE with the reason when the
 * string is not a valid reference. `defaultTag` replaces "latest" for references with neither tag nor digest
 * (Trivy gives DB repositories their schema version that way).
 */
export function parseReference(input: string, options: { defaultTag?: string } = {}): ImageReference {
  const text = input.trim();
  const bad = (why: string) =>
    new ImageError('IMAGE_BAD_REFERENCE', `invalid image reference ${JSON.stringify(input)}: ${why}`);
  if (text === '') throw bad('it is empty');
  if (SHA256_HEX.test(text)) {
    throw bad('a 64-character hex string is an image ID, not a reference; use name@sha256:<hex>');
  }

  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    validateDigest(digest, bad);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag))
      throw bad(`tag ${JSON.stringify(tag)} is not valid (letters, digits, _ . -; max 128)`);
  }
  if (rest.length > MAX_NAME_LENGTH) throw bad(`the name is longer than ${MAX_NAME_LENGTH} characters`);

  const { registry, repository } = splitDomain(rest);
  validateRegistry(registry, bad);
  if (repository === '') throw bad('the repository name is empty');
  for (const component of repository.split('/')) {
    if (!PATH_COMPONENT.test(component)) {
      if (component.toLowerCase() !== component && PATH_COMPONENT.test(component.toLowerCase())) {
        throw bad('repository name must be lowercase');
      }
      throw bad(
        `path component ${JSON.stringify(component)} is not valid (lowercase letters, digits, . _ -)`,
      );
    }
  }
  if (tag === undefined && digest === undefined) tag = options.defaultTag ?? 'latest';
  return { registry, repository, tag, digest };
}

function splitDomain(name: string): { registry: string; repository: string } {
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  let registry: string;
  let repository: string;
  if (slash === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    registry = DOCKER_HUB;
    repository = name;
  } else {
    registry = first;
    repository = name.slice(slash + 1);
  }
  if (registry === 'index.docker.io') registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  return { registry, repository };
}

function validateRegistry(registry: string, bad: (why: string) => ImageError): void {
  let host = registry;
  const portMatch = /:([^:\]]*)$/.exec(registry);
  if (portMatch && !(registry.startsWith('[') && !registry.includes(']:'))) {
    const port = portMatch[1] ?? '';
    if (!PORT.test(port)) throw bad(`port ${JSON.stringify(port)} of registry ${registry} is not a number`);
    host = registry.slice(0, portMatch.index);
  }
  if (IPV6.test(host)) return;
  if (!host.split('.').every((c) => DOMAIN_COMPONENT.test(c))) {
    throw bad(`registry host ${JSON.stringify(host)} is not a valid host name`);
  }
}

function validateDigest(digest: string, bad: (why: string) => ImageError): void {
  if (!DIGEST.test(digest)) throw bad(`digest ${JSON.stringify(digest)} is not "algorithm:hex"`);
  const [algorithm, hex = ''] = digest.split(':');
  if (algorithm === 'sha256' && !SHA256_HEX.test(hex)) {
    throw bad('a sha256 digest has exactly 64 lowercase hex characters');
  }
  if (algorithm !== 'sha256') throw bad(`digest algorithm ${algorithm} is not supported (only sha256)`);
}

/** "docker.io/library/alpine" */
export function repositoryName(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The fully qualified form: "docker.io/library/alpine:latest", "host/repo@sha256:…", "host/repo:tag@sha256:…". */
export function formatReference(ref: ImageReference): string {
  return `${repositoryName(ref)}${ref.tag === undefined ? '' : `:${ref.tag}`}${ref.digest === undefined ? '' : `@${ref.digest}`}`;
}

/** Docker's short form: "alpine" for docker.io/library/alpine, "user/app" for docker.io/user/app. */
export function familiarName(ref: ImageReference): string {
  if (ref.registry !== DOCKER_HUB) return repositoryName(ref);
  return ref.repository.startsWith('library/') && ref.repository.split('/').length === 2
    ? ref.repository.slice('library/'.length)
    : ref.repository;
}

/** What the manifest request asks for: the digest when pinned, else the tag. */
export function manifestReference(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/** The host:port that serves the registry API for this registry name. */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API : registry;
}

/** Hosts whose registries Docker and go-containerregistry reach over plain HTTP when HTTPS fails. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith('[')
    ? registry.slice(0, registry.indexOf(']') + 1)
    : registry.split(':')[0];
  return (
    host === 'localhost' ||
    host === '[::1]' ||
    (host !== undefined && /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) ||
    (host?.endsWith('.localhost') ?? false)
  );
}
