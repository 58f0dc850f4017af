import { objectKey, type KubeObject } from '../../../controllers/kube/index.ts';
import type { Manager } from '../../../controllers/manager/index.ts';
import { specOrReadinessChanged, type Controller } from '../../../controllers/reconcile/index.ts';
import {
  addManagedController,
  addOrphanSweeper,
  watch,
} from '../../../controllers/wiring/index.ts';
import { ownersOfRows, removeRowsOf, type EipRows } from '../backend/orphans.ts';
import {
  NATGateway,
  NetworkInterface,
  Subnet,
  VPC,
  type NATGatewayObject,
  type NetworkInterfaceObject,
  type SubnetObject,
  type VPCObject,
} from '../../vpc/index.ts';
import { KeyedLock } from '../../../controllers/concurrency/index.ts';
import type { EipNb } from '../ovn/eip-nb.ts';
import {
  EIP,
  EIPPool,
  type EIPObject,
  type EIPPoolObject,
  type EIPPoolStatus,
  type EIPStatus,
} from '../api/index.ts';
import { EIPBackend, type EIPObservation } from '../backend/eip-backend.ts';
import { PoolBackend, type PoolObservation } from '../backend/pool-backend.ts';
import { PoolRegistry } from '../backend/pool-registry.ts';
import { loadBalancerResource, type LoadBalancerView } from '../backend/load-balancer-view.ts';
import { boundLabel, natGatewaysHold } from '../backend/target.ts';

export const eipFinalizer = 'eip.kcloud.io/cleanup';

/** How often the controllers re-check OVN against their objects, and orphans are swept. */
const defaultResyncPeriodMs = 10 * 60_000;

export interface EipOperatorOptions {
  nb: EipNb;
  /** Resolves once the NB replica holds the database's rows: no reconcile runs before. */
  nbReady: Promise<void>;
  /** Chassis the VPC routers' gateway ports are scheduled on, highest priority first. */
  gatewayChassis: readonly string[];
  /** BFD's interval between the chassis, ms; 0 for OVN's own. */
  gatewayBfdIntervalMs: number;
  workers?: number;
  resyncPeriodMs?: number;
}

/** An EIP's address or binding changed, or its spec or readiness did. */
const eipChanged = (o: EIPObject, n: EIPObject) =>
  o.status?.address !== n.status?.address ||
  o.status?.boundTo !== n.status?.boundTo ||
  specOrReadinessChanged(o, n);

const nicChanged = (o: NetworkInterfaceObject, n: NetworkInterfaceObject) =>
  o.status?.ipAddress !== n.status?.ipAddress ||
  o.status?.portName !== n.status?.portName ||
  specOrReadinessChanged(o, n);

/** Wires the EIPPool and EIP controllers into a manager. */
export function addEipControllers(
  mgr: Manager,
  opts: EipOperatorOptions,
): Controller<KubeObject>[] {
  const pools = mgr.informer<EIPPoolObject>(EIPPool.resource);
  const eips = mgr.informer<EIPObject>(EIP.resource, {
    indexers: {
      pool: (e) => [e.spec.poolRef.name],
      target: (e) => {
        const label = boundLabel(e);
        return label ? [`${e.metadata.namespace ?? ''}/${label}`] : [];
      },
    },
  });
  const nics = mgr.informer<NetworkInterfaceObject>(NetworkInterface.resource);
  const natGateways = mgr.informer<NATGatewayObject>(NATGateway.resource);
  const loadBalancers = mgr.informer<LoadBalancerView>(loadBalancerResource);
  const subnets = mgr.informer<SubnetObject>(Subnet.resource);
  const vpcs = mgr.informer<VPCObject>(VPC.resource);
  const registry = new PoolRegistry(eips.cache, (poolUid) => opts.nb.recordedAddresses(poolUid));
  const routerLock = new KeyedLock();
  const common = {
    ready: opts.nbReady,
    ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
    ...(opts.resyncPeriodMs !== undefined ? { resyncPeriodMs: opts.resyncPeriodMs } : {}),
  };
  const keys = (objs: KubeObject[]) => objs.map((o) => objectKey(o));
  /** The EIPs naming a target, and those that named it before: one may take it over. */
  const claimantsOf = (ns: string, label: string | undefined) =>
    label ? keys(eips.cache.byIndex('target', `${ns}/${label}`)) : [];

  const poolController = addManagedController<EIPPoolObject, EIPPoolStatus, PoolObservation>(mgr, {
    name: 'eippool-controller',
    resource: EIPPool.resource,
    informer: pools,
    reconciler: {
      finalizer: eipFinalizer,
      external: () => new PoolBackend(registry, opts.nb),
      status: (pool, o) => {
        const addresses = registry.pool(pool);
        return {
          switchName: o.observed?.switchName,
          total: addresses.capacity(),
          used: addresses.used(),
          available: addresses.available(),
        };
      },
      derived: (pool) => {
        const addresses = registry.pool(pool);
        return { used: addresses.used(), available: addresses.available() };
      },
      deletionBlockedBy: (pool) => {
        const left = eips.cache
          .byIndex('pool', pool.metadata.name ?? '')
          .map((e) => `${e.metadata.namespace ?? ''}/${e.metadata.name ?? ''}`);
        return left.length > 0
          ? {
              reason: 'InUse',
              message: `the pool still has EIPs: ${left.sort().join(', ')}; delete them first`,
            }
          : undefined;
      },
    },
    // The counters follow the EIPs.
    watches: [watch(eips, (e) => [e.spec.poolRef.name], eipChanged)],
    ...common,
  });

  const eipController = addManagedController<EIPObject, EIPStatus, EIPObservation>(mgr, {
    name: 'eip-controller',
    resource: EIP.resource,
    informer: eips,
    reconciler: {
      finalizer: eipFinalizer,
      external: () =>
        new EIPBackend({
          pools: pools.cache,
          eips: eips.cache,
          nics: nics.cache,
          natGateways: natGateways.cache,
          loadBalancers: loadBalancers.cache,
          subnets: subnets.cache,
          vpcs: vpcs.cache,
          registry,
          nb: opts.nb,
          gatewayChassis: opts.gatewayChassis,
          gatewayBfdIntervalMs: opts.gatewayBfdIntervalMs,
          routerLock,
        }),
      status: (_eip, o) => ({ address: o.observed?.address, boundTo: o.observed?.boundTo }),
      deletionBlockedBy: (eip) => {
        const label = boundLabel(eip);
        return label
          ? {
              reason: 'Bound',
              message: `the EIP is bound to ${label}; remove spec.binding to unbind it, and the deletion goes on`,
            }
          : undefined;
      },
    },
    watches: [
      watch(
        pools,
        (p) => keys(eips.cache.byIndex('pool', p.metadata.name ?? '')),
        specOrReadinessChanged,
      ),
      watch(
        nics,
        (n) => claimantsOf(n.metadata.namespace ?? '', `NetworkInterface/${n.metadata.name ?? ''}`),
        nicChanged,
      ),
      // A NATGateway appearing or going decides whether its EIPs wait, and on which VPC.
      watch(
        natGateways,
        (g) => claimantsOf(g.metadata.namespace ?? '', `NATGateway/${g.metadata.name ?? ''}`),
        specOrReadinessChanged,
      ),
      // A LoadBalancer appearing or going decides whether its EIP waits, and on which VPC.
      watch(
        loadBalancers,
        (lb) => claimantsOf(lb.metadata.namespace ?? '', `LoadBalancer/${lb.metadata.name ?? ''}`),
        specOrReadinessChanged,
      ),
      // A VPC's router appearing (or going) decides where its EIPs' NAT goes.
      watch(
        vpcs,
        (v) =>
          keys(eips.cache.inNamespace(v.metadata.namespace ?? '').filter((e) => boundLabel(e))),
        specOrReadinessChanged,
      ),
      // A target let go of, or claimed: the other EIPs naming it may take it or must give way.
      watch(
        eips,
        (e) => [
          ...claimantsOf(e.metadata.namespace ?? '', boundLabel(e)),
          ...claimantsOf(e.metadata.namespace ?? '', e.status?.boundTo),
        ],
        eipChanged,
      ),
    ],
    ...common,
  });
  // Rows of owners that are gone are deleted (they are rebuilt from specs; no data lost), only
  // once the API server confirms each owner is gone, two sweeps running.
  addOrphanSweeper<EipRows>(mgr, {
    name: 'eip-orphan-collector',
    list: () => Promise.resolve(ownersOfRows(opts.nb)),
    owners: { EIP: EIP.resource, EIPPool: EIPPool.resource },
    policy: {
      action: 'delete',
      delete: (rows) =>
        removeRowsOf(
          {
            nb: opts.nb,
            registry,
            routerLock,
            heldElsewhere: (vpcUid) =>
              natGatewaysHold(
                {
                  eips: eips.cache,
                  natGateways: natGateways.cache,
                  vpcs: vpcs.cache,
                  loadBalancers: loadBalancers.cache,
                  subnets: subnets.cache,
                },
                vpcUid,
              ),
          },
          pools.cache,
          rows,
        ),
    },
    periodMs: opts.resyncPeriodMs ?? defaultResyncPeriodMs,
    ready: opts.nbReady,
  });
  return [poolController, eipController] as unknown as Controller<KubeObject>[];
}
