// The VPC operator: VPCs, Subnets, NetworkInterfaces, SecurityGroups, NetworkACLs and
// RouteTables programmed into OVN's northbound database.
import type { CreateFinalizer } from '../../controllers/admission/index.ts';
import type { Manager, Operator } from '../../controllers/manager/index.ts';
import { reconcilerRules } from '../../controllers/manager/index.ts';
import { nb as nbSchema, OvsdbClient } from '../../controllers/ovsdb/index.ts';
import { vpcKinds } from './api/index.ts';
import { addVpcControllers, vpcFinalizer } from './controller/vpc-operator.ts';
export { configureVpc, ovnNbTls, vpcFlags, type VpcOperatorConfig } from './flags.ts';
import { configureVpc, vpcFlags, type VpcOperatorConfig } from './flags.ts';
import { NbClient } from './ovn/nb/index.ts';

export * from './api/index.ts';
// The meter burst for a rate: one policy for every bandwidth limit (an EIP's too).
export { burstKbit } from './ovn/bandwidth.ts';
export {
  addVpcControllers,
  vpcFinalizer,
  type VpcOperatorOptions,
} from './controller/vpc-operator.ts';

/**
 * Every VPC kind is created with the operator's finalizer where the API server's policy for it is
 * installed (the chart, make demo): the first reconcile writes no finalizer of its own.
 */
export const vpcCreateFinalizer: CreateFinalizer = {
  finalizer: vpcFinalizer,
  resources: vpcKinds.map((k) => ({ group: 'vpc.kcloud.io', plural: k.plural })),
};

/** VPC kinds, and reading the EIPs NATGateways translate to. */
export const vpcRbac = [
  ...reconcilerRules(
    'vpc.kcloud.io',
    vpcKinds.map((k) => k.plural),
  ),
  { apiGroups: ['eip.kcloud.io'], resources: ['eips'], verbs: ['get', 'list', 'watch'] },
];

/**
 * Connects to the OVN northbound database, monitors the tables the operator reads and registers
 * its controllers; the connection closes when the manager stops.
 */
export function addVpcOperator(mgr: Manager, config: VpcOperatorConfig): void {
  if (config.nbEndpoints.length === 0) {
    throw new Error(
      'the vpc operator needs the OVN northbound database: pass --ovn-nb=unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT',
    );
  }
  const ovsdb = OvsdbClient.connect<nbSchema.Tables>({
    endpoints: config.nbEndpoints,
    ...(config.nbTls ? { tls: config.nbTls } : {}),
    database: 'OVN_Northbound',
    log: mgr.log.child({ backend: 'ovn-nb' }),
  });
  const nb = new NbClient(ovsdb);
  const nbReady = ovsdb.monitor([...NbClient.monitoredTables]);
  nbReady.catch((err: unknown) => {
    mgr.log.error('monitoring the OVN northbound database failed', {
      error: err instanceof Error ? err.message : String(err),
    });
  });
  addVpcControllers(mgr, {
    nb,
    nbReady,
    ...(config.resyncPeriodMs !== undefined ? { resyncPeriodMs: config.resyncPeriodMs } : {}),
    ...(config.peerNamespaces ? { peerNamespaces: config.peerNamespaces } : {}),
    ...(config.statusBatchPeriodMs !== undefined
      ? { statusBatchPeriodMs: config.statusBatchPeriodMs }
      : {}),
  });
  mgr.onShutdown(() => ovsdb.close());
}

/** The VPC operator as kcloud-manager hosts it. */
export const vpcOperator: Operator<VpcOperatorConfig> = {
  name: 'vpc',
  rbac: vpcRbac,
  createFinalizer: vpcCreateFinalizer,
  flags: vpcFlags,
  configure: configureVpc,
  register: addVpcOperator,
};
