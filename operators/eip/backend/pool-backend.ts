import type { ExternalClient, Observation } from '../../../controllers/external/index.ts';
import type { EIPPoolObject } from '../api/index.ts';
import type { EipNb, PoolNetwork } from '../ovn/eip-nb.ts';
import { names } from '../ovn/names.ts';
import type { PoolRegistry } from './pool-registry.ts';

export interface PoolObservation {
  switchName?: string;
}

const network = (pool: EIPPoolObject): PoolNetwork => ({
  poolUid: pool.metadata.uid ?? '',
  poolName: pool.metadata.name ?? '',
  providerNetwork: pool.spec.providerNetwork,
});

/**
 * An EIPPool's backend: its external network in OVN, a logical switch with a localnet port on
 * the provider network. Its addresses are in PoolRegistry.
 */
export class PoolBackend implements ExternalClient<EIPPoolObject, PoolObservation> {
  private readonly registry: PoolRegistry;
  private readonly nb: EipNb;

  constructor(registry: PoolRegistry, nb: EipNb) {
    this.registry = registry;
    this.nb = nb;
  }

  observe(pool: EIPPoolObject): Promise<Observation<PoolObservation>> {
    const uid = pool.metadata.uid ?? '';
    const switchName = names.poolSwitch(uid);
    const exists =
      this.nb.ovsdb.replica.table('Logical_Switch').findByName(switchName) !== undefined ||
      (pool.metadata.deletionTimestamp !== undefined && this.registry.has(uid));
    return Promise.resolve({
      exists,
      upToDate: this.nb.poolNetworkMatches(network(pool)),
      observed: { switchName },
    });
  }

  async create(pool: EIPPoolObject): Promise<void> {
    await this.nb.ensurePoolNetwork(network(pool));
  }

  async update(pool: EIPPoolObject): Promise<void> {
    await this.nb.ensurePoolNetwork(network(pool));
  }

  async delete(pool: EIPPoolObject): Promise<void> {
    await this.nb.deletePoolNetwork(pool.metadata.uid ?? '');
    this.registry.forget(pool.metadata.uid ?? '');
  }
}
