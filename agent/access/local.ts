import { agentRules } from '../heartbeat/rbac.ts';
import { agentHostPolicy, type HostPolicyOptions } from './host-policy.ts';
import { agentGroup } from './identity.ts';

/**
 * What an agent needs in a cluster without the chart (`make demo`, the integration tests): the
 * hosts namespace, the agent's Role there bound to every client-certificate agent
 * (`kcloud:agents`) and to `serviceAccounts`, and the admission policy that confines each agent
 * to its own host. The chart makes the same from the same code (charts/kcloud/files/).
 */
export function agentAccessManifests(opts: HostPolicyOptions): object[] {
  const name = opts.name;
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: opts.hostsNamespace } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name, namespace: opts.hostsNamespace },
      rules: agentRules,
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace: opts.hostsNamespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [
        { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: agentGroup },
        ...opts.serviceAccounts.map((user) => {
          const [, , namespace, sa] = user.split(':');
          return { kind: 'ServiceAccount', name: sa, namespace };
        }),
      ],
    },
    ...agentHostPolicy(opts),
  ];
}
