import { realClock } from '../clock/index.ts';
import type { KubeObject, ResourceRef } from '../kube/index.ts';
import type { Manager } from '../manager/index.ts';
import {
  OrphanSweeper,
  type BackendObject,
  type OrphanPolicy,
  type OwnerKind,
} from '../orphans/index.ts';

export interface OrphanSweepOptions<B extends BackendObject> {
  /** The sweep's name: its runnable, its logs, the `controller` label of its metric. */
  name: string;
  /** Every backend object the product holds, each naming its owner. */
  list: (signal: AbortSignal) => Promise<B[]>;
  /** The kinds that own backend objects, by kind; their shared informers are the caches. */
  owners: Record<string, ResourceRef>;
  policy: OrphanPolicy<B>;
  periodMs: number;
  /** Resolves once the backend can answer (a database replica synced): no sweep before. */
  ready?: Promise<void>;
}

/**
 * An orphan sweep on the manager: its owners' shared informers and live reads through the
 * manager's client, its metric in the manager's registry, run by the leader once the caches
 * have synced, every `periodMs` (jittered).
 */
export function addOrphanSweeper<B extends BackendObject>(
  mgr: Manager,
  opts: OrphanSweepOptions<B>,
): OrphanSweeper<B> {
  const owners: Record<string, OwnerKind> = {};
  for (const [kind, ref] of Object.entries(opts.owners)) {
    owners[kind] = { informer: mgr.informer<KubeObject>(ref), live: mgr.client<KubeObject>(ref) };
  }
  const sweeper = new OrphanSweeper<B>({
    controller: opts.name,
    list: opts.list,
    owners,
    policy: opts.policy,
    ...(mgr.namespace !== undefined ? { namespace: mgr.namespace } : {}),
    log: mgr.log.child({ runnable: opts.name }),
    registry: mgr.registry,
  });
  mgr.addRunnable({
    name: opts.name,
    run: async (signal) => {
      await opts.ready;
      await sweeper.run(signal, { periodMs: opts.periodMs, clock: realClock });
    },
  });
  return sweeper;
}
