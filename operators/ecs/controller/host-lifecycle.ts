// The manager's side of a Host's life: Ready while the agent heartbeats and reports the host
// ready, Unknown (HeartbeatLost) once the heartbeat is older than the Lease's duration plus the
// grace period, Schedulable unless cordoned. It writes only its own conditions and phase, with
// its own field manager; the agent and its modules write theirs.
import {
  getCondition,
  leaseResource,
  realClock,
  specOrMetadataChanged,
  type Cache,
  type Clock,
  type KubeObject,
  type Lease,
  type ObjectClient,
  type Reconcile,
} from '../../../controllers/index.ts';
import type { Manager } from '../../../controllers/manager/index.ts';
import { applyOwnStatus, Controller } from '../../../controllers/reconcile/index.ts';
import { watch } from '../../../controllers/wiring/index.ts';
import { agentReadyCondition, Host, type HostObject } from '../api/index.ts';
import { hostLifecycle } from './host-lifecycle-status.ts';

export const hostLifecycleControllerName = 'host-lifecycle';
/** The field manager of the manager's part of a Host's status. */
export const hostLifecycleFieldManager = 'kcloud-manager-hosts';

export const hostResource = { ...Host.resource, kind: Host.kind };

export interface HostLifecycleOptions {
  hostsNamespace: string;
  gracePeriodMs: number;
  workers?: number;
  resyncPeriodMs?: number;
}

export interface HostLifecycleReconcilerOptions {
  hosts: Cache<HostObject>;
  leases: Cache<Lease>;
  client: ObjectClient<HostObject>;
  hostsNamespace: string;
  gracePeriodMs: number;
  clock?: Clock;
}

/** Reconciles one Host: its manager-owned status, and a recheck when its heartbeat would expire. */
export function hostLifecycleReconciler(opts: HostLifecycleReconcilerOptions): Reconcile {
  const clock = opts.clock ?? realClock;
  return async (req, ctx) => {
    const host = opts.hosts.get(req.key);
    if (!host) return undefined;
    const now = clock.now();
    const decision = hostLifecycle({
      host,
      lease: opts.leases.get(`${opts.hostsNamespace}/${req.name}`),
      hostsNamespace: opts.hostsNamespace,
      now,
      gracePeriodMs: opts.gracePeriodMs,
    });
    const written = await applyOwnStatus(
      opts.client,
      { ...host, apiVersion: Host.apiVersion, kind: Host.kind },
      {
        fields: {
          phase: decision.phase,
          ...(host.metadata.generation !== undefined
            ? { observedGeneration: host.metadata.generation }
            : {}),
        },
        conditions: [decision.ready, decision.schedulable],
      },
      hostLifecycleFieldManager,
      new Date(now),
      ctx.signal,
    );
    if (written && host.status?.phase !== decision.phase) {
      ctx.log.info('host phase changed', {
        host: req.name,
        from: host.status?.phase ?? 'none',
        to: decision.phase,
        reason: decision.ready.reason,
      });
    }
    return decision.recheckAfterMs !== undefined
      ? { requeueAfter: decision.recheckAfterMs }
      : undefined;
  };
}

const agentReadyOf = (o: KubeObject) => {
  const c = getCondition((o as HostObject).status?.conditions, agentReadyCondition);
  return c ? `${c.status}/${c.reason}/${c.message}` : '';
};

/**
 * Whether a heartbeat Lease's update is worth a reconcile of its Host: not a renewal of a Ready
 * host (the recheck scheduled for the old deadline finds the new one and schedules itself
 * again), but one of a host that is not Ready (its heartbeat is back) or a changed duration
 * (the deadline moved).
 */
export function leaseUpdateMatters(
  hosts: Cache<HostObject>,
): (oldLease: Lease, newLease: Lease) => boolean {
  return (a, b) =>
    a.spec?.leaseDurationSeconds !== b.spec?.leaseDurationSeconds ||
    getCondition(hosts.get(b.metadata.name ?? '')?.status?.conditions, 'Ready')?.status !== 'True';
}

/**
 * Wires the host-lifecycle controller: Hosts, and the heartbeat Leases in the hosts namespace.
 * A renewal of a Ready host's Lease reconciles nothing: the recheck already scheduled for the
 * old deadline finds the new one and schedules itself again, so 5,000 hosts renewing every 10 s
 * cost one reconcile per host per Lease period, not one per renewal.
 */
export function addHostLifecycleController(
  mgr: Manager,
  opts: HostLifecycleOptions,
): Controller<HostObject> {
  const hosts = mgr.informer<HostObject>(hostResource);
  const leases = mgr.informer<Lease>(leaseResource, { namespace: opts.hostsNamespace });
  const controller = new Controller<HostObject>({
    name: hostLifecycleControllerName,
    informer: hosts,
    reconcile: hostLifecycleReconciler({
      hosts: hosts.cache,
      leases: leases.cache,
      client: mgr.client<HostObject>(hostResource),
      hostsNamespace: opts.hostsNamespace,
      gracePeriodMs: opts.gracePeriodMs,
    }),
    // The agent's AgentReady is status, but the manager's Ready depends on it.
    shouldReconcileUpdate: (a, b) =>
      specOrMetadataChanged(a, b) || agentReadyOf(a) !== agentReadyOf(b),
    watches: [
      watch<Lease>(
        leases,
        (lease) => (lease.metadata.name ? [lease.metadata.name] : []),
        leaseUpdateMatters(hosts.cache),
      ),
    ],
    workers: opts.workers ?? 2,
    ...(opts.resyncPeriodMs !== undefined ? { resyncPeriodMs: opts.resyncPeriodMs } : {}),
    registry: mgr.registry,
    log: mgr.log,
  });
  mgr.add(controller);
  return controller;
}
