// The RBAC each part of kcloud-manager needs, from the rules in code: `node
// hack/generate/rbac.ts` prints the table that docs/rbac.md carries (a unit test keeps the
// two equal).
import { fileURLToPath } from 'node:url';
import {
  managerEventRules,
  managerLeaderElectionRules,
  type PolicyRule,
} from '../../controllers/manager/index.ts';
import { agentHostPolicy } from '../../agent/access/index.ts';
import { hostModuleResources } from '../../agent/host-modules.ts';
import { agentClusterRules, agentLeaseRules } from '../../agent/rbac.ts';
import { createFinalizerOperators, operators } from '../../operators/manager/operators.ts';
import { chartWebhookConfiguration } from '../../operators/platform/index.ts';
import { finalizerPolicy } from '../../controllers/admission/index.ts';

export interface RbacEntry {
  component: string;
  scope: string;
  rules: PolicyRule[];
}

export function rbacEntries(): RbacEntry[] {
  return [
    {
      component: 'kcloud-manager (leader election)',
      scope: 'Role in the leader-election namespace',
      rules: managerLeaderElectionRules,
    },
    {
      component: 'kcloud-manager (events)',
      scope: 'ClusterRole, or Role per watched namespace',
      rules: managerEventRules,
    },
    ...operators.map((op) => ({
      component: `operator ${op.name}${op.testOnly ? ' (test only)' : ''}`,
      scope: 'ClusterRole, or Role per watched namespace',
      rules: op.rbac,
    })),
    {
      component: 'kcloud-agent',
      scope: "Role in the hosts namespace; admission: writes to its own host's Lease only",
      rules: agentLeaseRules,
    },
    {
      component: 'kcloud-agent (Host, host modules)',
      scope:
        'ClusterRole; admission: its own Host (not its spec) and objects labelled with its host only',
      rules: agentClusterRules(),
    },
  ];
}

/**
 * The rules the Helm chart grants, one file per part (charts/kcloud/files/rbac/, written by
 * `npm run generate`): the chart's templates read them, so they cannot drift from the code.
 */
export function chartRules(): { name: string; rules: PolicyRule[] }[] {
  return [
    { name: 'manager-leader-election', rules: managerLeaderElectionRules },
    { name: 'manager-events', rules: managerEventRules },
    ...operators
      .filter((op) => !op.testOnly)
      .map((op) => ({ name: `operators/${op.name}`, rules: op.rbac })),
    { name: 'agent', rules: agentLeaseRules },
    { name: 'agent-cluster', rules: agentClusterRules() },
  ];
}

/**
 * The admission policy that confines each agent to its own host's objects, as the chart renders
 * it (charts/kcloud/files/admission/, written by `npm run generate`): the placeholders are filled
 * in by the chart's `tpl` with the release's names.
 */
export function chartAdmission(): { name: string; objects: object[] }[] {
  return [
    {
      name: 'agent-host',
      objects: agentHostPolicy({
        name: '{{ .name }}',
        hostsNamespace: '{{ .hostsNamespace }}',
        serviceAccounts: ['{{ .agentServiceAccount }}'],
        hostBound: hostModuleResources(),
      }),
    },
    // The quota webhook's configuration, for kcloud to fill in its CA bundle.
    { name: 'quota-webhook', objects: [chartWebhookConfiguration()] },
    // Each operator's finalizer put on at create (templates/create-finalizers.yaml), for the
    // namespaces the manager watches.
    ...createFinalizerOperators.map((o) => ({
      name: `${o.name}-finalizer`,
      objects: finalizerPolicy(o.createFinalizer, { name: '{{ .name }}' }),
    })),
  ];
}

export function renderRbacTable(entries: RbacEntry[] = rbacEntries()): string {
  const rows = entries.flatMap((e) =>
    e.rules.map(
      (r) =>
        `| ${e.component} | ${r.apiGroups.map((g) => `\`${g || 'core'}\``).join(', ')} | ${r.resources.map((x) => `\`${x}\``).join(', ')}${r.resourceNames ? ` named ${r.resourceNames.map((n) => `\`${n}\``).join(', ')}` : ''} | ${r.verbs.join(', ')} | ${e.scope} |`,
    ),
  );
  return [
    '| component | API groups | resources | verbs | granted by |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(renderRbacTable());
}
