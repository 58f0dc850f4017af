// The EVS operator: block storage. In kcloud-manager it keeps pools' and types' status and
// places volumes, snapshots, images and operations on hosts; the agent on each host makes
// them real in the pool. This is the manager's side; the host's side has its own boundary,
// operators/evs/handler/index.ts, so that neither program loads the other's code.
import { reconcilerRules, type Operator } from '../../controllers/manager/index.ts';
import { Host, Image } from '../ecs/index.ts';
import { evsKinds } from './api/index.ts';
import { addEvsControllers } from './controller/evs-controllers.ts';

export * from './api/index.ts';
export { addEvsControllers, evsDataFinalizer, evsFinalizer } from './controller/evs-controllers.ts';

/** EVS kinds and Images (whose data the storage product keeps), and reading Hosts. */
export const evsRbac = [
  ...reconcilerRules(
    'evs.kcloud.io',
    evsKinds.map((k) => k.plural),
  ),
  ...reconcilerRules(Image.group, [Image.plural]),
  { apiGroups: [Host.group], resources: [Host.plural], verbs: ['get', 'list', 'watch'] },
];

/** The EVS operator as kcloud-manager hosts it. */
export const evsOperator: Operator<Record<string, never>> = {
  name: 'evs',
  rbac: evsRbac,
  flags: {},
  configure: () => ({}),
  register: (mgr) => {
    addEvsControllers(mgr);
  },
};
