import type { PolicyRule } from '../../controllers/manager/index.ts';

/** The agent renews its host's heartbeat Lease in its own namespace, and does nothing else. */
export const agentRules: PolicyRule[] = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
];
