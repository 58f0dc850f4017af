import { Counter, type Registry } from 'prom-client';

/** The shared reconcile's own metrics, beside controller-runtime's reconcile metrics. */
export interface ManagedMetrics {
  /** A backend delete that failed (the object stays in Terminating), by controller and reason. */
  deleteErrors: Counter<'controller' | 'reason'>;
}

const byRegistry = new WeakMap<Registry, ManagedMetrics>();

export function managedMetrics(registry: Registry): ManagedMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  const metrics: ManagedMetrics = {
    deleteErrors: new Counter({
      name: 'kcloud_backend_delete_errors_total',
      help: 'Total number of failed backend deletes per controller and reason',
      labelNames: ['controller', 'reason'],
      registers: [registry],
    }),
  };
  byRegistry.set(registry, metrics);
  return metrics;
}
