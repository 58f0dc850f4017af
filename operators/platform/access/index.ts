// Tenant access: the tenant roles (aggregated ClusterRoles the chart installs) and the
// controller that grants them in a tenant's projects for each TenantRoleBinding.
import type { Operator } from '../../../controllers/manager/index.ts';
import { reconcilerRules } from '../../../controllers/manager/index.ts';
import { Tenant, TenantRoleBinding, tenantRoles } from '../api/index.ts';
import { catalogRoleName, tenantRoleName } from './roles.ts';
import { addTenantAccessController } from './tenant-role-binding-controller.ts';

export {
  aggregateLabel,
  catalogKinds,
  catalogRoleName,
  tenantClusterRoles,
  tenantRoleName,
} from './roles.ts';
export { bindingName, bindingOwnerLabel, desiredBindings } from './desired-bindings.ts';
export {
  addTenantAccessController,
  platformCleanupFinalizer,
  tenantAccessControllerName,
} from './tenant-role-binding-controller.ts';

/**
 * TenantRoleBindings; reading Tenants and the projects' namespaces; the bindings it makes. To
 * bind a role it does not hold itself, the manager is allowed to `bind` exactly the tenant
 * roles and the catalog role, nothing else (RBAC's escalation check).
 */
export const tenantAccessRbac = [
  ...reconcilerRules('platform.kcloud.io', [TenantRoleBinding.plural]),
  {
    apiGroups: ['platform.kcloud.io'],
    resources: [Tenant.plural],
    verbs: ['get', 'list', 'watch'],
  },
  { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] },
  {
    apiGroups: ['rbac.authorization.k8s.io'],
    resources: ['rolebindings', 'clusterrolebindings'],
    verbs: ['get', 'list', 'watch', 'create', 'delete'],
  },
  {
    apiGroups: ['rbac.authorization.k8s.io'],
    resources: ['clusterroles'],
    verbs: ['bind'],
    resourceNames: [...tenantRoles.map(tenantRoleName), catalogRoleName],
  },
];

/** Tenant access as kcloud-manager hosts it. */
export const tenantAccessOperator: Operator = {
  name: 'tenant-access',
  rbac: tenantAccessRbac,
  flags: {},
  configure: () => undefined,
  register: (mgr) => {
    addTenantAccessController(mgr);
  },
};
