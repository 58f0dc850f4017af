import {
  ReconcileError,
  WaitingError,
  type ExternalClient,
  type Observation,
} from '../../../controllers/external/index.ts';
import type { AllocationFailure } from '../../../controllers/ipam/index.ts';
import type { Cache } from '../../../controllers/informer/index.ts';
import type { NetworkInterfaceObject } from '../../vpc/index.ts';
import type { EIPObject, EIPPoolObject } from '../api/index.ts';
import type { PoolRegistry } from './pool-registry.ts';
import { resolveTarget } from './target.ts';

export interface EIPObservation {
  address: string;
  boundTo?: string;
}

/** The pool's reasons, in the words of an EIP. */
const reasons: Record<AllocationFailure['reason'], string> = {
  IPOutsideSubnet: 'AddressOutsidePool',
  IPReserved: 'AddressNotAllocatable',
  IPInUse: 'AddressInUse',
  SubnetFull: 'PoolExhausted',
};

export interface EIPBackendDeps {
  pools: Cache<EIPPoolObject>;
  eips: Cache<EIPObject>;
  nics: Cache<NetworkInterfaceObject>;
  registry: PoolRegistry;
}

/** An EIP's backend: its address in the pool. */
export class EIPBackend implements ExternalClient<EIPObject, EIPObservation> {
  private readonly deps: EIPBackendDeps;

  constructor(deps: EIPBackendDeps) {
    this.deps = deps;
  }

  private poolOf(eip: EIPObject): EIPPoolObject {
    const pool = this.deps.pools.get(eip.spec.poolRef.name);
    if (!pool) {
      throw new WaitingError('EIPPoolNotFound', `EIPPool ${eip.spec.poolRef.name} does not exist`);
    }
    return pool;
  }

  observe(eip: EIPObject): Promise<Observation<EIPObservation>> {
    const pool = this.deps.pools.get(eip.spec.poolRef.name);
    // Deleting with no pool: nothing of it can be held.
    if (!pool && eip.metadata.deletionTimestamp)
      return Promise.resolve({ exists: false, upToDate: false });
    const addresses = this.deps.registry.pool(pool ?? this.poolOf(eip));
    const held = addresses.addressOf(eip.metadata.uid ?? '');
    if (held === undefined) return Promise.resolve({ exists: false, upToDate: false });
    if (eip.metadata.deletionTimestamp) {
      return Promise.resolve({ exists: true, upToDate: true, observed: { address: held } });
    }
    const target = resolveTarget(eip, this.deps.eips, this.deps.nics);
    const observed: EIPObservation = {
      address: held,
      ...(target ? { boundTo: target.label } : {}),
    };
    const upToDate = eip.spec.address === undefined || eip.spec.address === held;
    return Promise.resolve({ exists: true, upToDate, observed });
  }

  /** The address: the one already held, else the one asked for, else a free one. */
  private allocate(eip: EIPObject): string {
    const addresses = this.deps.registry.pool(this.poolOf(eip));
    const result = addresses.allocate(
      eip.metadata.uid ?? '',
      eip.spec.address ?? eip.status?.address,
    );
    if (!result.ok) {
      const fix =
        result.reason === 'SubnetFull'
          ? '; it waits for an address to be freed'
          : '; ask for another address or leave spec.address out';
      // A full pool may free up; a taken or impossible address needs an edit.
      throw new ReconcileError(reasons[result.reason], result.message + fix, {
        retry: result.reason === 'SubnetFull',
      });
    }
    return result.ip;
  }

  create(eip: EIPObject): Promise<void> {
    // The address first: it is the EIP's whatever it is bound to.
    this.allocate(eip);
    resolveTarget(eip, this.deps.eips, this.deps.nics);
    return Promise.resolve();
  }

  update(eip: EIPObject): Promise<void> {
    return this.create(eip);
  }

  delete(eip: EIPObject): Promise<void> {
    const pool = this.deps.pools.get(eip.spec.poolRef.name);
    if (pool) this.deps.registry.pool(pool).release(eip.metadata.uid ?? '');
    return Promise.resolve();
  }
}
