import { KeyedLock } from '../../../controllers/concurrency/index.ts';
import {
  ReconcileError,
  WaitingError,
  type ExternalClient,
  type Observation,
} from '../../../controllers/external/index.ts';
import { parseCidr, type AllocationFailure } from '../../../controllers/ipam/index.ts';
import type { Cache } from '../../../controllers/informer/index.ts';
import type {
  NATGatewayObject,
  NetworkInterfaceObject,
  SubnetObject,
  VPCObject,
} from '../../vpc/index.ts';
import type { EIPObject, EIPPoolObject } from '../api/index.ts';
import type { EipNb, EipQoS, Gateway, Nat } from '../ovn/eip-nb.ts';
import { burstKbit } from '../../vpc/index.ts';
import { eipKeys, names } from '../ovn/names.ts';
import type { PoolRegistry } from './pool-registry.ts';
import type { LoadBalancerView } from './load-balancer-view.ts';
import { natGatewaysHold, resolveTarget, type Target } from './target.ts';

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

const isReady = (o: { status?: { conditions?: { type: string; status: string }[] } }) =>
  o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

export interface EIPBackendDeps {
  pools: Cache<EIPPoolObject>;
  eips: Cache<EIPObject>;
  nics: Cache<NetworkInterfaceObject>;
  natGateways: Cache<NATGatewayObject>;
  loadBalancers: Cache<LoadBalancerView>;
  subnets: Cache<SubnetObject>;
  vpcs: Cache<VPCObject>;
  registry: PoolRegistry;
  nb: EipNb;
  /** Chassis the gateway ports are scheduled on, highest priority first. */
  gatewayChassis: readonly string[];
  /** BFD's interval between the chassis, ms; 0 for OVN's own. */
  gatewayBfdIntervalMs: number;
  /** Serializes the writes to one VPC router's gateway (EIPs share it). */
  routerLock: KeyedLock;
}

/** Where a bound EIP's traffic goes: its target, its VPC's router and that router's gateway. */
interface Placement {
  target: Target;
  routerName: string;
  vpcUid: string;
}

/** An EIP's backend: its address in the pool, and the NAT on its target's VPC router. */
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

  private vpcOfInterface(ns: string, name: string): string {
    const nic = this.deps.nics.get(`${ns}/${name}`);
    const subnet = this.deps.subnets.get(`${ns}/${nic?.spec.subnetRef.name ?? ''}`);
    return subnet?.spec.vpcRef.name ?? '';
  }

  /** The router a target's traffic goes through; waits for its Subnet and VPC. */
  private place(eip: EIPObject, target: Target): Placement {
    const ns = eip.metadata.namespace ?? '';
    const vpcName =
      target.kind === 'NetworkInterface' ? this.vpcOfInterface(ns, target.name) : target.vpcName;
    const vpc = vpcName ? this.deps.vpcs.get(`${ns}/${vpcName}`) : undefined;
    const routerName = vpc?.status?.routerName;
    if (!vpc || !isReady(vpc) || !routerName) {
      throw new WaitingError(
        'VPCNotReady',
        `the VPC of ${target.kind} ${target.name} (${vpcName || 'unknown'}) is not ready`,
      );
    }
    return { target, routerName, vpcUid: vpc.metadata.uid ?? '' };
  }

  private gateway(pool: EIPPoolObject, placement: Placement, address: string): Gateway {
    return {
      routerName: placement.routerName,
      vpcUid: placement.vpcUid,
      poolUid: pool.metadata.uid ?? '',
      network: `${address}/${String(parseCidr(pool.spec.cidrBlock).prefix)}`,
      nextHop: pool.spec.gatewayIP,
      chassis: this.deps.gatewayChassis,
      bfdIntervalMs: this.deps.gatewayBfdIntervalMs,
    };
  }

  /**
   * The EIP's own NAT row: one for an interface; none for a NATGateway or a LoadBalancer, whose
   * own controllers write the rows that carry the address.
   */
  private nat(
    eip: EIPObject,
    pool: EIPPoolObject,
    placement: Placement,
    address: string,
  ): Nat | undefined {
    const target = placement.target;
    if (target.kind !== 'NetworkInterface') return undefined;
    return {
      eipUid: eip.metadata.uid ?? '',
      poolUid: pool.metadata.uid ?? '',
      eipName: eip.metadata.name ?? '',
      namespace: eip.metadata.namespace ?? '',
      vpcUid: placement.vpcUid,
      externalIp: address,
      logicalIp: target.ipAddress,
      logicalPort: target.portName,
    };
  }

  private qos(eip: EIPObject, pool: EIPPoolObject, address: string): EipQoS {
    return {
      poolUid: pool.metadata.uid ?? '',
      eipUid: eip.metadata.uid ?? '',
      address,
      mbps: eip.spec.bandwidthMbps,
      burstKbit,
    };
  }

  observe(eip: EIPObject): Promise<Observation<EIPObservation>> {
    const uid = eip.metadata.uid ?? '';
    const pool = this.deps.pools.get(eip.spec.poolRef.name);
    if (!pool) {
      // Deleting with no pool: nothing of it can be held but NAT rows.
      if (eip.metadata.deletionTimestamp) {
        const exists = this.deps.nb.natsOf(uid).length > 0;
        return Promise.resolve({ exists, upToDate: false });
      }
      this.poolOf(eip);
    }
    const addresses = this.deps.registry.pool(pool ?? this.poolOf(eip));
    const held = addresses.addressOf(uid);
    const nats = this.deps.nb.natsOf(uid);
    if (held === undefined && nats.length === 0) {
      return Promise.resolve({ exists: false, upToDate: false });
    }
    if (eip.metadata.deletionTimestamp || held === undefined) {
      return Promise.resolve({ exists: true, upToDate: false });
    }
    let target: Target | undefined;
    try {
      target = resolveTarget(eip, this.deps);
    } catch (err) {
      // Its NATGateway gone: the gateway port that held may be free now (create releases it).
      if (err instanceof WaitingError && pool && this.unusedGateway(pool)) {
        return Promise.resolve({ exists: true, upToDate: false });
      }
      throw err;
    }
    const observed: EIPObservation = {
      address: held,
      ...(target ? { boundTo: target.label } : {}),
    };
    let upToDate = eip.spec.address === undefined || eip.spec.address === held;
    if (pool && target) {
      const placement = this.place(eip, target);
      const gwAddress = addresses.addressOf(names.gatewayHolder(placement.vpcUid));
      upToDate &&=
        this.deps.nb.poolNetworkMatches({
          poolUid: pool.metadata.uid ?? '',
          poolName: pool.metadata.name ?? '',
          providerNetwork: pool.spec.providerNetwork,
        }) &&
        gwAddress !== undefined &&
        this.deps.nb.gatewayMatches(this.gateway(pool, placement, gwAddress)) &&
        this.deps.nb.natMatches(placement.routerName, this.nat(eip, pool, placement, held), uid) &&
        this.deps.nb.qosMatches(this.qos(eip, pool, held));
    } else {
      // Unbound: no NAT row left, and no gateway port of the pool left that nothing uses (an
      // EIP let go of by a NATGateway has no NAT row that would show where it was).
      upToDate &&= nats.length === 0 && !(pool && this.unusedGateway(pool));
    }
    if (!upToDate) delete observed.boundTo;
    return Promise.resolve({ exists: true, upToDate, observed });
  }

  /** Whether a gateway port on the pool's network is left that no EIP uses. */
  private unusedGateway(pool: EIPPoolObject): boolean {
    return this.deps.nb
      .gatewayVpcsOn(pool.metadata.uid ?? '')
      .some((vpc) => !this.deps.nb.routerHasNatOf(vpc) && !natGatewaysHold(this.deps, vpc));
  }

  /** The address: the one already held, else the one asked for, else a free one. */
  private allocate(eip: EIPObject, pool: EIPPoolObject): string {
    const addresses = this.deps.registry.pool(pool);
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

  async create(eip: EIPObject): Promise<void> {
    const pool = this.poolOf(eip);
    // The address first: it is the EIP's whatever it is bound to.
    const address = this.allocate(eip, pool);
    let target: Target | undefined;
    try {
      target = resolveTarget(eip, this.deps);
    } catch (err) {
      // Waiting for its target (a NATGateway deleted): the gateways nothing uses go meanwhile.
      if (err instanceof WaitingError) await this.releaseGateways([], pool);
      throw err;
    }
    const uid = eip.metadata.uid ?? '';
    if (!target) {
      await this.unbind(uid, pool);
      return;
    }
    const placement = this.place(eip, target);
    const poolUid = pool.metadata.uid ?? '';
    if (
      !this.deps.nb.poolNetworkMatches({
        poolUid,
        poolName: pool.metadata.name ?? '',
        providerNetwork: pool.spec.providerNetwork,
      })
    ) {
      throw new WaitingError(
        'EIPPoolNotReady',
        `the network of EIPPool ${pool.metadata.name ?? ''} is not in OVN yet`,
      );
    }
    const other = this.deps.nb.gatewayPoolsOf(placement.vpcUid).find((p) => p !== poolUid);
    if (other !== undefined) {
      throw new ReconcileError(
        'VPCOnAnotherPool',
        `the VPC of ${target.kind} ${target.name} already reaches out through another EIPPool; a VPC uses one pool: take this EIP from that pool`,
        { retry: false },
      );
    }
    if (this.deps.gatewayChassis.length === 0) {
      throw new ReconcileError(
        'NoGatewayChassis',
        'no gateway chassis is configured: start kcloud-manager with --eip-gateway-chassis',
        { retry: false },
      );
    }
    const before = this.deps.nb.natsOf(uid).map(({ nat }) => nat.external_ids);
    await this.deps.routerLock.run(placement.vpcUid, async () => {
      const addresses = this.deps.registry.pool(pool);
      const gw = addresses.allocate(names.gatewayHolder(placement.vpcUid));
      if (!gw.ok)
        throw new ReconcileError(
          'PoolExhausted',
          `no address left in EIPPool ${pool.metadata.name ?? ''} for the VPC router's gateway port`,
        );
      await this.deps.nb.ensureGateway(this.gateway(pool, placement, gw.ip));
      await this.deps.nb.ensureNat(
        placement.routerName,
        this.nat(eip, pool, placement, address),
        uid,
      );
    });
    // After the NAT: the limit is on traffic that exists (a new limit applies at once).
    await this.deps.nb.ensureQoS(this.qos(eip, pool, address));
    await this.releaseGateways(before, pool);
  }

  async update(eip: EIPObject): Promise<void> {
    await this.create(eip);
  }

  private unbind(uid: string, pool: EIPPoolObject | undefined): Promise<void> {
    return unbindEip(this.gatewayDeps(), uid, pool);
  }

  private releaseGateways(oldRows: Record<string, string>[], pool: EIPPoolObject | undefined) {
    return releaseGateways(this.gatewayDeps(), oldRows, pool);
  }

  private gatewayDeps(): GatewayDeps {
    return { ...this.deps, heldElsewhere: (vpcUid) => natGatewaysHold(this.deps, vpcUid) };
  }

  async delete(eip: EIPObject): Promise<void> {
    const pool = this.deps.pools.get(eip.spec.poolRef.name);
    await this.unbind(eip.metadata.uid ?? '', pool);
    if (pool) this.deps.registry.pool(pool).release(eip.metadata.uid ?? '');
  }
}

export type GatewayDeps = Pick<EIPBackendDeps, 'nb' | 'registry' | 'routerLock'> & {
  /** Whether something without a NAT row of its own holds a VPC's gateway (a NATGateway's EIP). */
  heldElsewhere: (vpcUid: string) => boolean;
};

/**
 * Removes an EIP's NAT, and the gateways no EIP uses any more: its unbinding, its deletion and
 * the sweep of rows whose EIP is gone.
 */
export async function unbindEip(
  deps: GatewayDeps,
  uid: string,
  pool: EIPPoolObject | undefined,
): Promise<void> {
  const before = deps.nb.natsOf(uid).map(({ nat }) => nat.external_ids);
  await deps.nb.deleteQoSOf(uid);
  await deps.nb.ensureNat(undefined, undefined, uid);
  await releaseGateways(deps, before, pool);
}

/**
 * The gateways no EIP uses any more: of the VPCs an EIP's old NAT rows were on, and (an EIP
 * bound to a NATGateway has no NAT row saying where it was) of every VPC on the EIP's pool.
 */
async function releaseGateways(
  deps: GatewayDeps,
  oldRows: Record<string, string>[],
  pool: EIPPoolObject | undefined,
): Promise<void> {
  const candidates = new Map<string, string>();
  for (const ids of oldRows) {
    candidates.set(ids[eipKeys.vpc] ?? '', ids[eipKeys.pool] ?? pool?.metadata.uid ?? '');
  }
  const poolUid = pool?.metadata.uid;
  if (poolUid) for (const vpc of deps.nb.gatewayVpcsOn(poolUid)) candidates.set(vpc, poolUid);
  for (const [vpcUid, poolUid] of candidates) {
    await deps.routerLock.run(vpcUid, async () => {
      if (deps.nb.routerHasNatOf(vpcUid) || deps.heldElsewhere(vpcUid)) return;
      await deps.nb.deleteGateway(vpcUid, poolUid);
      if (pool) deps.registry.pool(pool).release(names.gatewayHolder(vpcUid));
    });
  }
}
