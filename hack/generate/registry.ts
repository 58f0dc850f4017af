// Everything `npm run generate` writes, from the code: the kinds, the chart's RBAC and
// admission policy, the tenant roles and the audit policy. The generator and its test both
// start here, so the test checks exactly what the generator writes.
import { productKinds, testKinds } from '../../operators/kinds.ts';
import { tenantClusterRoles } from '../../operators/platform/access/index.ts';
import { auditPolicy } from '../../operators/platform/audit/index.ts';
import type { Registry } from './generate.ts';
import { chartAdmission, chartRules } from './rbac.ts';

export function kcloudRegistry(): Registry {
  return {
    productKinds,
    testKinds,
    chartRules: chartRules(),
    chartAdmission: chartAdmission(),
    auditPolicy: auditPolicy(productKinds.map((k) => k.group)),
    tenantRoles: tenantClusterRoles(productKinds),
  };
}
