import { hostModuleResources, hostModules } from '../host-modules.ts';
import type { HostModule } from '../modules/index.ts';
import { agentClusterRules, agentLeaseRules } from '../rbac.ts';
import { agentHostPolicy, type HostPolicyOptions } from './host-policy.ts';
import { agentGroup, simulatorGroup } from './identity.ts';

export interface AgentAccessOptions extends Omit<HostPolicyOptions, 'hostBound'> {
  /** The host modules whose RBAC and host-bound kinds are granted; default every module. */
  modules?: readonly HostModule[];
}

/**
 * What an agent needs in a cluster without the chart (`make demo`, the integration tests): the
 * hosts namespace, the agent's Role there and its ClusterRole (its Host, its modules' kinds),
 * bound to every client-certificate agent (`kcloud:agents`), every host simulator
 * (`kcloud:simulators`) and `serviceAccounts`, and the admission policy that confines each to
 * its own host(s). The chart makes the same from the same code (charts/kcloud/files/), for its
 * service account only.
 */
export function agentAccessManifests(opts: AgentAccessOptions): object[] {
  const { modules = hostModules, ...policy } = opts;
  const name = opts.name;
  const subjects = [
    { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: agentGroup },
    { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: simulatorGroup },
    ...opts.serviceAccounts.map((user) => {
      const [, , namespace, sa] = user.split(':');
      return { kind: 'ServiceAccount', name: sa, namespace };
    }),
  ];
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: opts.hostsNamespace } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name, namespace: opts.hostsNamespace },
      rules: agentLeaseRules,
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace: opts.hostsNamespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects,
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name },
      rules: agentClusterRules(modules),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects,
    },
    ...agentHostPolicy({ ...policy, hostBound: hostModuleResources(modules) }),
  ];
}
