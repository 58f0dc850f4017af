// The SLB operator: LoadBalancers (L4) programmed as OVN load balancers on their VPC's router
// and Subnets' switches.
import { reconcilerRules, type Manager, type Operator } from '../../controllers/manager/index.ts';
import { nb as nbSchema, OvsdbClient } from '../../controllers/ovsdb/index.ts';
import { Instance } from '../ecs/index.ts';
import { EIP } from '../eip/index.ts';
import { NetworkInterface, Subnet, VPC } from '../vpc/index.ts';
import { slbKinds } from './api/index.ts';
import { addSlbControllers } from './controller/slb-operator.ts';
import { configureSlb, slbFlags, type SlbOperatorConfig } from './flags.ts';
import { ServiceMonitors } from './ovn/service-monitor.ts';

export * from './api/index.ts';
export {
  addSlbControllers,
  slbFinalizer,
  type SlbOperatorOptions,
} from './controller/slb-operator.ts';
export { configureSlb, slbFlags, type SlbOperatorConfig } from './flags.ts';

/** The tables the operator reads and writes. */
export const slbMonitoredTables = [
  { table: 'Logical_Router' },
  { table: 'Logical_Switch' },
  { table: 'Load_Balancer' },
  { table: 'Load_Balancer_Health_Check' },
] as const;

/**
 * LoadBalancers; the NetworkInterfaces holding their addresses (made here, collected with their
 * LoadBalancer by the garbage collector); reading the Subnets, VPCs and Instances their members
 * and addresses come from, and the EIPs bound to them.
 */
export const slbRbac = [
  ...reconcilerRules(
    'slb.kcloud.io',
    slbKinds.map((k) => k.plural),
  ),
  {
    apiGroups: [NetworkInterface.group],
    resources: [NetworkInterface.plural],
    verbs: ['get', 'list', 'watch', 'patch'],
  },
  {
    apiGroups: [Subnet.group],
    resources: [Subnet.plural, VPC.plural],
    verbs: ['get', 'list', 'watch'],
  },
  { apiGroups: [Instance.group], resources: [Instance.plural], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [EIP.group], resources: [EIP.plural], verbs: ['get', 'list', 'watch'] },
];

/**
 * Connects to the OVN northbound database (and the southbound, for members' health) and
 * registers the LoadBalancer controller.
 */
export function addSlbOperator(mgr: Manager, config: SlbOperatorConfig): void {
  if (config.nbEndpoints.length === 0) {
    throw new Error(
      'the slb operator needs the OVN northbound database: pass --ovn-nb=unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT',
    );
  }
  const ovsdb = OvsdbClient.connect<nbSchema.Tables>({
    endpoints: config.nbEndpoints,
    ...(config.nbTls ? { tls: config.nbTls } : {}),
    database: 'OVN_Northbound',
    log: mgr.log.child({ backend: 'ovn-nb', operator: 'slb' }),
  });
  const nbReady = ovsdb.monitor([...slbMonitoredTables]);
  nbReady.catch((err: unknown) => {
    mgr.log.error('monitoring the OVN northbound database failed', {
      error: err instanceof Error ? err.message : String(err),
    });
  });
  const monitors =
    config.sbEndpoints && config.sbEndpoints.length > 0
      ? new ServiceMonitors({
          endpoints: config.sbEndpoints,
          ...(config.nbTls ? { tls: config.nbTls } : {}),
          log: mgr.log.child({ backend: 'ovn-sb', operator: 'slb' }),
        })
      : undefined;
  monitors?.ready.catch((err: unknown) => {
    mgr.log.error('monitoring the OVN southbound database failed', {
      error: err instanceof Error ? err.message : String(err),
    });
  });
  addSlbControllers(mgr, {
    nb: ovsdb,
    nbReady: monitors ? Promise.all([nbReady, monitors.ready]).then(() => undefined) : nbReady,
    ...(monitors
      ? {
          health: (protocol, ip, port) => monitors.health(protocol, ip, port),
          onHealthChange: (listener) => {
            monitors.onChange(listener);
          },
        }
      : {}),
    ...(config.resyncPeriodMs !== undefined ? { resyncPeriodMs: config.resyncPeriodMs } : {}),
  });
  mgr.onShutdown(() => ovsdb.close());
  if (monitors) mgr.onShutdown(() => monitors.close());
}

/** The SLB operator as kcloud-manager hosts it. */
export const slbOperator: Operator<SlbOperatorConfig> = {
  name: 'slb',
  rbac: slbRbac,
  flags: slbFlags,
  configure: configureSlb,
  register: addSlbOperator,
};
