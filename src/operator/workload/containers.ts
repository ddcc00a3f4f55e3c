// What a workload's scan Job must scan: one target per container, with its image key. Vigil fixes Trivy
// Operator #3035 and the excludeImages rescan loop (§2.6): skipped init containers and excluded images are
// dropped from the Job AND from the report bookkeeping, so "every target has a current report" can come true.
import type { KubeObject } from '../../k8s/index.js';
import { matchGlob, validateGlob } from '../config/glob.js';
import { digestFromImageID, imageKey, sameImageName } from './image-key.js';
import type { WorkloadKind } from './kinds.js';
import { podTemplateOf } from './pod-template.js';
import type { Container, ContainerStatus, Pod } from './types.js';

export interface ScanTarget {
  container: string;
  /** The image as written in the pod spec (what the Job annotation `trivy-operator.container-images` lists). */
  image: string;
  /** README decision 2; a pullable reference (digest-pinned when the digest is known). */
  imageKey: string;
  kind: 'container' | 'init' | 'ephemeral';
}

export interface ScanTargetOptions {
  /** scanJob.skipInitContainers: init containers are neither scanned nor expected to have reports. */
  skipInitContainers?: boolean;
  /** scanJob.excludeImages: Go filepath.Match globs on the image string; a malformed one throws GlobPatternError
   * (the config module's; its loader already rejects such patterns). */
  excludeImages?: readonly string[];
  /** Container name → status imageID (imageIDsFromPods), so a tag-only image gets its running digest. */
  imageIDs?: ReadonlyMap<string, string>;
  /** The workload's kind, when `workload` (e.g. from a list) carries no `kind`. */
  kind?: WorkloadKind;
}

export interface ScanTargets {
  /** What to scan and what must have a report, in pod spec order: containers, init containers, ephemeral. */
  targets: ScanTarget[];
  /** Matched by excludeImages: neither scanned nor expected. */
  excluded: ScanTarget[];
}

export function scanTargets(workload: KubeObject, options: ScanTargetOptions = {}): ScanTargets {
  const template = podTemplateOf(workload, options.kind);
  const result: ScanTargets = { targets: [], excluded: [] };
  if (!template) return result;
  const globs = options.excludeImages ?? [];
  // Validated up front, so a malformed pattern fails every workload alike, not only those it is tried on.
  for (const pattern of globs) validateGlob(pattern);
  const groups: Array<[ScanTarget['kind'], Container[] | undefined]> = [
    ['container', template.spec.containers],
    ['init', options.skipInitContainers ? undefined : template.spec.initContainers],
    ['ephemeral', template.spec.ephemeralContainers],
  ];
  for (const [kind, containers] of groups) {
    for (const c of containers ?? []) {
      // The API server requires an image on every container of a pod (templates may omit it); nothing to scan.
      if (typeof c.image !== 'string' || c.image.trim() === '') continue;
      const target: ScanTarget = {
        container: c.name,
        image: c.image,
        imageKey: keyOrImage(c.image, options.imageIDs?.get(c.name)),
        kind,
      };
      (globs.some((g) => matchGlob(g, c.image as string)) ? result.excluded : result.targets).push(target);
    }
  }
  return result;
}

/**
 * An image that is not a valid reference keeps its text as its key: its scan then fails visibly (FAILED report,
 * ScanFailed event) instead of the whole workload failing to reconcile.
 */
function keyOrImage(image: string, imageID: string | undefined): string {
  try {
    return imageKey(image, imageID);
  } catch {
    return image.trim();
  }
}

/**
 * Container name → imageID with a repo digest, from the pods' container, init container and ephemeral container
 * statuses. A status whose `image` no longer names the pod's spec image (a Pod's image changed in place, not yet
 * restarted) is ignored, as are bare image IDs. When the pods disagree on a container's digest (a moving tag
 * pulled at different times) the container gets none: the workload runs no single image, so it is keyed by tag.
 */
export function imageIDsFromPods(pods: readonly KubeObject[]): Map<string, string> {
  const found = new Map<string, string>();
  const conflicting = new Set<string>();
  for (const pod of pods as readonly Pod[]) {
    const specImages = new Map<string, string>();
    for (const c of [
      ...(pod.spec?.containers ?? []),
      ...(pod.spec?.initContainers ?? []),
      ...(pod.spec?.ephemeralContainers ?? []),
    ]) {
      if (typeof c.image === 'string') specImages.set(c.name, c.image);
    }
    const statuses: ContainerStatus[] = [
      ...(pod.status?.containerStatuses ?? []),
      ...(pod.status?.initContainerStatuses ?? []),
      ...(pod.status?.ephemeralContainerStatuses ?? []),
    ];
    for (const s of statuses) {
      const digest = digestFromImageID(s.imageID);
      if (!digest || !s.imageID) continue;
      const specImage = specImages.get(s.name);
      if (specImage !== undefined && s.image && !sameImageName(specImage, s.image)) continue;
      const seen = found.get(s.name);
      if (seen === undefined) found.set(s.name, s.imageID);
      else if (digestFromImageID(seen) !== digest) conflicting.add(s.name);
    }
  }
  for (const name of conflicting) found.delete(name);
  return found;
}
