// Choosing the host whose agent makes a volume, snapshot or image real.
import { rendezvousScore, type HostView } from './hosts.ts';

export interface PlacementRequest {
  /** The object's UID: the key that spreads objects over hosts. */
  key: string;
  pool: string;
  /** Local pools keep data on one host: the data must be made where it will live. */
  poolScope: 'Local' | 'Shared';
  /** A host the object must go to: where its source's data is (a Local pool). */
  pinnedTo?: string;
  /** The host the object is bound to already, if any. */
  current?: string;
  /** Bytes the object needs in the pool, for a Local pool's free-space check. */
  sizeBytes: number;
}

export type Placement =
  | { host: string }
  /** No host may take it now; `reason` is CamelCase for a condition. */
  | { reason: string; message: string };

const nonEmpty = <T>(a: T[]): a is [T, ...T[]] => a.length > 0;

const usable = (h: HostView, pool: string) => h.ready && h.schedulable && h.pools.has(pool);

/**
 * Where an object goes. An object already bound stays where it is while its host is Ready (a
 * Local pool's data lives there whatever the host's state); a Shared pool's object moves off a
 * host that lost its heartbeat, since every host reaching the pool sees the same data. A Local
 * pool takes the host with the most free space that fits; a Shared pool spreads by rendezvous
 * hash.
 */
export function pickHost(req: PlacementRequest, hosts: readonly HostView[]): Placement {
  // A scan, not a map of every host: most calls are for an object already bound, and a map of
  // thousands of hosts per call cost more than finding one.
  const named = (name: string) => hosts.find((h) => h.name === name);
  if (req.current !== undefined) {
    const current = named(req.current);
    if (req.poolScope === 'Local' || (current?.ready && current.pools.has(req.pool))) {
      return { host: req.current };
    }
  }
  if (req.pinnedTo !== undefined) {
    const pinned = named(req.pinnedTo);
    if (!pinned) {
      return {
        reason: 'SourceHostNotFound',
        message: `the source's data is on host ${req.pinnedTo} (Local pool ${req.pool}), which is not registered`,
      };
    }
    if (!usable(pinned, req.pool)) {
      const why = !pinned.ready
        ? 'is not Ready'
        : !pinned.schedulable
          ? 'is cordoned'
          : `does not reach pool ${req.pool}`;
      return {
        reason: 'SourceHostUnavailable',
        message: `the source's data is on host ${req.pinnedTo} (Local pool ${req.pool}), which ${why}`,
      };
    }
    return { host: pinned.name };
  }
  const candidates = hosts.filter((h) => usable(h, req.pool));
  if (!nonEmpty(candidates)) {
    return {
      reason: 'NoHostForPool',
      message: `no Ready, schedulable host reaches storage pool ${req.pool}`,
    };
  }
  if (req.poolScope === 'Local') {
    const fits = candidates.filter(
      (h) => (h.pools.get(req.pool)?.availableBytes ?? 0) >= req.sizeBytes,
    );
    if (!nonEmpty(fits)) {
      return {
        reason: 'InsufficientCapacity',
        message: `no host has ${String(req.sizeBytes)} bytes free in storage pool ${req.pool}`,
      };
    }
    return { host: best(fits, (h) => h.pools.get(req.pool)?.availableBytes ?? 0, req.key) };
  }
  return { host: best(candidates, () => 0, req.key) };
}

/** The host with the highest score, ties broken by rendezvous hash of the key. */
function best(
  hosts: readonly [HostView, ...HostView[]],
  score: (h: HostView) => number,
  key: string,
): string {
  let winner = hosts[0];
  let winnerScore = score(winner);
  // The winner's hash is computed once, not again for each host it is compared with: with
  // thousands of hosts in a tie, the hashes were most of a placement's time.
  let winnerHash: bigint | undefined;
  for (const h of hosts.slice(1)) {
    const a = score(h);
    if (!(a >= winnerScore)) continue;
    const hash = rendezvousScore(key, h.name);
    winnerHash ??= rendezvousScore(key, winner.name);
    if (a > winnerScore || hash > winnerHash) {
      winner = h;
      winnerScore = a;
      winnerHash = hash;
    }
  }
  return winner.name;
}
