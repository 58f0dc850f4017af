// What placement needs to know of a Host, read from its status: whether new work may go there
// and which pools it reaches with how much room.
import { createHash } from 'node:crypto';
import { isReady } from './decision.ts';

/** A host as placement sees it. */
export interface HostView {
  name: string;
  /** The manager's Ready condition is True: the heartbeat is fresh. */
  ready: boolean;
  /** Not cordoned. */
  schedulable: boolean;
  /** Pools this host reaches, with their free bytes as it sees them. */
  pools: ReadonlyMap<string, { availableBytes: number; capacityBytes: number }>;
}

export interface HostLike {
  metadata: { name?: string };
  spec?: { unschedulable?: boolean };
  status?: {
    conditions?: { type: string; status: string }[];
    storagePools?: { name: string; availableBytes?: number; capacityBytes?: number }[];
  };
}

export function hostView(host: HostLike): HostView {
  return {
    name: host.metadata.name ?? '',
    ready: isReady(host),
    schedulable: !host.spec?.unschedulable,
    pools: new Map(
      (host.status?.storagePools ?? []).map((p) => [
        p.name,
        { availableBytes: p.availableBytes ?? 0, capacityBytes: p.capacityBytes ?? 0 },
      ]),
    ),
  };
}

/** Whether placement sees two views of a host alike (its readiness, cordon and pools). */
export function sameHostView(a: HostView, b: HostView): boolean {
  if (a.name !== b.name || a.ready !== b.ready || a.schedulable !== b.schedulable) return false;
  if (a.pools.size !== b.pools.size) return false;
  for (const [name, p] of a.pools) {
    const q = b.pools.get(name);
    if (q?.availableBytes !== p.availableBytes || q.capacityBytes !== p.capacityBytes) return false;
  }
  return true;
}

/**
 * Rendezvous hashing: each (object, host) pair gets a score and the highest wins, so objects
 * spread over hosts and an object's host changes only when that host leaves.
 */
export function rendezvousScore(key: string, host: string): bigint {
  return createHash('sha256').update(key).update('\0').update(host).digest().readBigUInt64BE(0);
}
