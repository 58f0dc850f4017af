export {
  agentReadyCondition,
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

import { Host } from './host.ts';

/** Every kind of the ECS product, for the CRD generator and RBAC. */
export const ecsKinds = [Host] as const;
