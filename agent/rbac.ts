// The agent's RBAC, from the rules in code: its heartbeat Lease (a Role in the hosts namespace)
// and, cluster-wide, its Host and what its host modules need. The admission policy
// (access/host-policy.ts) narrows every write to the agent's own host's objects.
import type { PolicyRule } from '../controllers/manager/index.ts';
import { agentRules } from './heartbeat/rbac.ts';
import { hostModules } from './host-modules.ts';
import { hostRules } from './host/rbac.ts';
import type { HostModule } from './modules/index.ts';

/** In the hosts namespace: the heartbeat Lease. */
export const agentLeaseRules: PolicyRule[] = agentRules;

/** Cluster-wide: the agent's Host, then each host module's rules. */
export function agentClusterRules(modules: readonly HostModule[] = hostModules): PolicyRule[] {
  return [...hostRules, ...modules.flatMap((m) => m.rbac)];
}
