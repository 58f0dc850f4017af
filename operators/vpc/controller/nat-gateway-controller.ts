// The NATGateway controller: reads the EIPs bound to a NATGateway (the EIP product writes their
// address and binding into their status) and writes the NAT rows and port forwards its rules
// ask for on the VPC router.
import type { ManagedObject, ManagedStatus } from '../../../controllers/external/index.ts';
import type { Informer } from '../../../controllers/informer/index.ts';
import { objectKey, type ResourceRef } from '../../../controllers/kube/index.ts';
import type { Manager } from '../../../controllers/manager/index.ts';
import {
  specOrReadinessChanged,
  type Controller,
  type Watch,
} from '../../../controllers/reconcile/index.ts';
import { watch, type ManagedControllerOptions } from '../../../controllers/wiring/index.ts';
import { eipResource, type EIPView } from '../backend/eip-view.ts';
import {
  NATGateway,
  type NATGatewayObject,
  type NATGatewayStatus,
  type SubnetObject,
  type VPCObject,
} from '../api/index.ts';
import { NATGatewayBackend, type NATGatewayObservation } from '../backend/nat-gateway-backend.ts';
import type { NbClient } from '../ovn/nb/index.ts';
import { sameNamespace } from './dependents.ts';

/** How the VPC operator makes its controllers (finalizer, NB readiness, workers, resync). */
export type VpcControllerFactory = <T extends ManagedObject<S>, S extends ManagedStatus, O>(
  name: string,
  kind: { resource: Omit<ResourceRef, 'kind'>; kind: string },
  informer: Informer<T>,
  own: Omit<ManagedControllerOptions<T, S, O>['reconciler'], 'finalizer'>,
  watches: Watch[],
) => Controller<T>;

/** An EIP's address or binding changed, or its spec or readiness did. */
const eipChanged = (o: EIPView, n: EIPView) =>
  o.status?.address !== n.status?.address ||
  o.status?.boundTo !== n.status?.boundTo ||
  specOrReadinessChanged(o, n);

/** The NATGateways a rule or binding of an EIP concerns. */
function eipsOf(gw: NATGatewayObject): string[] {
  return [...(gw.spec.snatRules ?? []), ...(gw.spec.dnatRules ?? [])].map((r) =>
    sameNamespace(gw, r.eipRef.name),
  );
}

export function addNatGatewayController(
  mgr: Manager,
  nb: NbClient,
  informers: { vpcs: Informer<VPCObject>; subnets: Informer<SubnetObject> },
  controller: VpcControllerFactory,
): Controller<NATGatewayObject> {
  const { vpcs, subnets } = informers;
  const gateways = mgr.informer<NATGatewayObject>(
    { ...NATGateway.resource, kind: NATGateway.kind },
    {
      indexers: {
        vpc: (g) => [sameNamespace(g, g.spec.vpcRef.name)],
        subnet: (g) =>
          (g.spec.snatRules ?? []).flatMap((r) =>
            r.subnetRef ? [sameNamespace(g, r.subnetRef.name)] : [],
          ),
        eip: eipsOf,
      },
    },
  );
  const eips = mgr.informer<EIPView>(eipResource);
  const keys = (objs: NATGatewayObject[]) => objs.map((o) => objectKey(o));
  return controller<NATGatewayObject, NATGatewayStatus, NATGatewayObservation>(
    'natgateway-controller',
    NATGateway,
    gateways,
    {
      external: () =>
        new NATGatewayBackend(nb, {
          vpcs: vpcs.cache,
          subnets: subnets.cache,
          eips: eips.cache,
        }),
      status: (_gw, o) => ({
        routerName: o.observed?.routerName,
        snatRules: o.observed?.snatRules,
        dnatRules: o.observed?.dnatRules,
      }),
    },
    [
      watch(vpcs, (v) => keys(gateways.cache.byIndex('vpc', objectKey(v))), specOrReadinessChanged),
      watch(
        subnets,
        (s) => keys(gateways.cache.byIndex('subnet', objectKey(s))),
        specOrReadinessChanged,
      ),
      // An EIP bound or unbound, or its address: the rules naming it, and the NATGateway it
      // is bound to.
      watch(
        eips,
        (e) => {
          const bound = e.spec.binding?.natGatewayRef?.name;
          return [
            ...keys(gateways.cache.byIndex('eip', objectKey(e))),
            ...(bound ? [sameNamespace(e, bound)] : []),
          ];
        },
        eipChanged,
      ),
    ],
  );
}
