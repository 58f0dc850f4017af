import type { PolicyRule } from '../../controllers/manager/index.ts';
import { Host } from '../../operators/ecs/api/index.ts';

/**
 * The agent registers its Host and reports its status; the admission policy narrows every
 * write to its own host's Host (and keeps it from changing the spec: cordoning is not its).
 */
export const hostRules: PolicyRule[] = [
  {
    apiGroups: [Host.group],
    resources: [Host.plural],
    verbs: ['get', 'list', 'watch', 'create', 'patch'],
  },
  { apiGroups: [Host.group], resources: [`${Host.plural}/status`], verbs: ['patch'] },
  // Events about the objects it works on; admission keeps them to ones it reports itself.
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
];
