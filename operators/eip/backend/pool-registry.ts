import { AddressPool } from '../../../controllers/ipam/index.ts';
import type { Cache } from '../../../controllers/informer/index.ts';
import type { EIPObject, EIPPoolObject } from '../api/index.ts';

/**
 * The address pools of all EIPPools, keyed by pool UID. Allocation is synchronous in the one
 * (leader-elected) manager, so two EIPs are never handed one address; a pool is built on first
 * use from what is recorded, never from memory: the addresses in the EIPs' status and those
 * `recorded` in OVN (the NAT rows of bound EIPs, the gateway ports of VPC routers, written
 * before the status that names them), so a restart loses nothing.
 */
export class PoolRegistry {
  private readonly pools = new Map<string, AddressPool>();
  private readonly eips: Cache<EIPObject>;
  /** A pool's addresses recorded outside the EIPs' status (OVN rows): holder → address. */
  private readonly recorded: (poolUid: string) => Iterable<[string, string]>;

  constructor(
    eips: Cache<EIPObject>,
    recorded: (poolUid: string) => Iterable<[string, string]> = () => [],
  ) {
    this.eips = eips;
    this.recorded = recorded;
  }

  pool(pool: EIPPoolObject): AddressPool {
    const uid = pool.metadata.uid ?? '';
    const existing = this.pools.get(uid);
    if (existing) return existing;
    const name = pool.metadata.name ?? '';
    const addresses = new AddressPool({
      cidrBlock: pool.spec.cidrBlock,
      gatewayIP: pool.spec.gatewayIP,
      ...(pool.spec.allocatableRanges ? { allocatableRanges: pool.spec.allocatableRanges } : {}),
      noun: `pool ${name}`,
      describeHolder: (holder) => this.describeHolder(holder),
    });
    const ofPool = this.eips.list().filter((e) => e.spec.poolRef.name === name);
    for (const eip of ofPool) {
      const ip = eip.status?.address;
      if (ip && eip.metadata.uid) addresses.restore(eip.metadata.uid, ip);
    }
    for (const [holder, ip] of this.recorded(uid)) addresses.restore(holder, ip);
    this.pools.set(uid, addresses);
    return addresses;
  }

  private describeHolder(uid: string): string {
    if (uid.startsWith('gateway/')) return `the gateway port of VPC uid ${uid.slice(8)}`;
    const eip = this.eips.list().find((e) => e.metadata.uid === uid);
    return eip
      ? `EIP ${eip.metadata.namespace ?? ''}/${eip.metadata.name ?? ''}`
      : `an EIP that no longer exists (uid ${uid})`;
  }

  has(poolUid: string): boolean {
    return this.pools.has(poolUid);
  }

  forget(poolUid: string): void {
    this.pools.delete(poolUid);
  }
}
