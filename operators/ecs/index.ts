// The ECS operator: hosts today (their lifecycle from the agents' heartbeats); instances and
// their scheduling onto hosts next.
import type { Operator, PolicyRule } from '../../controllers/manager/index.ts';
import { Host } from './api/index.ts';
import { addHostLifecycleController } from './controller/host-lifecycle.ts';
import { configureEcs, ecsFlags, type EcsOperatorConfig } from './flags.ts';

export * from './api/index.ts';
export {
  addHostLifecycleController,
  hostLifecycleControllerName,
  hostLifecycleFieldManager,
  hostLifecycleReconciler,
  hostResource,
  leaseUpdateMatters,
  type HostLifecycleOptions,
} from './controller/host-lifecycle.ts';
export {
  heartbeatDeadline,
  hostLifecycle,
  type HostLifecycle,
  type HostLifecycleInput,
} from './controller/host-lifecycle-status.ts';
export { configureEcs, ecsFlags, type EcsOperatorConfig } from './flags.ts';

/** Hosts' status, and reading the heartbeat Leases (they live in the hosts namespace). */
export const ecsRbac: PolicyRule[] = [
  { apiGroups: [Host.group], resources: [Host.plural], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [Host.group], resources: [`${Host.plural}/status`], verbs: ['patch'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch'] },
];

/** The ECS operator as kcloud-manager hosts it. */
export const ecsOperator: Operator<EcsOperatorConfig> = {
  name: 'ecs',
  rbac: ecsRbac,
  flags: ecsFlags,
  configure: configureEcs,
  register: (mgr, config) => {
    addHostLifecycleController(mgr, {
      hostsNamespace: config.hostsNamespace,
      gracePeriodMs: config.hostGracePeriodMs,
    });
  },
};
