// The host modules this agent runs; each product adds itself here with one line and brings its
// own flags, settings, RBAC and host-bound kinds (controllers/host/host-module.ts).
import type { HostBoundResource } from './access/host-policy.ts';
import { ecsHostModule } from '../operators/ecs/handler/index.ts';
import { evsHostModule } from '../operators/evs/handler/index.ts';
import type { HostModule } from './modules/index.ts';

export const hostModules: readonly HostModule[] = [evsHostModule, ecsHostModule];

/** Every module's host-bound kinds, for the admission policy. */
export function hostModuleResources(
  modules: readonly HostModule[] = hostModules,
): HostBoundResource[] {
  return modules.flatMap((m) => m.hostBound);
}
