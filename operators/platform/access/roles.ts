// The ClusterRoles behind a TenantRoleBinding. Each role is an aggregated ClusterRole, as
// Kubernetes' own admin/edit/view are: its rules are the union of the fragments labelled for
// it, so a product added later extends every role by shipping its fragment, and a cluster
// administrator can add rules to a role with a labelled ClusterRole of their own.
import type { KindInfo } from '../../../controllers/api/index.ts';
import type { PolicyRule } from '../../../controllers/manager/index.ts';
import { tenantRoles, type TenantRole } from '../api/index.ts';
import { auditGroup, auditPlural, auditVerbs } from '../audit/api/index.ts';

/** The ClusterRole a TenantRoleBinding of this role binds in each project. */
export const tenantRoleName = (role: TenantRole) => `kcloud-tenant-${role}`;

/** What every tenant role may read outside the projects: the cloud's catalog. */
export const catalogRoleName = 'kcloud-tenant-catalog';

/** The label that adds a ClusterRole's rules to a tenant role. */
export const aggregateLabel = (role: TenantRole) =>
  `platform.kcloud.io/aggregate-to-tenant-${role}`;

/** Cluster-scoped kinds a tenant chooses from when it asks for something. */
export const catalogKinds = ['Flavor', 'VolumeType', 'EIPPool'] as const;

const read = ['get', 'list', 'watch'];
const write = ['create', 'update', 'patch', 'delete', 'deletecollection'];

interface ClusterRole {
  apiVersion: 'rbac.authorization.k8s.io/v1';
  kind: 'ClusterRole';
  metadata: { name: string; labels: Record<string, string> };
  aggregationRule?: { clusterRoleSelectors: { matchLabels: Record<string, string> }[] };
  rules: PolicyRule[];
}

const managedBy = { 'app.kubernetes.io/part-of': 'kcloud' };

function fragment(name: string, roles: readonly TenantRole[], rules: PolicyRule[]): ClusterRole {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: {
      name,
      labels: {
        ...managedBy,
        ...Object.fromEntries(roles.map((r) => [aggregateLabel(r), 'true'])),
      },
    },
    rules,
  };
}

/** One rule per API group, its resources sorted: stable output for the generated file. */
function byGroup(kinds: readonly KindInfo[], verbs: string[]): PolicyRule[] {
  const groups = new Map<string, string[]>();
  for (const k of kinds) groups.set(k.group, [...(groups.get(k.group) ?? []), k.plural]);
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([group, plurals]) => ({ apiGroups: [group], resources: [...plurals].sort(), verbs }));
}

/** The tenant roles and their fragments, for the cloud's kinds. */
export function tenantClusterRoles(kinds: readonly KindInfo[]): ClusterRole[] {
  const namespaced = kinds.filter((k) => k.resource.namespaced);
  const catalog = kinds.filter((k) => (catalogKinds as readonly string[]).includes(k.kind));
  if (namespaced.length === 0) throw new Error('tenant roles need the namespaced kcloud kinds');
  return [
    ...tenantRoles.map((role): ClusterRole => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: tenantRoleName(role), labels: { ...managedBy } },
      aggregationRule: {
        clusterRoleSelectors: [{ matchLabels: { [aggregateLabel(role)]: 'true' } }],
      },
      // Filled in by the API server's aggregation from the fragments below.
      rules: [],
    })),
    fragment(
      'kcloud-tenant-read',
      ['admin', 'member', 'viewer', 'auditor'],
      [
        ...byGroup(namespaced, read),
        { apiGroups: [''], resources: ['events'], verbs: read },
        { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: read },
      ],
    ),
    fragment(
      'kcloud-tenant-write',
      ['admin', 'member'],
      [
        ...byGroup(namespaced, write),
        // Instances take their VNC password and user-data from Secrets of their project.
        { apiGroups: [''], resources: ['secrets'], verbs: [...read, ...write] },
      ],
    ),
    // The audit view of the projects (docs/audit.md): who did what there.
    fragment(
      'kcloud-tenant-audit',
      ['admin', 'auditor'],
      [{ apiGroups: [auditGroup], resources: [auditPlural], verbs: auditVerbs }],
    ),
    fragment(
      'kcloud-tenant-access',
      ['admin'],
      [
        {
          apiGroups: ['rbac.authorization.k8s.io'],
          resources: ['roles', 'rolebindings'],
          verbs: [...read, ...write],
        },
      ],
    ),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: catalogRoleName, labels: { ...managedBy } },
      rules: byGroup(catalog, read),
    },
  ];
}
