export {
  Project,
  tenantLabel,
  type ProjectObject,
  type ProjectSpec,
  type ProjectStatus,
} from './project.ts';
export {
  Quota,
  type QuotaObject,
  type QuotaSpec,
  type QuotaStatus,
  type Reservation,
  type ResourceListValue,
} from './quota.ts';
export { Tenant, type TenantObject, type TenantSpec, type TenantStatus } from './tenant.ts';
export {
  TenantRoleBinding,
  tenantRoles,
  type TenantRole,
  type TenantRoleBindingObject,
  type TenantRoleBindingSpec,
  type TenantRoleBindingStatus,
} from './tenant-role-binding.ts';

import { Project } from './project.ts';
import { Quota } from './quota.ts';
import { Tenant } from './tenant.ts';
import { TenantRoleBinding } from './tenant-role-binding.ts';

/** Every kind of the platform, for the CRD generator and RBAC. */
export const platformKinds = [Tenant, Project, Quota, TenantRoleBinding] as const;
