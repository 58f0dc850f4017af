import type { PolicyRule } from '../../controllers/manager/index.ts';

/**
 * In the hosts namespace, the agent renews its host's heartbeat Lease and reads the Secrets
 * that hold what every host needs to reach a storage pool (an RBD pool's cephx key): Secrets
 * there and nowhere else, so no tenant's Secret is within an agent's reach.
 */
export const agentRules: PolicyRule[] = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
  { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
];
