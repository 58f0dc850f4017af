// The EIP operator: external address pools and the EIPs bound to targets in tenants' VPCs.
import { reconcilerRules, type Operator } from '../../controllers/manager/index.ts';
import { NetworkInterface } from '../vpc/index.ts';
import { eipKinds } from './api/index.ts';
import { addEipControllers } from './controller/eip-operator.ts';

export * from './api/index.ts';
export {
  addEipControllers,
  eipFinalizer,
  type EipOperatorOptions,
} from './controller/eip-operator.ts';

/** EIP kinds, and reading the NetworkInterfaces EIPs are bound to. */
export const eipRbac = [
  ...reconcilerRules(
    'eip.kcloud.io',
    eipKinds.map((k) => k.plural),
  ),
  {
    apiGroups: [NetworkInterface.group],
    resources: [NetworkInterface.plural],
    verbs: ['get', 'list', 'watch'],
  },
];

/** The EIP operator as kcloud-manager hosts it. */
export const eipOperator: Operator<Record<string, never>> = {
  name: 'eip',
  rbac: eipRbac,
  flags: {},
  configure: () => ({}),
  register: (mgr) => {
    addEipControllers(mgr);
  },
};
