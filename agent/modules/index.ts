// The interface products implement to run on every host, and what helps them do it.
export {
  boundByLabel,
  labelOf,
  type HostBoundResource,
  type HostModule,
  type HostModuleContext,
} from '../../controllers/host/index.ts';
export { hostLabel, simulatedLabel } from '../../operators/ecs/api/index.ts';
export { hostScope } from '../host/names.ts';
