// The ECS operator: hosts (their lifecycle from the agents' heartbeats) and instances: what
// they are made of in other products (boot Volume, NetworkInterfaces, VolumeAttachments) and
// their scheduling onto hosts. The VM itself is the host agent's.
import {
  reconcilerRules,
  type Operator,
  type PolicyRule,
} from '../../controllers/manager/index.ts';
import { StoragePool, Volume, VolumeAttachment, VolumeOperation } from '../evs/api/index.ts';
import { DeploymentSet, Flavor, Host, Image, Instance, InstanceOperation } from './api/index.ts';
import { addHostLifecycleController } from './controller/host-lifecycle.ts';
import { addEvacuationController } from './controller/evacuation/index.ts';
import { addDeploymentSetController } from './controller/deployment-set/index.ts';
import { addInstanceController } from './controller/instance/instance-controller.ts';
import { addInstanceOperationController } from './controller/operation/index.ts';
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
export {
  configureEcs,
  defaultSchedulerWorkers,
  ecsFlags,
  type EcsOperatorConfig,
} from './flags.ts';
export {
  addDeploymentSetController,
  deploymentSetControllerName,
  setSpread,
} from './controller/deployment-set/index.ts';
export {
  addEvacuationController,
  evacuationControllerName,
  type EvacuationOptions,
} from './controller/evacuation/index.ts';
export {
  addInstanceOperationController,
  operationControllerName,
  operationUidLabel,
} from './controller/operation/index.ts';
export {
  addInstanceController,
  instanceControllerName,
} from './controller/instance/instance-controller.ts';

/**
 * Hosts' status and the heartbeat Leases; the ECS kinds; reading what instances are made from;
 * making their boot Volumes, NetworkInterfaces and VolumeAttachments (deleting an attachment
 * detaches a disk that left the spec); the VolumeOperation that re-makes a rebuilt instance's
 * boot volume; the status of DeploymentSets; and a reset-password's password: read from the
 * tenant's Secret, copied to the hosts namespace for the host's agent, deleted there when the
 * operation ends.
 */
export const ecsRbac: PolicyRule[] = [
  { apiGroups: [Host.group], resources: [Host.plural], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [Host.group], resources: [`${Host.plural}/status`], verbs: ['patch'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch'] },
  ...reconcilerRules(Instance.group, [Instance.plural, InstanceOperation.plural]),
  {
    apiGroups: [Instance.group],
    resources: [Flavor.plural, DeploymentSet.plural, Image.plural],
    verbs: ['get', 'list', 'watch'],
  },
  { apiGroups: [Instance.group], resources: [`${DeploymentSet.plural}/status`], verbs: ['patch'] },
  { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'create', 'delete'] },
  {
    apiGroups: [StoragePool.group],
    resources: [StoragePool.plural],
    verbs: ['get', 'list', 'watch'],
  },
  {
    apiGroups: [Volume.group],
    resources: [Volume.plural],
    verbs: ['get', 'list', 'watch', 'create', 'patch'],
  },
  {
    apiGroups: [VolumeAttachment.group],
    resources: [VolumeAttachment.plural],
    verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'],
  },
  {
    apiGroups: [VolumeOperation.group],
    resources: [VolumeOperation.plural],
    verbs: ['get', 'list', 'watch', 'create'],
  },
  {
    apiGroups: ['vpc.kcloud.io'],
    resources: ['networkinterfaces'],
    verbs: ['get', 'list', 'watch', 'create', 'patch'],
  },
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
    addEvacuationController(mgr, {
      hostsNamespace: config.hostsNamespace,
      heartbeatGraceMs: config.hostGracePeriodMs,
      evacuationGraceMs: config.evacuationGraceMs,
    });
    addInstanceController(mgr, {
      policy: config.schedulingPolicy,
      hostsNamespace: config.hostsNamespace,
      workers: config.schedulerWorkers,
    });
    addInstanceOperationController(mgr, { hostsNamespace: config.hostsNamespace });
    addDeploymentSetController(mgr);
  },
};
