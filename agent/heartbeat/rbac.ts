import type { PolicyRule } from '../../controllers/manager/index.ts';

/** In the hosts namespace, the agent renews its host's heartbeat Lease and does nothing else. */
export const agentRules: PolicyRule[] = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
];
