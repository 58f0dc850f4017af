export { AuditApi, type AuditApiOptions } from './audit-api.ts';
export { apiService, apiServiceResource, type ServiceRef } from './api-service.ts';
export { frontProxyConfigMap } from './front-proxy.ts';
export {
  auditApiServiceName,
  auditGroup,
  auditGroupVersion,
  auditKind,
  auditPlural,
  auditVerbs,
} from './resource.ts';
