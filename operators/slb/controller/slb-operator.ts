import { objectKey, type KubeObject } from '../../../controllers/kube/index.ts';
import type { Manager } from '../../../controllers/manager/index.ts';
import { ensureLoadBalancers, loadBalancersOf } from '../../../controllers/ovn-nb/index.ts';
import type { nb, OvsdbClient } from '../../../controllers/ovsdb/index.ts';
import { specOrReadinessChanged, type Controller } from '../../../controllers/reconcile/index.ts';
import {
  addManagedController,
  addOrphanSweeper,
  watch,
} from '../../../controllers/wiring/index.ts';
import { Instance } from '../../ecs/index.ts';
import { EIP, type EIPObject } from '../../eip/index.ts';
import {
  NetworkInterface,
  Subnet,
  VPC,
  type NetworkInterfaceObject,
  type SubnetObject,
  type VPCObject,
} from '../../vpc/index.ts';
import { LoadBalancer, type LoadBalancerObject, type LoadBalancerStatus } from '../api/index.ts';
import {
  LoadBalancerBackend,
  ownedBy,
  type LoadBalancerObservation,
  type MemberHealth,
} from '../backend/load-balancer-backend.ts';
import type { InstanceView } from '../backend/references.ts';
import { loadBalancerLabel } from '../backend/reservations.ts';
import { ownerKeys } from '../ovn/desired.ts';

export const slbFinalizer = 'slb.kcloud.io/cleanup';
export const slbControllerName = 'loadbalancer-controller';

const defaultResyncPeriodMs = 10 * 60_000;

export interface SlbOperatorOptions {
  nb: OvsdbClient<nb.Tables>;
  /** Resolves once the NB replica holds the database's rows: no reconcile runs before. */
  nbReady: Promise<void>;
  /** Members' health as OVN's service monitor sees it; without it, every checked member is Unknown. */
  health?: MemberHealth;
  /** Called back when health verdicts change, to look at the LoadBalancers again. */
  onHealthChange?: (listener: () => void) => void;
  workers?: number;
  resyncPeriodMs?: number;
}

const nicChanged = (o: NetworkInterfaceObject, n: NetworkInterfaceObject) =>
  o.status?.ipAddress !== n.status?.ipAddress ||
  o.status?.portName !== n.status?.portName ||
  specOrReadinessChanged(o, n);

const instanceChanged = (o: InstanceView, n: InstanceView) =>
  JSON.stringify(o.status?.interfaces ?? []) !== JSON.stringify(n.status?.interfaces ?? []) ||
  specOrReadinessChanged(o, n);

/** Wires the LoadBalancer controller and its orphan sweep into a manager. */
export function addSlbControllers(mgr: Manager, opts: SlbOperatorOptions): Controller<KubeObject> {
  const lbs = mgr.informer<LoadBalancerObject>(LoadBalancer.resource, {
    indexers: {
      subnet: (lb) => [lb.spec.subnetRef.name],
      nic: (lb) =>
        lb.spec.backendPools.flatMap((p) =>
          p.members.flatMap((m) => (m.networkInterfaceRef ? [m.networkInterfaceRef.name] : [])),
        ),
      instance: (lb) =>
        lb.spec.backendPools.flatMap((p) =>
          p.members.flatMap((m) => (m.instanceRef ? [m.instanceRef.name] : [])),
        ),
    },
  });
  const nics = mgr.informer<NetworkInterfaceObject>(NetworkInterface.resource);
  const subnets = mgr.informer<SubnetObject>(Subnet.resource);
  const vpcs = mgr.informer<VPCObject>(VPC.resource);
  const instances = mgr.informer<InstanceView>(Instance.resource);
  const eips = mgr.informer<EIPObject>(EIP.resource);
  const keys = (objs: KubeObject[]) => objs.map((o) => objectKey(o));
  const inNs = (o: KubeObject, index: string, name: string) =>
    keys(lbs.cache.byIndex(index, name)).filter((k) =>
      k.startsWith(`${o.metadata.namespace ?? ''}/`),
    );
  const health: MemberHealth = opts.health ?? (() => undefined);

  const controller = addManagedController<
    LoadBalancerObject,
    LoadBalancerStatus,
    LoadBalancerObservation
  >(mgr, {
    name: slbControllerName,
    resource: LoadBalancer.resource,
    informer: lbs,
    reconciler: {
      finalizer: slbFinalizer,
      external: () =>
        new LoadBalancerBackend({
          nb: opts.nb,
          caches: {
            subnets: subnets.cache,
            vpcs: vpcs.cache,
            nics: nics.cache,
            instances: instances.cache,
            eips: eips.cache,
          },
          nicClient: mgr.client<NetworkInterfaceObject>(NetworkInterface.resource),
          fieldManager: slbControllerName,
          health,
        }),
      status: (_lb, o) => ({
        vip: o.observed?.vip,
        eip: o.observed?.eip,
        listeners: o.observed?.listeners,
        members: o.observed?.members,
      }),
    },
    watches: [
      // A member's address, or a reserved address, appearing or changing.
      watch(
        nics,
        (n) => {
          const owner = n.metadata.labels?.[loadBalancerLabel];
          const own = owner ? [`${n.metadata.namespace ?? ''}/${owner}`] : [];
          const members = inNs(n, 'nic', n.metadata.name ?? '');
          // An instance's interface: the LoadBalancers naming that instance.
          const instance = n.metadata.labels?.['ecs.kcloud.io/instance'];
          return [...own, ...members, ...(instance ? inNs(n, 'instance', instance) : [])];
        },
        nicChanged,
      ),
      watch(instances, (i) => inNs(i, 'instance', i.metadata.name ?? ''), instanceChanged),
      // An EIP bound to a LoadBalancer (or let go of by one) adds (or removes) its address.
      watch(
        eips,
        (e) => {
          const ns = e.metadata.namespace ?? '';
          const named = e.spec.binding?.loadBalancerRef?.name;
          const was = e.status?.boundTo?.startsWith('LoadBalancer/')
            ? e.status.boundTo.slice('LoadBalancer/'.length)
            : undefined;
          return [...new Set([named, was].filter((n): n is string => !!n))].map(
            (n) => `${ns}/${n}`,
          );
        },
        (o, n) =>
          o.status?.address !== n.status?.address ||
          o.status?.boundTo !== n.status?.boundTo ||
          specOrReadinessChanged(o, n),
      ),
      // A Subnet of the VPC appearing or going changes the switches the rows are on; a VPC's
      // readiness decides whether anything is written: every LoadBalancer of the namespace.
      watch(
        subnets,
        (s) => keys(lbs.cache.inNamespace(s.metadata.namespace ?? '')),
        specOrReadinessChanged,
      ),
      watch(
        vpcs,
        (v) => keys(lbs.cache.inNamespace(v.metadata.namespace ?? '')),
        specOrReadinessChanged,
      ),
    ],
    ready: opts.nbReady,
    ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
    ...(opts.resyncPeriodMs !== undefined ? { resyncPeriodMs: opts.resyncPeriodMs } : {}),
  });

  opts.onHealthChange?.(() => {
    for (const lb of lbs.cache.list()) {
      if (lb.spec.backendPools.some((p) => p.healthCheck)) controller.queue.add(objectKey(lb));
    }
  });

  // Rows whose LoadBalancer is gone (force-deleted, a restored database) are deleted once the
  // API server confirms it, two sweeps running. Its interfaces go with it by garbage collection.
  addOrphanSweeper(mgr, {
    name: 'slb-orphan-collector',
    list: () => {
      const found = new Map<
        string,
        {
          id: string;
          kind: string;
          owner: { kind: string; namespace: string; name: string; uid: string };
        }
      >();
      for (const row of loadBalancersOf(opts.nb, (ids) => ids[ownerKeys.kind] === 'LoadBalancer')) {
        const ids = row.external_ids;
        const uid = ids[ownerKeys.uid] ?? '';
        if (!uid || found.has(uid)) continue;
        found.set(uid, {
          id: `load balancers of ${uid}`,
          kind: 'LoadBalancer',
          owner: {
            kind: 'LoadBalancer',
            namespace: ids[ownerKeys.namespace] ?? '',
            name: ids[ownerKeys.name] ?? '',
            uid,
          },
        });
      }
      return Promise.resolve([...found.values()]);
    },
    owners: { LoadBalancer: LoadBalancer.resource },
    policy: {
      action: 'delete',
      delete: async (o) => {
        await ensureLoadBalancers(opts.nb, ownedBy(o.owner.uid), [], [], []);
      },
    },
    periodMs: opts.resyncPeriodMs ?? defaultResyncPeriodMs,
    ready: opts.nbReady,
  });
  return controller as unknown as Controller<KubeObject>;
}
