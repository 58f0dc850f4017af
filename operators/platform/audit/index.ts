export { auditPolicy, writeVerbs, type AuditPolicy, type AuditPolicyRule } from './policy.ts';
export { readAuditView, type AuditView } from './audit-view.ts';
export type { AuditRecord } from './records.ts';
export { inScope, subtree, tenantScope, type TenantScope } from './scope.ts';
export { table, timeBound, type ViewFilter } from './view.ts';
