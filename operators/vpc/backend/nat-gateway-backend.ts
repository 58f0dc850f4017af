import {
  ReconcileError,
  WaitingError,
  type ExternalClient,
  type Observation,
} from '../../../controllers/external/index.ts';
import type { Cache } from '../../../controllers/informer/index.ts';
import {
  deleteLoadBalancersOf,
  ensureLoadBalancers,
  loadBalancersMatch,
  loadBalancersOf,
} from '../../../controllers/ovn-nb/index.ts';
import type { EIPView } from './eip-view.ts';
import type { NATGatewayObject, SubnetObject, VPCObject } from '../api/index.ts';
import { containsCidr, containsIP, parseCidr, parseIPv4 } from '../ipam/index.ts';
import { names } from '../ovn/index.ts';
import {
  desiredNatRows,
  desiredPortForwards,
  type ResolvedDnat,
  type ResolvedSnat,
} from '../ovn/nat-gateways.ts';
import {
  findRouter,
  natsMatch,
  natsOf,
  ownedBy,
  routersWithNatsOf,
  type NbClient,
} from '../ovn/nb/index.ts';
import { ownerOf } from './owner.ts';
import { readySubnet, readyVpc } from './references.ts';
import { requireNetworkCidr } from './stored-cidrs.ts';

export interface NATGatewayObservation {
  routerName: string;
  snatRules: number;
  dnatRules: number;
}

export interface NATGatewayCaches {
  vpcs: Cache<VPCObject>;
  subnets: Cache<SubnetObject>;
  eips: Cache<EIPView>;
}

/** The same refusal or wait, its message said again with what it is about. */
function reworded(err: unknown, prefix: string, suffix = ''): Error | undefined {
  const message = (m: string) => `${prefix}${m}${suffix}`;
  if (err instanceof WaitingError) {
    return new WaitingError(
      err.reason,
      message(err.message),
      err.requeueAfterMs === undefined ? {} : { requeueAfterMs: err.requeueAfterMs },
    );
  }
  if (err instanceof ReconcileError) {
    return new ReconcileError(err.reason, message(err.message), { retry: err.retry, cause: err });
  }
  return undefined;
}

/** A NATGateway's rules as addresses, and the rules refused (each with its reason). */
interface Resolved {
  vpc: VPCObject;
  router: string;
  snat: ResolvedSnat[];
  dnat: ResolvedDnat[];
  refused: Error[];
}

/**
 * A NATGateway's backend: `snat` NAT rows and port-forwarding load balancers on its VPC's
 * router, from the addresses its EIPs' status reports (the EIP operator binds them and gives
 * the router its gateway port). A rule that cannot be had (its EIP not bound to this
 * NATGateway, its range outside the VPC, …) is left out of OVN and reported; the others work.
 */
export class NATGatewayBackend implements ExternalClient<NATGatewayObject, NATGatewayObservation> {
  private readonly nb: NbClient;
  private readonly caches: NATGatewayCaches;

  constructor(nb: NbClient, caches: NATGatewayCaches) {
    this.nb = nb;
    this.caches = caches;
  }

  /** The address of an EIP a rule names; throws when it is not this NATGateway's, or not yet. */
  private eipAddress(gw: NATGatewayObject, name: string): string {
    const ns = gw.metadata.namespace ?? '';
    const gwName = gw.metadata.name ?? '';
    const eip = this.caches.eips.get(`${ns}/${name}`);
    if (!eip)
      throw new WaitingError('EIPNotFound', `EIP ${name} does not exist in namespace ${ns}`);
    const binding = eip.spec.binding;
    if (binding?.natGatewayRef?.name !== gwName) {
      const now = binding?.networkInterfaceRef
        ? `bound to NetworkInterface ${binding.networkInterfaceRef.name}`
        : binding?.natGatewayRef
          ? `bound to NATGateway ${binding.natGatewayRef.name}`
          : 'not bound';
      throw new ReconcileError(
        'EIPNotBound',
        `EIP ${name} is ${now}: bind it to this NATGateway (spec.binding: {natGatewayRef: {name: ${gwName}}}) or use another EIP`,
        { retry: false },
      );
    }
    const address = eip.status?.address;
    if (eip.status?.boundTo !== `NATGateway/${gwName}` || !address) {
      throw new WaitingError(
        'EIPNotReady',
        `EIP ${name} is not bound to NATGateway ${gwName} in the network yet (look at its Ready condition)`,
      );
    }
    return address;
  }

  private insideVpc(vpc: VPCObject, test: (range: ReturnType<typeof parseCidr>) => boolean) {
    return vpc.spec.cidrBlocks.some((b) => test(parseCidr(b)));
  }

  private resolve(gw: NATGatewayObject): Resolved {
    const ns = gw.metadata.namespace ?? '';
    const vpc = readyVpc(this.caches.vpcs, ns, gw.spec.vpcRef.name);
    const vpcName = vpc.metadata.name ?? '';
    const refused: Error[] = [];
    /** Runs one rule's checks; a rule that fails is refused, the others go on. */
    const rule = <R>(what: string, f: () => R): R | undefined => {
      try {
        return f();
      } catch (err) {
        const refusal = reworded(err, `${what}: `);
        if (!refusal) throw err;
        refused.push(refusal);
        return undefined;
      }
    };
    const sources = new Map<string, string>();
    const snat: ResolvedSnat[] = [];
    for (const r of gw.spec.snatRules ?? []) {
      const resolved = rule(`SNAT rule ${r.name}`, () => {
        let logicalIp = r.cidr ?? '';
        if (r.subnetRef) {
          const subnet = readySubnet(this.caches.subnets, ns, r.subnetRef.name);
          if (subnet.spec.vpcRef.name !== vpcName) {
            throw new ReconcileError(
              'SubnetNotInVPC',
              `Subnet ${r.subnetRef.name} belongs to VPC ${subnet.spec.vpcRef.name}, not ${vpcName}`,
              { retry: false },
            );
          }
          logicalIp = subnet.spec.cidrBlock;
        }
        requireNetworkCidr(logicalIp, 'cidr');
        const range = parseCidr(logicalIp);
        if (!this.insideVpc(vpc, (b) => containsCidr(b, range))) {
          throw new ReconcileError(
            'CIDROutsideVPC',
            `${logicalIp} is not inside any range of VPC ${vpcName} (${vpc.spec.cidrBlocks.join(', ')})`,
            { retry: false },
          );
        }
        const other = sources.get(logicalIp);
        if (other !== undefined) {
          throw new ReconcileError(
            'DuplicateSNATSource',
            `${logicalIp} is translated by SNAT rule ${other} already; a range goes out from one EIP`,
            { retry: false },
          );
        }
        return { rule: r.name, logicalIp, externalIp: this.eipAddress(gw, r.eipRef.name) };
      });
      if (resolved) {
        sources.set(resolved.logicalIp, r.name);
        snat.push(resolved);
      }
    }
    const dnat: ResolvedDnat[] = [];
    for (const r of gw.spec.dnatRules ?? []) {
      const resolved = rule(`DNAT rule ${r.name}`, () => {
        const ip = parseIPv4(r.internalIP);
        if (!this.insideVpc(vpc, (b) => containsIP(b, ip))) {
          throw new ReconcileError(
            'IPOutsideVPC',
            `internalIP ${r.internalIP} is not inside any range of VPC ${vpcName} (${vpc.spec.cidrBlocks.join(', ')})`,
            { retry: false },
          );
        }
        return {
          rule: r.name,
          protocol: r.protocol,
          externalIp: this.eipAddress(gw, r.eipRef.name),
          externalPort: r.externalPort,
          internalIp: r.internalIP,
          internalPort: r.internalPort,
        };
      });
      if (resolved) dnat.push(resolved);
    }
    // A rule that needs an edit is reported before one that waits: a wait ends by itself.
    refused.sort((a, b) => Number(a instanceof WaitingError) - Number(b instanceof WaitingError));
    return { vpc, router: names.router(vpc.metadata.uid ?? ''), snat, dnat, refused };
  }

  private rows(gw: NATGatewayObject, r: Resolved) {
    const owner = ownerOf(gw, 'NATGateway');
    const vpcUid = r.vpc.metadata.uid ?? '';
    return {
      nats: desiredNatRows(owner, vpcUid, r.snat),
      loadBalancers: desiredPortForwards(owner, vpcUid, r.dnat),
    };
  }

  observe(gw: NATGatewayObject): Promise<Observation<NATGatewayObservation>> {
    const uid = gw.metadata.uid ?? '';
    const ns = gw.metadata.namespace ?? '';
    const vpc = this.caches.vpcs.get(`${ns}/${gw.spec.vpcRef.name}`);
    const router = vpc ? names.router(vpc.metadata.uid ?? '') : undefined;
    const held =
      routersWithNatsOf(this.nb.ovsdb, uid).length > 0 ||
      loadBalancersOf(this.nb.ovsdb, ownedBy(uid)).length > 0;
    // Rules that write nothing have nothing in OVN: the NATGateway exists once its VPC router
    // does, except while it is being deleted, when only rows left behind count.
    const exists =
      held ||
      (!gw.metadata.deletionTimestamp &&
        router !== undefined &&
        findRouter(this.nb.ovsdb, router) !== undefined &&
        (gw.spec.snatRules ?? []).length + (gw.spec.dnatRules ?? []).length === 0);
    if (!exists || !router || gw.metadata.deletionTimestamp) {
      return Promise.resolve({ exists, upToDate: false });
    }
    try {
      const resolved = this.resolve(gw);
      const { nats, loadBalancers } = this.rows(gw, resolved);
      const upToDate =
        resolved.refused.length === 0 &&
        natsMatch(this.nb.ovsdb, router, uid, nats) &&
        routersWithNatsOf(this.nb.ovsdb, uid).every((r) => r === router) &&
        loadBalancersMatch(this.nb.ovsdb, ownedBy(uid), loadBalancers, [router]);
      return Promise.resolve({
        exists: true,
        upToDate,
        observed: {
          routerName: router,
          snatRules: natsOf(this.nb.ovsdb, router, uid).length,
          dnatRules: resolved.dnat.length,
        },
      });
    } catch {
      return Promise.resolve({ exists: true, upToDate: false });
    }
  }

  /** Writes the rules that can be had, then reports the first one refused, if any. */
  async create(gw: NATGatewayObject): Promise<void> {
    const uid = gw.metadata.uid ?? '';
    const resolved = this.resolve(gw);
    const { nats, loadBalancers } = this.rows(gw, resolved);
    await this.nb.ensureNats(resolved.router, uid, nats);
    await ensureLoadBalancers(this.nb.ovsdb, ownedBy(uid), loadBalancers, [resolved.router]);
    const [first, ...more] = resolved.refused;
    if (first) {
      const others = more.length > 0 ? ` (and ${String(more.length)} more rules left out)` : '';
      throw reworded(first, '', others) ?? first;
    }
  }

  async update(gw: NATGatewayObject): Promise<void> {
    await this.create(gw);
  }

  async delete(gw: NATGatewayObject): Promise<void> {
    const uid = gw.metadata.uid ?? '';
    await this.nb.deleteNatsOf(uid);
    await deleteLoadBalancersOf(this.nb.ovsdb, ownedBy(uid));
  }
}
