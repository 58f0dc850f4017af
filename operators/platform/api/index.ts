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

import { Project } from './project.ts';
import { Quota } from './quota.ts';
import { Tenant } from './tenant.ts';

/** Every kind of the platform, for the CRD generator and RBAC. */
export const platformKinds = [Tenant, Project, Quota] as const;
