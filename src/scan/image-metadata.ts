/**
 * The image identity Trivy puts into a report (trivy:pkg/fanal/artifact/image Inspect and
 * findMatchingReference): the RepoTag or RepoDigest that names the same image as the artifact name (tags
 * first; the first one when the name is an archive path or matches none), and its repository context
 * ("index.docker.io/library/alpine"), which the ArtifactID hashes.
 */
import { DOCKER_HUB, type ImageReference, parseReference } from '../image/index.js';

const ARCHIVE_EXTENSIONS = ['.tar', '.gz', '.gzip', '.tgz'];

export interface MatchedReference {
  /** As written in RepoTags/RepoDigests (Metadata.Reference). */
  reference: string;
  /** go-containerregistry's Repository.String() of it. */
  context: string;
}

function tryParse(text: string): ImageReference | undefined {
  try {
    return parseReference(text);
  } catch {
    return undefined;
  }
}

/** go-containerregistry's Reference.Name(): a digest wins over a tag. */
function qualifiedName(ref: ImageReference): string {
  return ref.digest !== undefined
    ? `${context(ref)}@${ref.digest}`
    : `${context(ref)}:${ref.tag ?? 'latest'}`;
}

function context(ref: ImageReference): string {
  return `${ref.registry === DOCKER_HUB ? 'index.docker.io' : ref.registry}/${ref.repository}`;
}

export function matchReference(
  artifactName: string,
  repoTags: readonly string[],
  repoDigests: readonly string[],
): MatchedReference | undefined {
  const candidates: Array<{ text: string; ref: ImageReference }> = [];
  for (const text of [...repoTags, ...repoDigests]) {
    const ref = tryParse(text);
    if (ref) candidates.push({ text, ref });
  }
  const first = candidates[0];
  if (first === undefined) return undefined;
  const pick = (c: { text: string; ref: ImageReference }) => ({ reference: c.text, context: context(c.ref) });
  const lower = artifactName.toLowerCase();
  if (ARCHIVE_EXTENSIONS.some((ext) => lower.endsWith(ext))) return pick(first);
  const named = tryParse(artifactName);
  if (named === undefined) return pick(first);
  const wanted = qualifiedName(named);
  return pick(candidates.find((c) => qualifiedName(c.ref) === wanted) ?? first);
}
