// TTL reconcilers (trivy-operator.md §2.4): an object carrying a TTL annotation (a Go duration) is deleted
// once creationTimestamp + TTL has passed, and looked at again when it will have. Reports: the deletion
// makes the workload reconciler (which watches reports) rescan the owner. Secrets: Vigil's own
// registry-credential Secrets. Deletes carry a uid + resourceVersion precondition, so an object rewritten or
// recreated after the cache last saw it is never deleted on the strength of the old state.
import {
  MANAGED_BY_VALUE,
  REPORT_ANNOTATIONS,
  REPORT_LABELS,
  VULNERABILITY_REPORT,
  type VulnerabilityReport,
} from '../../k8s/crds/index.js';
import {
  type Clock,
  type Controller,
  type ControllerMetrics,
  createController,
  type Informer,
  KubeApiError,
  type KubeClient,
  type KubeObject,
  type Logger,
  objectKey,
  objectPath,
  type ReconcileResult,
  type ResourceType,
  splitKey,
  type WorkQueueMetrics,
} from '../../k8s/index.js';
import { parseGoDuration } from '../../scan/go-duration.js';

/** The annotation Vigil writes on its operator-managed Secrets (Trivy Operator keeps the TTL elsewhere). */
export const SECRET_TTL_ANNOTATION = 'trivy-operator.aquasecurity.github.io/secret-ttl';

const SECRET: ResourceType = Object.freeze({
  group: '',
  version: 'v1',
  plural: 'secrets',
  kind: 'Secret',
  namespaced: true,
});

export interface TtlReconcilerOptions {
  client: KubeClient;
  clock: Clock;
  logger: Logger;
  metrics?: ControllerMetrics;
  queueMetrics?: WorkQueueMetrics;
}

export interface ReportTtlReconcilerOptions extends TtlReconcilerOptions {
  reports: Informer<VulnerabilityReport>;
}

export interface SecretTtlReconcilerOptions extends TtlReconcilerOptions {
  /** Informer of the Secrets labelled app.kubernetes.io/managed-by=trivy-operator in the operator namespace. */
  secrets: Informer<KubeObject>;
}

export interface TtlReconciler {
  controller: Controller<string>;
  /**
   * Removes the handler registered on the informer at construction. The informer outlives the controller (a
   * new leadership term builds a new one), so without this every term would leave a handler behind.
   */
  unregister(): void;
}

/** Deletes VulnerabilityReports whose `report-ttl` has run out; key namespace/name. */
export function createReportTtlReconciler(options: ReportTtlReconcilerOptions): TtlReconciler {
  return createTtlReconciler({
    ...options,
    name: 'vulnerabilityreport-ttl',
    what: 'VulnerabilityReport',
    informer: options.reports,
    annotation: REPORT_ANNOTATIONS.reportTTL,
    type: VULNERABILITY_REPORT,
    eligible: () => true,
  });
}

/**
 * Deletes operator-managed Secrets whose `secret-ttl` has run out; key namespace/name. Only Secrets labelled
 * managed-by=trivy-operator are ever deleted, whatever the informer holds.
 */
export function createSecretTtlReconciler(options: SecretTtlReconcilerOptions): TtlReconciler {
  return createTtlReconciler({
    ...options,
    name: 'secret-ttl',
    what: 'Secret',
    informer: options.secrets,
    annotation: SECRET_TTL_ANNOTATION,
    type: SECRET,
    eligible: (secret) => secret.metadata?.labels?.[REPORT_LABELS.managedBy] === MANAGED_BY_VALUE,
  });
}

interface TtlSpec<T extends KubeObject> extends TtlReconcilerOptions {
  name: string;
  what: string;
  informer: Informer<T>;
  annotation: string;
  type: ResourceType;
  eligible(object: T): boolean;
}

function createTtlReconciler<T extends KubeObject>(spec: TtlSpec<T>): TtlReconciler {
  const { client, clock, logger, informer, annotation, what } = spec;
  // The malformed TTL last logged per object (uid + text), so one bad annotation is logged once, not on
  // every event or resync; cleared when the object goes or its annotation changes.
  const loggedMalformed = new Map<string, string>();

  async function reconcile(key: string): Promise<ReconcileResult | undefined> {
    const object = informer.get(key);
    if (!object || object.metadata?.deletionTimestamp || !spec.eligible(object)) {
      loggedMalformed.delete(key);
      return undefined;
    }
    const text = object.metadata?.annotations?.[annotation];
    if (text === undefined) {
      loggedMalformed.delete(key);
      return undefined;
    }
    const ttlMs = parseTtl(text);
    const created = Date.parse(object.metadata?.creationTimestamp ?? '');
    if (ttlMs === undefined || Number.isNaN(created)) {
      const seen = `${object.metadata?.uid}/${text}`;
      if (loggedMalformed.get(key) !== seen) {
        loggedMalformed.set(key, seen);
        logger.warn(`${what} has an unusable TTL; it will not expire until the annotation is fixed`, {
          [what.toLowerCase()]: key,
          annotation,
          value: text,
          fix:
            ttlMs === undefined
              ? `set ${annotation} to a Go duration such as 24h, 90m or 0s (now ${JSON.stringify(text)})`
              : 'the object has no creationTimestamp',
        });
      }
      return undefined;
    }
    loggedMalformed.delete(key);

    const remainingMs = created + ttlMs - clock.now();
    if (remainingMs > 0) {
      logger.debug(`${what} TTL not reached; looking again then`, {
        [what.toLowerCase()]: key,
        resourceVersion: object.metadata?.resourceVersion,
        remainingMs,
      });
      return { requeueAfterMs: remainingMs };
    }

    const { namespace, name } = splitKey(key);
    const path = objectPath(spec.type, name, namespace);
    try {
      await client.delete(path, {
        body: {
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          preconditions: { uid: object.metadata?.uid, resourceVersion: object.metadata?.resourceVersion },
        },
      });
    } catch (error) {
      // 409: rewritten or recreated since the cache saw it. The informer's event for the new state brings the
      // key back; retrying with backoff also covers a cache that is slow to catch up.
      if (error instanceof KubeApiError && error.isConflict) {
        logger.debug(`${what} changed before its TTL deletion; judging it again`, {
          [what.toLowerCase()]: key,
        });
        return { requeue: true };
      }
      throw error;
    }
    logger.info(`${what} TTL expired; deleted`, {
      [what.toLowerCase()]: key,
      ttl: text,
      createdAt: object.metadata?.creationTimestamp,
    });
    return undefined;
  }

  const controller = createController<string>({
    name: spec.name,
    reconcile: (key) => reconcile(key),
    clock,
    logger,
    ...(spec.metrics ? { metrics: spec.metrics } : {}),
    ...(spec.queueMetrics ? { queueMetrics: spec.queueMetrics } : {}),
  });
  const unregister = informer.addEventHandler(controller.eventHandler<T>((object) => objectKey(object)));
  return { controller, unregister };
}

/** Milliseconds of a TTL annotation; undefined for text Go's time.ParseDuration would refuse, or a negative. */
export function parseTtl(text: string): number | undefined {
  try {
    const ms = parseGoDuration(text.trim());
    return ms >= 0 && Number.isFinite(ms) ? ms : undefined;
  } catch {
    return undefined;
  }
}
