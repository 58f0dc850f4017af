/** An RBAC rule, as in rbac.authorization.k8s.io/v1 PolicyRule. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  /** Only these objects of the resources (RBAC's resourceNames). */
  resourceNames?: string[];
}

/**
 * What the manager itself needs, whatever operators it hosts: the leader-election Lease (in its
 * own namespace) and events about the objects it reconciles.
 */
export const managerLeaderElectionRules: PolicyRule[] = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
];

export const managerEventRules: PolicyRule[] = [
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
];

/**
 * The rules an operator needs for the kinds it reconciles: read and watch them, patch them
 * (finalizers), and apply their status. Nothing else: no delete, no secrets.
 */
export function reconcilerRules(group: string, plurals: string[]): PolicyRule[] {
  return [
    { apiGroups: [group], resources: plurals, verbs: ['get', 'list', 'watch', 'patch'] },
    { apiGroups: [group], resources: plurals.map((p) => `${p}/status`), verbs: ['patch'] },
  ];
}
