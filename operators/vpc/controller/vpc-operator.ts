import {
  ReconcileError,
  type ManagedObject,
  type ManagedStatus,
} from '../../../controllers/external/index.ts';
import type { Informer } from '../../../controllers/informer/index.ts';
import { objectKey, type KubeObject, type ResourceRef } from '../../../controllers/kube/index.ts';
import type { Manager } from '../../../controllers/manager/index.ts';
import {
  specOrReadinessChanged,
  type Controller,
  type Watch,
} from '../../../controllers/reconcile/index.ts';
import {
  addManagedController,
  addOrphanSweeper,
  watch,
  type ManagedControllerOptions,
} from '../../../controllers/wiring/index.ts';
import {
  NATGateway,
  NetworkACL,
  NetworkInterface,
  RouteTable,
  SecurityGroup,
  Subnet,
  VPC,
  VPCPeering,
  type NetworkACLObject,
  type NetworkACLStatus,
  type NetworkInterfaceObject,
  type NetworkInterfaceStatus,
  type RouteTableObject,
  type RouteTableStatus,
  type SecurityGroupObject,
  type SecurityGroupStatus,
  type SubnetObject,
  type SubnetStatus,
  type VPCObject,
  type VPCStatus,
  type VPCPeeringObject,
  type VPCPeeringStatus,
} from '../api/index.ts';
import { InterfaceBackend, type InterfaceObservation } from '../backend/interface-backend.ts';
import { addNatGatewayController } from './nat-gateway-controller.ts';
import { IpamRegistry } from '../backend/ipam-registry.ts';
import { gatewayOf } from '../backend/references.ts';
import { ownersOfRows, removeRowsOf, type OwnedRows } from '../backend/orphans.ts';
import { PeeringBackend, type PeeringObservation } from '../backend/peering-backend.ts';
import { peeringVpcs } from '../backend/peering-pairs.ts';
import { scopedCaches } from '../backend/peering-scope.ts';
import { peeringPhase } from './peering-phase.ts';
import { NetworkACLBackend, type NetworkACLObservation } from '../backend/network-acl-backend.ts';
import { isMainTable } from '../backend/bindings.ts';
import { RouteTableBackend, type RouteTableObservation } from '../backend/route-table-backend.ts';
import { RouterBackend, type RouterObservation } from '../backend/router-backend.ts';
import {
  SecurityGroupBackend,
  type SecurityGroupObservation,
} from '../backend/security-group-backend.ts';
import { SubnetBackend, type SubnetObservation } from '../backend/subnet-backend.ts';
import { subnetCounts } from '../backend/subnet-counts.ts';
import type { NbClient } from '../ovn/nb/index.ts';
import { ConnectionLostError, NotConnectedError } from '../../../controllers/ovsdb/index.ts';
import {
  aclsOfSubnet,
  aclsSharingSubnets,
  groupsNaming,
  groupsOfVpc,
  interfacesNaming,
  networkAclIndexers,
  routeTableNextHopIndexer,
  sameNamespace,
  securityGroupIndexers,
  tablesRoutingTo,
} from './dependents.ts';

export const vpcFinalizer = 'vpc.kcloud.io/cleanup';

/** How often the controllers re-check OVN against their objects, and orphans are swept. */
const defaultResyncPeriodMs = 10 * 60_000;

/** The shortest time between two writes of a Subnet's or SecurityGroup's member sums alone. */
const defaultStatusBatchPeriodMs = 5_000;

export interface VpcOperatorOptions {
  nb: NbClient;
  /** Resolves once the NB replica holds the database's rows: no reconcile runs before. */
  nbReady: Promise<void>;
  workers?: number;
  resyncPeriodMs?: number;
  /**
   * For a manager scoped to one namespace: the other namespaces whose VPCs and VPCPeerings its
   * VPCPeerings may name (each tenant's manager reading the other's). Unscoped, it sees all.
   */
  peerNamespaces?: readonly string[];
  /** See `--status-batch-period`; 0 writes every change. */
  statusBatchPeriodMs?: number;
}

const ref = (kind: { resource: Omit<ResourceRef, 'kind'>; kind: string }): ResourceRef => ({
  ...kind.resource,
  kind: kind.kind,
});

/**
 * The northbound database is away (restarting, unreachable): a reason that says so, on the
 * object, rather than a bare ReconcileError or DeleteFailed. The request was never sent, or its
 * connection dropped; either way the reconcile is retried once NB is back.
 */
function nbUnreachable(err: unknown): ReconcileError | undefined {
  if (!(err instanceof NotConnectedError || err instanceof ConnectionLostError)) return undefined;
  return new ReconcileError(
    'BackendUnreachable',
    `the OVN northbound database is unreachable (${err.message}); retrying until it is back`,
    { cause: err },
  );
}

/** An interface's address or port appeared or changed, or its spec or readiness did. */
const interfaceChanged = (o: NetworkInterfaceObject, n: NetworkInterfaceObject) =>
  o.status?.ipAddress !== n.status?.ipAddress ||
  o.status?.portName !== n.status?.portName ||
  specOrReadinessChanged(o, n);

/**
 * Wires the VPC, Subnet, NetworkInterface, SecurityGroup, NetworkACL and RouteTable controllers
 * into a manager.
 */
export function addVpcControllers(
  mgr: Manager,
  opts: VpcOperatorOptions,
): Controller<KubeObject>[] {
  const vpcs = mgr.informer<VPCObject>(ref(VPC));
  const subnets = mgr.informer<SubnetObject>(ref(Subnet), {
    indexers: { vpc: (s) => [sameNamespace(s, s.spec.vpcRef.name)] },
  });
  const nics = mgr.informer<NetworkInterfaceObject>(ref(NetworkInterface), {
    indexers: {
      subnet: (n) => [sameNamespace(n, n.spec.subnetRef.name)],
      securityGroup: (n) => (n.spec.securityGroupRefs ?? []).map((r) => sameNamespace(n, r.name)),
    },
  });
  const ipam = new IpamRegistry(opts.nb, nics.cache);
  const sgs = mgr.informer<SecurityGroupObject>(ref(SecurityGroup), {
    indexers: securityGroupIndexers,
  });
  const nacls = mgr.informer<NetworkACLObject>(ref(NetworkACL), { indexers: networkAclIndexers });
  const tables = mgr.informer<RouteTableObject>(ref(RouteTable), {
    indexers: {
      vpc: (t) => [sameNamespace(t, t.spec.vpcRef.name)],
      nextHopInterface: routeTableNextHopIndexer,
    },
  });
  const keys = (objs: KubeObject[]) => objs.map((o) => objectKey(o));
  const batchPeriodMs = opts.statusBatchPeriodMs ?? defaultStatusBatchPeriodMs;
  /** Sums over an object's members, written at most once per batch period (none: each change). */
  const batched = <F extends string>(...fields: F[]) =>
    batchPeriodMs > 0 ? { batchedStatus: { fields, periodMs: batchPeriodMs } } : {};
  /** The Subnets a RouteTable can apply to: those it names, or all of its VPC's for a main one. */
  const subnetsOfTable = (t: RouteTableObject) =>
    isMainTable(t)
      ? keys(subnets.cache.byIndex('vpc', sameNamespace(t, t.spec.vpcRef.name)))
      : (t.spec.subnetRefs ?? []).map((r) => sameNamespace(t, r.name));
  /** A controller on the shared reconcile, with what every VPC kind has in common. */
  const controller = <T extends ManagedObject<S>, S extends ManagedStatus, O>(
    name: string,
    kind: { resource: Omit<ResourceRef, 'kind'>; kind: string },
    informer: Informer<T>,
    own: Omit<ManagedControllerOptions<T, S, O>['reconciler'], 'finalizer'>,
    watches: Watch[],
  ) =>
    addManagedController<T, S, O>(mgr, {
      name,
      resource: ref(kind),
      informer,
      // Ready says a backend was made; an event per interface or member would only add writes.
      reconciler: { successEvents: false, ...own, finalizer: vpcFinalizer },
      watches,
      ready: opts.nbReady,
      explain: nbUnreachable,
      ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
      ...(opts.resyncPeriodMs !== undefined ? { resyncPeriodMs: opts.resyncPeriodMs } : {}),
    });
  const vpcController = controller<VPCObject, VPCStatus, RouterObservation>(
    'vpc-controller',
    VPC,
    vpcs,
    {
      external: () => new RouterBackend(opts.nb),
      status: (vpc, o) => ({
        routerName: o.observed?.routerName,
        cidrBlocks: vpc.spec.cidrBlocks,
        ...subnetCounts(subnets.cache.byIndex('vpc', objectKey(vpc))),
      }),
      deletionBlockedBy: (vpc) => {
        const left = subnets.cache.byIndex('vpc', objectKey(vpc)).map((s) => s.metadata.name ?? '');
        return left.length > 0
          ? {
              reason: 'InUse',
              message: `the VPC still has Subnets: ${left.sort().join(', ')}; delete them first`,
            }
          : undefined;
      },
    },
    [watch(subnets, (s) => [sameNamespace(s, s.spec.vpcRef.name)], specOrReadinessChanged)],
  );

  const subnetController = controller<SubnetObject, SubnetStatus, SubnetObservation>(
    'subnet-controller',
    Subnet,
    subnets,
    {
      external: () => new SubnetBackend(opts.nb, vpcs.cache, subnets.cache, tables.cache),
      status: (subnet, o) => {
        const pool = ipam.pool(subnet, gatewayOf(subnet));
        return {
          switchName: o.observed?.switchName,
          gatewayIP: o.observed?.gatewayIP,
          availableIPs: pool.available(),
          usedIPs: pool.used(),
        };
      },
      ...batched('availableIPs', 'usedIPs'),
      deletionBlockedBy: (subnet) => {
        const left = nics.cache
          .byIndex('subnet', objectKey(subnet))
          .map((n) => n.metadata.name ?? '');
        return left.length > 0
          ? {
              reason: 'InUse',
              message: `the Subnet still has NetworkInterfaces: ${left.sort().join(', ')}; delete them first`,
            }
          : undefined;
      },
    },
    [
      watch(vpcs, (v) => keys(subnets.cache.byIndex('vpc', objectKey(v))), specOrReadinessChanged),
      // The Subnet's address counters follow its interfaces.
      watch(nics, (n) => [sameNamespace(n, n.spec.subnetRef.name)], interfaceChanged),
      // A Subnet's router port names its RouteTable's route table.
      watch(tables, subnetsOfTable),
    ],
  );

  const nicController = controller<
    NetworkInterfaceObject,
    NetworkInterfaceStatus,
    InterfaceObservation
  >(
    'networkinterface-controller',
    NetworkInterface,
    nics,
    {
      external: () => new InterfaceBackend(opts.nb, subnets.cache, ipam, sgs.cache),
      status: (_nic, o) => ({ ...o.observed }),
    },
    [
      watch(
        subnets,
        (s) => keys(nics.cache.byIndex('subnet', objectKey(s))),
        specOrReadinessChanged,
      ),
      // An interface naming a group of another VPC is refused, whichever appeared first.
      watch(sgs, (g) => interfacesNaming(nics.cache, g)),
    ],
  );

  const sgController = controller<
    SecurityGroupObject,
    SecurityGroupStatus,
    SecurityGroupObservation
  >(
    'securitygroup-controller',
    SecurityGroup,
    sgs,
    {
      external: () => new SecurityGroupBackend(opts.nb, sgs.cache, nics.cache, vpcs.cache),
      status: (_sg, o) => ({
        portGroupName: o.observed?.portGroupName,
        members: o.observed?.members,
        rules: o.observed?.rules,
      }),
      ...batched('members'),
    },
    [
      // Membership: the groups an interface names, before and after the change.
      watch(
        nics,
        (n) => (n.spec.securityGroupRefs ?? []).map((r) => sameNamespace(n, r.name)),
        interfaceChanged,
      ),
      // Rules name other groups, which may appear or go.
      watch(sgs, (g) => groupsNaming(sgs.cache, g), specOrReadinessChanged),
      watch(vpcs, (v) => groupsOfVpc(sgs.cache, v), specOrReadinessChanged),
    ],
  );

  const naclController = controller<NetworkACLObject, NetworkACLStatus, NetworkACLObservation>(
    'networkacl-controller',
    NetworkACL,
    nacls,
    {
      external: () => new NetworkACLBackend(opts.nb, subnets.cache, nacls.cache),
      status: (_nacl, o) => ({ subnets: o.observed?.subnets }),
    },
    [
      watch(subnets, (s) => aclsOfSubnet(nacls.cache, s), specOrReadinessChanged),
      // Which one holds a Subnet depends on every NetworkACL naming it.
      watch(nacls, (a) => aclsSharingSubnets(nacls.cache, a), specOrReadinessChanged),
    ],
  );

  /** Every RouteTable of an object's VPC: bindings and next hops depend on its Subnets. */
  const tablesOfVpc = (vpcKey: string) => keys(tables.cache.byIndex('vpc', vpcKey));
  const routeTableController = controller<
    RouteTableObject,
    RouteTableStatus,
    RouteTableObservation
  >(
    'routetable-controller',
    RouteTable,
    tables,
    {
      external: () =>
        new RouteTableBackend(opts.nb, {
          vpcs: vpcs.cache,
          subnets: subnets.cache,
          interfaces: nics.cache,
          tables: tables.cache,
        }),
      status: (_t, o) => ({
        routeTableName: o.observed?.routeTableName,
        subnets: o.observed?.subnets,
      }),
    },
    [
      watch(vpcs, (v) => tablesOfVpc(objectKey(v)), specOrReadinessChanged),
      watch(
        subnets,
        (s) => tablesOfVpc(sameNamespace(s, s.spec.vpcRef.name)),
        specOrReadinessChanged,
      ),
      watch(tables, (t) => tablesOfVpc(sameNamespace(t, t.spec.vpcRef.name))),
      watch(nics, (n) => tablesRoutingTo(tables.cache, n), interfaceChanged),
    ],
  );

  // VPCPeerings read VPCs and VPCPeerings of the peer namespaces too.
  const peerings = mgr.informer<VPCPeeringObject>(ref(VPCPeering), {
    indexers: { vpc: peeringVpcs },
  });
  const peerScope = (opts.peerNamespaces ?? []).filter((ns) => ns !== mgr.namespace);
  const peerVpcs = new Map(
    peerScope.map((ns) => [ns, mgr.informer<VPCObject>(ref(VPC), { namespace: ns })]),
  );
  const peerPeerings = new Map(
    peerScope.map((ns) => [
      ns,
      mgr.informer<VPCPeeringObject>(ref(VPCPeering), {
        namespace: ns,
        indexers: { vpc: peeringVpcs },
      }),
    ]),
  );
  const peeringCaches = {
    vpcs: scopedCaches(vpcs.cache, new Map([...peerVpcs].map(([ns, i]) => [ns, i.cache]))),
    peerings: scopedCaches(
      peerings.cache,
      new Map([...peerPeerings].map(([ns, i]) => [ns, i.cache])),
    ),
  };
  /** The VPCPeerings of this manager's namespaces that name a VPC, on either side. */
  const peeringsOf = (vpcKey: string) => keys(peerings.cache.byIndex('vpc', vpcKey));
  const peeringController = controller<VPCPeeringObject, VPCPeeringStatus, PeeringObservation>(
    'vpcpeering-controller',
    VPCPeering,
    peerings,
    {
      external: () => new PeeringBackend(opts.nb, peeringCaches),
      role: { kind: 'single', phase: peeringPhase },
      status: (_p, o) => ({
        acceptedBy: o.observed?.acceptedBy,
        linkCIDR: o.observed?.linkCIDR,
        routes: o.observed?.routes,
      }),
    },
    [
      ...[vpcs, ...peerVpcs.values()].map((i) =>
        watch(i, (v) => peeringsOf(objectKey(v)), specOrReadinessChanged),
      ),
      // A partner appearing or going, or another peering of the same two VPCs.
      ...[peerings, ...peerPeerings.values()].map((i) =>
        watch(i, (p) => peeringVpcs(p).flatMap(peeringsOf)),
      ),
    ],
  );

  const natGatewayController = addNatGatewayController(mgr, opts.nb, { vpcs, subnets }, controller);

  const controllers = [
    natGatewayController,
    vpcController,
    subnetController,
    nicController,
    sgController,
    naclController,
    routeTableController,
    peeringController,
  ] as unknown as Controller<KubeObject>[];

  // Rows of owners that are gone are deleted (OVN rows are rebuilt from specs; no data lost),
  // only once the API server confirms each owner is gone, two sweeps running.
  addOrphanSweeper<OwnedRows>(mgr, {
    name: 'ovn-orphan-collector',
    list: () => Promise.resolve(ownersOfRows(opts.nb)),
    owners: {
      VPC: ref(VPC),
      Subnet: ref(Subnet),
      NetworkInterface: ref(NetworkInterface),
      SecurityGroup: ref(SecurityGroup),
      NetworkACL: ref(NetworkACL),
      RouteTable: ref(RouteTable),
      NATGateway: ref(NATGateway),
      VPCPeering: ref(VPCPeering),
    },
    policy: { action: 'delete', delete: (rows) => removeRowsOf(opts.nb, rows.owner) },
    periodMs: opts.resyncPeriodMs ?? defaultResyncPeriodMs,
    ready: opts.nbReady,
  });
  return controllers;
}
