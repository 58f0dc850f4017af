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

/**
 * Rendezvous hashing: each (object, host) pair gets a score and the highest wins, so objects
 * spread over hosts and an object's host changes only when that host leaves.
 */
export function rendezvousScore(key: string, host: string): bigint {
  return createHash('sha256').update(key).update('\0').update(host).digest().readBigUInt64BE(0);
}
