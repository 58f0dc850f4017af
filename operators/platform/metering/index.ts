// Metering: usage records (CDR files) per object, dimension and period, and usage metrics per
// tenant. An operator of its own in kcloud-manager (--operators=metering).
import type { Operator, PolicyRule } from '../../../controllers/manager/index.ts';
import { Flavor } from '../../ecs/api/index.ts';
import { VolumeType } from '../../evs/api/index.ts';
import { meteredKinds } from './dimensions.ts';
import { configureMetering, meteringFlags, type MeteringOperatorConfig } from './flags.ts';
import { addMetering } from './metering-controller.ts';
import { meteringCreateFinalizer } from './admission-policy.ts';

export {
  addFinalizerPatch,
  meteringCreateFinalizer,
  meteringFinalizerPolicy,
  type MeteringPolicyOptions,
} from './admission-policy.ts';
export { CdrFiles, readRecords } from './cdr-files.ts';
export { meteredKinds, type MeteredKind, type MeteringLookups, type Usage } from './dimensions.ts';
export { configureMetering, meteringFlags, type MeteringOperatorConfig } from './flags.ts';
export { Meter, type MeteredObject, type MeterOptions } from './meter.ts';
export {
  addMetering,
  meteringFinalizer,
  settleMs,
  type MeteringOptions,
} from './metering-controller.ts';
export { endedPeriods, overlapMs, periodAt, periodName, type Period } from './periods.ts';
export { recordId, type UsageRecord } from './records.ts';
export { rollUp, type Rollup, type RollupRow } from './rollup.ts';

const groups = [...new Set(meteredKinds.map((k) => k.resource.group))];

/**
 * The metered kinds: read, watched and patched (the finalizer); what sizes them (Flavors,
 * VolumeTypes) and namespaces (their tenant label): read and watched.
 */
export const meteringRbac: PolicyRule[] = [
  ...groups.map((group) => ({
    apiGroups: [group],
    resources: meteredKinds.filter((k) => k.resource.group === group).map((k) => k.resource.plural),
    verbs: ['get', 'list', 'watch', 'patch'],
  })),
  { apiGroups: [Flavor.group], resources: [Flavor.plural], verbs: ['get', 'list', 'watch'] },
  {
    apiGroups: [VolumeType.group],
    resources: [VolumeType.plural],
    verbs: ['get', 'list', 'watch'],
  },
  { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] },
];

export const meteringOperator: Operator<MeteringOperatorConfig> = {
  name: 'metering',
  rbac: meteringRbac,
  createFinalizer: meteringCreateFinalizer,
  flags: meteringFlags,
  configure: configureMetering,
  register: (mgr, config) => {
    addMetering(mgr, { dir: config.dir, periodMs: config.periodMs });
  },
};
