// The interface products implement to run on every host, and what helps them do it.
export type { HostModule, HostModuleContext } from './module.ts';
export { boundByLabel, labelOf, type HostBoundResource } from '../access/host-policy.ts';
export { hostLabel, simulatedLabel } from '../../operators/ecs/api/index.ts';
export { hostSelector } from '../host/names.ts';
