// The EIP operator: external address pools and the EIPs bound to targets in tenants' VPCs,
// programmed into OVN's northbound database.
import { reconcilerRules, type Manager, type Operator } from '../../controllers/manager/index.ts';
import { nb as nbSchema, OvsdbClient } from '../../controllers/ovsdb/index.ts';
import { NATGateway, NetworkInterface, Subnet, VPC } from '../vpc/index.ts';
import { eipKinds } from './api/index.ts';
import { addEipControllers } from './controller/eip-operator.ts';
import { configureEip, eipFlags, parseBfdInterval, type EipOperatorConfig } from './flags.ts';
import { EipNb } from './ovn/eip-nb.ts';

export * from './api/index.ts';
export {
  addEipControllers,
  eipFinalizer,
  type EipOperatorOptions,
} from './controller/eip-operator.ts';
export { configureEip, eipFlags, type EipOperatorConfig } from './flags.ts';
export { EipNb } from './ovn/eip-nb.ts';

/**
 * EIP kinds, and reading the NetworkInterfaces, NATGateways and LoadBalancers EIPs are bound to
 * with their Subnets and VPCs.
 */
export const eipRbac = [
  ...reconcilerRules(
    'eip.kcloud.io',
    eipKinds.map((k) => k.plural),
  ),
  {
    apiGroups: [NetworkInterface.group],
    resources: [NetworkInterface.plural, NATGateway.plural, Subnet.plural, VPC.plural],
    verbs: ['get', 'list', 'watch'],
  },
  { apiGroups: ['slb.kcloud.io'], resources: ['loadbalancers'], verbs: ['get', 'list', 'watch'] },
];

/** Connects to the OVN northbound database and registers the EIP controllers. */
export function addEipOperator(mgr: Manager, config: EipOperatorConfig): void {
  if (config.nbEndpoints.length === 0) {
    throw new Error(
      'the eip operator needs the OVN northbound database: pass --ovn-nb=unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT',
    );
  }
  const ovsdb = OvsdbClient.connect<nbSchema.Tables>({
    endpoints: config.nbEndpoints,
    ...(config.nbTls ? { tls: config.nbTls } : {}),
    database: 'OVN_Northbound',
    log: mgr.log.child({ backend: 'ovn-nb', operator: 'eip' }),
  });
  const nbReady = ovsdb.monitor([...EipNb.monitoredTables]);
  nbReady.catch((err: unknown) => {
    mgr.log.error('monitoring the OVN northbound database failed', {
      error: err instanceof Error ? err.message : String(err),
    });
  });
  addEipControllers(mgr, {
    nb: new EipNb(ovsdb),
    nbReady,
    gatewayChassis: config.gatewayChassis,
    gatewayBfdIntervalMs:
      config.gatewayBfdIntervalMs ?? parseBfdInterval(eipFlags['eip-gateway-bfd-interval'].default),
    ...(config.resyncPeriodMs !== undefined ? { resyncPeriodMs: config.resyncPeriodMs } : {}),
  });
  mgr.onShutdown(() => ovsdb.close());
}

/** The EIP operator as kcloud-manager hosts it. */
export const eipOperator: Operator<EipOperatorConfig> = {
  name: 'eip',
  rbac: eipRbac,
  flags: eipFlags,
  configure: configureEip,
  register: addEipOperator,
};
