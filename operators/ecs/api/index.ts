export {
  agentReadyCondition,
  fencedCondition,
  Host,
  hostLabel,
  schedulableCondition,
  simulatedLabel,
  topologyLabels,
  type HostObject,
  type HostSpec,
  type HostStatus,
} from './host.ts';
export { Image, imagePhases, type ImageObject, type ImageSpec, type ImageStatus } from './image.ts';
export { Flavor, type FlavorObject, type FlavorSpec, type FlavorStatus } from './flavor.ts';
export {
  Instance,
  instancePhases,
  maxDataVolumes,
  maxNetworkInterfaces,
  maxUserDataBytes,
  userDataCopyKey,
  userDataCopyName,
  vncPasswordCopyName,
  vncPasswordPattern,
  vncPasswordSecretKey,
  vncPasswordSecretName,
  scheduledCondition,
  provisionedCondition,
  networkFencedCondition,
  guestAgentConnectedCondition,
  restartRequiredCondition,
  vmAgentFieldManager,
  vmAgentStatusFields,
  ecsFinalizer,
  vmFinalizer,
  type InstanceObject,
  type InstanceSpec,
  type InstanceStatus,
} from './instance.ts';
export {
  executedCondition,
  InstanceOperation,
  instanceActions,
  instanceOperationPhases,
  operationEnded,
  operationFailureReasons,
  pendingRebuildOf,
  rebuildingReason,
  resetPasswordSecretKey,
  resetPasswordSecretName,
  type InstanceOperationObject,
  type InstanceOperationSpec,
  type InstanceOperationStatus,
  type RebuildProgress,
} from './instance-operation.ts';
export {
  DeploymentSet,
  maxPlacementEntries,
  spreadCondition,
  type DeploymentSetObject,
  type DeploymentSetSpec,
  type DeploymentSetStatus,
} from './deployment-set.ts';
export { MiB, maxMemoryBytes, maxVcpus, minMemoryBytes, topologyValues } from './compute-schema.ts';

import { DeploymentSet } from './deployment-set.ts';
import { Flavor } from './flavor.ts';
import { Host } from './host.ts';
import { Instance } from './instance.ts';
import { InstanceOperation } from './instance-operation.ts';

/** Every kind of the ECS product, for the CRD generator and RBAC (Image is EVS's to import). */
export const ecsKinds = [Host, Flavor, Instance, InstanceOperation, DeploymentSet] as const;
