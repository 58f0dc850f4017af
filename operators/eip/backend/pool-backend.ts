import type { ExternalClient, Observation } from '../../../controllers/external/index.ts';
import type { EIPPoolObject } from '../api/index.ts';
import type { PoolRegistry } from './pool-registry.ts';

export interface PoolObservation {
  switchName?: string;
}

/** An EIPPool's backend: nothing outside the manager yet; its addresses are in PoolRegistry. */
export class PoolBackend implements ExternalClient<EIPPoolObject, PoolObservation> {
  private readonly registry: PoolRegistry;

  constructor(registry: PoolRegistry) {
    this.registry = registry;
  }

  observe(pool: EIPPoolObject): Promise<Observation<PoolObservation>> {
    // A pool being deleted (its EIPs gone) exists while its address pool is still kept.
    const exists =
      pool.metadata.deletionTimestamp === undefined || this.registry.has(pool.metadata.uid ?? '');
    return Promise.resolve({ exists, upToDate: true, observed: {} });
  }
  create(): Promise<void> {
    return Promise.resolve();
  }
  update(): Promise<void> {
    return Promise.resolve();
  }
  delete(pool: EIPPoolObject): Promise<void> {
    this.registry.forget(pool.metadata.uid ?? '');
    return Promise.resolve();
  }
}
