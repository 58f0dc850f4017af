// The RoleBindings (one per project of the tenant's subtree) and the ClusterRoleBinding (the
// catalog) a TenantRoleBinding stands for, labelled with it so that what it made can be found,
// corrected and removed.
import type { TenantRoleBindingObject } from '../api/index.ts';
import { catalogRoleName, tenantRoleName } from './roles.ts';

/** Labels every binding a TenantRoleBinding made with the TenantRoleBinding's name. */
export const bindingOwnerLabel = 'platform.kcloud.io/tenant-role-binding';

export interface Subject {
  kind: string;
  name: string;
  namespace?: string;
  apiGroup?: string;
}

export interface Binding {
  apiVersion: 'rbac.authorization.k8s.io/v1';
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  metadata: { name: string; namespace?: string; labels: Record<string, string> };
  roleRef: { apiGroup: 'rbac.authorization.k8s.io'; kind: 'ClusterRole'; name: string };
  subjects: Subject[];
}

/** The name of every binding made for a TenantRoleBinding. */
export const bindingName = (trb: string) => `kcloud-tenant-${trb}`;

function subjects(trb: TenantRoleBindingObject): Subject[] {
  return trb.spec.subjects.map((s) =>
    s.kind === 'ServiceAccount'
      ? { kind: s.kind, name: s.name, namespace: s.namespace ?? '' }
      : { kind: s.kind, name: s.name, apiGroup: 'rbac.authorization.k8s.io' },
  );
}

export function desiredBindings(
  trb: TenantRoleBindingObject,
  namespaces: readonly string[],
): Binding[] {
  const name = bindingName(trb.metadata.name ?? '');
  const labels = { [bindingOwnerLabel]: trb.metadata.name ?? '' };
  const common = {
    apiVersion: 'rbac.authorization.k8s.io/v1' as const,
    subjects: subjects(trb),
  };
  return [
    ...[...namespaces].sort().map((namespace): Binding => ({
      ...common,
      kind: 'RoleBinding',
      metadata: { name, namespace, labels },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: tenantRoleName(trb.spec.role),
      },
    })),
    {
      ...common,
      kind: 'ClusterRoleBinding',
      metadata: { name, labels },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: catalogRoleName,
      },
    },
  ];
}

/** Whether a stored binding grants what the desired one does (roleRef cannot be changed). */
export function sameGrant(
  // A stored binding may have no subjects at all.
  stored: Pick<Binding, 'roleRef'> & { subjects?: Subject[] },
  want: Binding,
): boolean {
  const key = (s: Subject) => `${s.kind}/${s.namespace ?? ''}/${s.name}`;
  return (
    stored.roleRef.name === want.roleRef.name &&
    JSON.stringify((stored.subjects ?? []).map(key).sort()) ===
      JSON.stringify(want.subjects.map(key).sort())
  );
}
