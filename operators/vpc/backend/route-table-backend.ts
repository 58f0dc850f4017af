import {
  ReconcileError,
  type ExternalClient,
  type Observation,
} from '../../../controllers/external/index.ts';
import type { Cache } from '../../../controllers/informer/index.ts';
import type {
  NetworkInterfaceObject,
  RouteTableObject,
  RouteTableSpec,
  SubnetObject,
  VPCObject,
} from '../api/index.ts';
import { containsIP, lastAddress, parseCidr, parseIPv4 } from '../ipam/index.ts';
import { blackhole, desiredRoutes, names } from '../ovn/index.ts';
import {
  findRouter,
  staticRoutesMatch,
  staticRoutesOf,
  type DesiredStaticRoute,
  type NbClient,
} from '../ovn/nb/index.ts';
import { isMainTable, mainRouteTable, routeTableOf } from './bindings.ts';
import { ownerOf } from './owner.ts';
import { requireNetworkCidr } from './stored-cidrs.ts';
import {
  gatewayOf,
  isReady,
  readyReferent,
  readySubnet,
  readyVpc,
  referentNotReady,
  referents,
} from './references.ts';

export interface RouteTableObservation {
  routeTableName: string;
  subnets: string[];
}

type Route = RouteTableSpec['routes'][number];

export interface RouteTableCaches {
  vpcs: Cache<VPCObject>;
  subnets: Cache<SubnetObject>;
  interfaces: Cache<NetworkInterfaceObject>;
  tables: Cache<RouteTableObject>;
}

/**
 * A RouteTable's backend: its routes on the VPC router, in an OVN route table of their own.
 * Which Subnets use them is the Subnets' side (their router ports name the table), decided by
 * the same rule as here (bindings.ts).
 */
export class RouteTableBackend implements ExternalClient<RouteTableObject, RouteTableObservation> {
  private readonly nb: NbClient;
  private readonly caches: RouteTableCaches;

  constructor(nb: NbClient, caches: RouteTableCaches) {
    this.nb = nb;
    this.caches = caches;
  }

  private vpcOf(table: RouteTableObject): VPCObject {
    return readyVpc(this.caches.vpcs, table.metadata.namespace ?? '', table.spec.vpcRef.name);
  }

  private subnetsOfVpc(table: RouteTableObject): SubnetObject[] {
    return this.caches.subnets
      .inNamespace(table.metadata.namespace ?? '')
      .filter((s) => s.spec.vpcRef.name === table.spec.vpcRef.name);
  }

  /** The Subnets the routes apply to; throws when a named one is missing, elsewhere or taken. */
  private boundSubnets(table: RouteTableObject): string[] {
    const ns = table.metadata.namespace ?? '';
    const tables = this.caches.tables.inNamespace(ns);
    if (isMainTable(table)) {
      const inVpc = this.subnetsOfVpc(table);
      const vpc = { namespace: table.metadata.namespace, name: table.spec.vpcRef.name };
      const main = mainRouteTable(vpc, tables);
      if (main && main.metadata.uid !== table.metadata.uid) {
        throw new ReconcileError(
          'MainRouteTableExists',
          `VPC ${table.spec.vpcRef.name} already has the main RouteTable ${main.metadata.name ?? ''}; name the Subnets this one is for in subnetRefs`,
          { retry: false },
        );
      }
      return inVpc
        .filter((s) => routeTableOf(s, tables)?.metadata.uid === table.metadata.uid)
        .map((s) => s.metadata.name ?? '')
        .sort();
    }
    return (table.spec.subnetRefs ?? []).map(({ name }) => {
      const subnet = readySubnet(this.caches.subnets, ns, name);
      if (subnet.spec.vpcRef.name !== table.spec.vpcRef.name) {
        throw new ReconcileError(
          'SubnetNotInVPC',
          `Subnet ${name} belongs to VPC ${subnet.spec.vpcRef.name}, not ${table.spec.vpcRef.name}`,
          { retry: false },
        );
      }
      const holder = routeTableOf(subnet, tables);
      if (holder && holder.metadata.uid !== table.metadata.uid) {
        throw new ReconcileError(
          'SubnetInOtherRouteTable',
          `Subnet ${name} already uses RouteTable ${holder.metadata.name ?? ''}; a Subnet has one RouteTable`,
          { retry: false },
        );
      }
      return name;
    });
  }

  /** The address a route sends to: checked to be somewhere the VPC router can reach. */
  private nextHop(table: RouteTableObject, route: Route): string {
    if (route.blackhole) return blackhole;
    const ns = table.metadata.namespace ?? '';
    let ip = route.nextHopIP;
    if (route.nextHopInterfaceRef) {
      const name = route.nextHopInterfaceRef.name;
      const nic = readyReferent(this.caches.interfaces, referents.networkInterface, ns, name);
      ip = nic.status?.ipAddress;
      if (!ip) throw referentNotReady(referents.networkInterface, name, 'has no address yet');
    }
    const address = parseIPv4(ip ?? '');
    const holding = this.subnetsOfVpc(table).filter((s) =>
      containsIP(parseCidr(s.spec.cidrBlock), address),
    );
    const subnet = holding.find((s) => isReady(s));
    if (!subnet) {
      // A Subnet applied with the table may not be Ready yet: that ends by itself.
      const pending = holding[0];
      if (pending) {
        throw referentNotReady(
          referents.subnet,
          pending.metadata.name ?? '',
          `(holding next hop ${ip ?? ''} of ${route.destination}) is not ready`,
        );
      }
      throw new ReconcileError(
        'NextHopNotInVPC',
        `next hop ${ip ?? ''} of ${route.destination} is in no Subnet of VPC ${table.spec.vpcRef.name}`,
        { retry: false },
      );
    }
    // OVN would take these as a next hop and send the traffic nowhere useful: back to the
    // router itself, or to an address no interface can hold.
    const cidr = parseCidr(subnet.spec.cidrBlock);
    const reserved =
      ip === gatewayOf(subnet)
        ? 'the gateway (the VPC router itself)'
        : address === cidr.network
          ? 'the network address'
          : address === lastAddress(cidr)
            ? 'the broadcast address'
            : undefined;
    if (reserved) {
      throw new ReconcileError(
        'NextHopReserved',
        `next hop ${ip ?? ''} of ${route.destination} is ${reserved} of Subnet ${subnet.metadata.name ?? ''}`,
        { retry: false },
      );
    }
    return ip ?? '';
  }

  private desired(table: RouteTableObject, vpc: VPCObject): DesiredStaticRoute[] {
    for (const r of table.spec.routes) requireNetworkCidr(r.destination, 'route destination');
    const routes = table.spec.routes.map((r) => ({
      destination: r.destination,
      nexthop: this.nextHop(table, r),
    }));
    return desiredRoutes(ownerOf(table, 'RouteTable'), vpc.metadata.uid ?? '', routes);
  }

  observe(table: RouteTableObject): Promise<Observation<RouteTableObservation>> {
    const uid = table.metadata.uid ?? '';
    const vpc = this.caches.vpcs.get(`${table.metadata.namespace ?? ''}/${table.spec.vpcRef.name}`);
    const router = vpc ? names.router(vpc.metadata.uid ?? '') : undefined;
    const held = router ? staticRoutesOf(this.nb.ovsdb, router, uid) : [];
    // A table without routes has nothing in OVN: it exists once its VPC router does, except
    // while it is being deleted, when only routes left behind count.
    const exists =
      held.length > 0 ||
      (table.spec.routes.length === 0 &&
        !table.metadata.deletionTimestamp &&
        router !== undefined &&
        findRouter(this.nb.ovsdb, router) !== undefined);
    if (!exists || !vpc || !router) return Promise.resolve({ exists, upToDate: false });
    try {
      const subnets = this.boundSubnets(table);
      const upToDate = staticRoutesMatch(this.nb.ovsdb, router, uid, this.desired(table, vpc));
      return Promise.resolve({
        exists: true,
        upToDate,
        observed: { routeTableName: names.routeTable(uid), subnets },
      });
    } catch {
      return Promise.resolve({ exists: true, upToDate: false });
    }
  }

  async create(table: RouteTableObject): Promise<void> {
    const vpc = this.vpcOf(table);
    this.boundSubnets(table);
    const desired = this.desired(table, vpc);
    await this.nb.ensureStaticRoutes(
      names.router(vpc.metadata.uid ?? ''),
      table.metadata.uid ?? '',
      desired,
    );
  }

  async update(table: RouteTableObject): Promise<void> {
    await this.create(table);
  }

  async delete(table: RouteTableObject): Promise<void> {
    await this.nb.deleteStaticRoutesOf(table.metadata.uid ?? '');
  }
}
