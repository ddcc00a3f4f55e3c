// README fixed decision 2: the image key. `registry/repository@digest` when the digest is known, else
// `registry/repository:tag`, after Docker normalisation with Docker Hub spelled as go-containerregistry
// spells it (index.docker.io, as in VulnerabilityReport.report.registry.server). The key is itself a valid,
// pullable reference.
import { DOCKER_HUB, parseReference } from '../../image/index.js';

const REPORT_DOCKER_HUB = 'index.docker.io';
const REPO_DIGEST = /@(sha256:[a-f0-9]{64})$/;

/**
 * The repo digest in a container status `imageID`, if it has one: "docker-pullable://repo@sha256:…" (dockershim,
 * cri-dockerd) and "repo@sha256:…" (containerd, CRI-O) do; a bare "sha256:…" is the image's config ID (an
 * image ID), which names no manifest and cannot be pulled, so it is ignored.
 */
export function digestFromImageID(imageID: string | undefined): string | undefined {
  if (!imageID) return undefined;
  return REPO_DIGEST.exec(imageID.trim())?.[1];
}

/**
 * The key for `image` (as written in a pod spec); `imageID` is the container status's, when known. Throws the
 * image package's IMAGE_BAD_REFERENCE error (it names the image and the reason) for an invalid reference.
 */
export function imageKey(image: string, imageID?: string): string {
  const ref = parseReference(image);
  const registry = ref.registry === DOCKER_HUB ? REPORT_DOCKER_HUB : ref.registry;
  const digest = ref.digest ?? digestFromImageID(imageID);
  return digest ? `${registry}/${ref.repository}@${digest}` : `${registry}/${ref.repository}:${ref.tag}`;
}

/**
 * Whether two image strings name the same repository and tag (digests ignored). Used to tell whether a container
 * status still describes the spec's image: a Pod's image can be changed in place and its status lags behind.
 * Unparsable strings (some runtimes report an image ID as the image) count as the same: nothing to contradict.
 */
export function sameImageName(a: string, b: string): boolean {
  try {
    const x = parseReference(a);
    const y = parseReference(b);
    if (x.registry !== y.registry || x.repository !== y.repository) return false;
    // A digest-only image ("repo@sha256:…") has no tag and says nothing about it.
    return x.tag === undefined || y.tag === undefined || x.tag === y.tag;
  } catch {
    return true;
  }
}
