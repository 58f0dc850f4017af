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

import { Host } from './host.ts';

/** Every kind of the ECS product, for the CRD generator and RBAC. */
export const ecsKinds = [Host] as const;
