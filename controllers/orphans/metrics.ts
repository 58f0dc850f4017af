import { Counter, type Registry } from 'prom-client';

/** What the orphan sweep did to a backend object: the policy's action. */
export type OrphanAction = 'deleted' | 'quarantined';

const byRegistry = new WeakMap<Registry, Counter<'controller' | 'action'>>();

/** `kcloud_orphans_total{controller,action}`: backend objects acted on because their owner is gone. */
export function orphansTotal(registry: Registry): Counter<'controller' | 'action'> {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  const counter = new Counter({
    name: 'kcloud_orphans_total',
    help: 'Total number of backend objects whose owner is gone that the orphan sweep deleted or quarantined, per controller and action',
    labelNames: ['controller', 'action'],
    registers: [registry],
  });
  byRegistry.set(registry, counter);
  return counter;
}
