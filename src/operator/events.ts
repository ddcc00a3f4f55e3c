// Kubernetes Events on workloads (core/v1), with client-go's recorder behaviour that matters to people reading
// `kubectl describe`: the same event repeated is one Event whose count and lastTimestamp go up, not a new
// object per occurrence. The dedupe cache is bounded and per recorder (no module state).
import {
  type Clock,
  errorFields,
  type KubeClient,
  type KubeObject,
  type Logger,
  MERGE_PATCH,
} from '../k8s/index.js';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  /** Fire and forget: failures are logged, never thrown (an Event is never worth failing a reconcile). */
  record(object: KubeObject, type: EventType, reason: string, message: string): Promise<void>;
}

export interface EventRecorderOptions {
  client: KubeClient;
  clock: Clock;
  logger: Logger;
  /** source.component / reportingController, e.g. "trivy-operator". */
  component: string;
  /** Instance name for reportingInstance (the pod name). */
  instance?: string;
  /** Dedupe entries kept; oldest dropped first. Default 4096. */
  cacheSize?: number;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
}

/** Event names as client-go makes them: `<object>.<hex unix nanoseconds>`. */
function eventName(objectName: string, nowMs: number): string {
  return `${objectName}.${(BigInt(nowMs) * 1_000_000n).toString(16)}`;
}

export function createEventRecorder(options: EventRecorderOptions): EventRecorder {
  const cacheSize = options.cacheSize ?? 4096;
  const seen = new Map<string, Seen>();

  const remember = (key: string, value: Seen) => {
    seen.delete(key);
    seen.set(key, value);
    while (seen.size > cacheSize) {
      const oldest = seen.keys().next().value;
      if (oldest === undefined) break;
      seen.delete(oldest);
    }
  };

  return {
    async record(object, type, reason, message) {
      const meta = object.metadata ?? {};
      const namespace = meta.namespace || 'default';
      const name = meta.name ?? '';
      const now = new Date(options.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const key = [meta.uid ?? `${namespace}/${name}`, type, reason, message].join('\u0000');
      const previous = seen.get(key);
      const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`;
      try {
        if (previous) {
          const count = previous.count + 1;
          try {
            await options.client.patch(
              `${path}/${encodeURIComponent(previous.name)}`,
              { count, lastTimestamp: now },
              MERGE_PATCH,
            );
            remember(key, { ...previous, count });
            return;
          } catch (error) {
            // The Event expired (events have a TTL on the API server): start a new one below.
            if (
              !(error instanceof Error && 'status' in error && (error as { status: number }).status === 404)
            )
              throw error;
          }
        }
        const created = eventName(name, options.clock.now());
        await options.client.create(path, {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name: created, namespace },
          involvedObject: {
            apiVersion: object.apiVersion,
            kind: object.kind,
            name,
            namespace,
            uid: meta.uid,
            resourceVersion: meta.resourceVersion,
          },
          type,
          reason,
          message,
          count: 1,
          firstTimestamp: now,
          lastTimestamp: now,
          source: { component: options.component },
          reportingComponent: options.component,
          reportingInstance: options.instance ?? options.component,
        });
        remember(key, { name: created, namespace, count: 1, firstTimestamp: now });
      } catch (error) {
        options.logger.warn('cannot record an event', {
          kind: object.kind,
          namespace,
          name,
          reason,
          ...errorFields(error),
        });
      }
    },
  };
}
