// The tenants the audit tests act in: fin with payroll below it, and hr; a project of each
// (a namespace labelled with its tenant).
import { stringify } from 'yaml';
import { tenantLabel } from '../../../operators/platform/api/index.ts';

export const auditProjects = [
  ['fin-main', 'fin'],
  ['pay-main', 'payroll'],
  ['hr-main', 'hr'],
] as const;

export async function makeAuditTenants(
  k: (args: string[], input?: string) => Promise<unknown>,
): Promise<void> {
  await k(
    ['apply', '-f', '-'],
    [{ name: 'fin' }, { name: 'payroll', parent: 'fin' }, { name: 'hr' }]
      .map((t) =>
        stringify({
          apiVersion: 'platform.kcloud.io/v1alpha1',
          kind: 'Tenant',
          metadata: { name: t.name },
          spec: t.parent ? { parentRef: { name: t.parent } } : {},
        }),
      )
      .join('---\n'),
  );
  for (const [ns, tenant] of auditProjects) {
    await k(['create', 'namespace', ns]);
    await k(['label', 'namespace', ns, `${tenantLabel}=${tenant}`]);
  }
}
