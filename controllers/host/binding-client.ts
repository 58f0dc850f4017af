// A scheduler's "backend" is the binding itself: the host label on the object, which hands it
// to that host's agent. Observing it is deciding where the object belongs and comparing. Every
// product whose objects a host agent makes real (volumes, instances) schedules through it.
import { ReconcileError, type ExternalClient, type Observation } from '../external/index.ts';
import type { KubeObject, ObjectClient } from '../kube/index.ts';
import type { Decision } from './decision.ts';
import { hostLabel } from './host-bound.ts';

/** How long to wait before deciding again while something else must happen first. */
export const waitRequeueMs = 5_000;

export interface Bound<S> {
  host: string;
  status: S;
}

/**
 * An external client whose observe decides (`decide`) where the object belongs, and whose
 * create/update set the host label to that host. Deleting unbinds nothing: the agent that
 * holds the data removes it (its own finalizer keeps the object until then).
 */
export function bindingClient<T extends KubeObject, S>(
  client: ObjectClient<T>,
  decide: (obj: T) => Decision<S>,
  /** Whether a host's heartbeat is fresh: an object on a lost host is Unknown, not Ready. */
  hostReady: (host: string) => boolean,
  /**
   * Finalizers the binding write adds with the label (the scheduler's own and the one the
   * host's agent holds while it has data): one write where three would be, and an object
   * never bound carries none, since nothing was made for it anywhere.
   */
  finalizers: readonly string[] = [],
): ExternalClient<T, Bound<S>> {
  // One client per reconcile: create/update write what its observe just decided, rather than
  // placing the object again (a pass over every host).
  let decided: Decision<S> | undefined;
  const missingFinalizers = (obj: T) =>
    finalizers.filter((f) => !(obj.metadata.finalizers ?? []).includes(f));
  const bindTo = async (obj: T, signal: AbortSignal) => {
    const decision = decided ?? decide(obj);
    if (!('bind' in decision)) return;
    const missing = missingFinalizers(obj);
    const all = [...(obj.metadata.finalizers ?? []), ...missing];
    await client.patch(
      obj.metadata.namespace,
      obj.metadata.name ?? '',
      'merge',
      {
        metadata: {
          labels: { [hostLabel]: decision.bind },
          // The whole list replaces the stored one: the resourceVersion read makes the API
          // server refuse (409, retried with a fresh copy) if another writer changed it.
          ...(missing.length > 0
            ? { finalizers: all, resourceVersion: obj.metadata.resourceVersion }
            : {}),
        },
      },
      { signal },
    );
    // The reconcile observes this same copy again right after: let it see what it set.
    obj.metadata.labels = { ...obj.metadata.labels, [hostLabel]: decision.bind };
    obj.metadata.finalizers = all;
  };
  return {
    observe(obj): Promise<Observation<Bound<S>>> {
      // Nothing to wait for: the answer is in the caches.
      return Promise.resolve().then(() => {
        // A deleted object is not placed again; its agent's finalizer says when its data is gone.
        if (obj.metadata.deletionTimestamp) return { exists: false, upToDate: false };
        const decision = decide(obj);
        decided = decision;
        if ('refuse' in decision) {
          const { reason, message, retry } = decision.refuse;
          throw new ReconcileError(reason, message, { retry });
        }
        if ('wait' in decision) {
          return {
            exists: false,
            upToDate: false,
            inProgress: { ...decision.wait, requeueAfterMs: waitRequeueMs },
          };
        }
        const current = obj.metadata.labels?.[hostLabel];
        const observed = { host: decision.bind, status: decision.status };
        if (current === decision.bind && !hostReady(current)) {
          // Placement keeps an object on a lost host only when its data cannot move (a Local
          // pool): what the agent last said of it is no longer known to hold.
          return {
            exists: true,
            upToDate: true,
            observed,
            unreachable: {
              reason: 'HostUnreachable',
              message: `host ${current} lost its heartbeat; the data stays there until it is back (a Local pool cannot move it)`,
              requeueAfterMs: 15_000,
            },
          };
        }
        return {
          exists: current !== undefined,
          upToDate: current === decision.bind && missingFinalizers(obj).length === 0,
          observed,
        };
      });
    },
    create: bindTo,
    update: (obj, _observation, signal) => bindTo(obj, signal),
    async delete() {
      // The binding goes with the object.
    },
  };
}
