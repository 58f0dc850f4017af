// Which records belong to a tenant: those about its projects (namespaces labelled with it or
// with one of its sub-tenants, as they are now), about those namespaces themselves, and about
// its own Tenant and Project objects and its sub-tenants'.
import type { ApiTransport } from '../../../controllers/kube/index.ts';
import { ObjectClient, type KubeObject } from '../../../controllers/kube/index.ts';
import { tenantLabel, Tenant, type TenantObject } from '../api/index.ts';
import { namespaceResource } from '../namespace-resource.ts';
import { TenantTree } from '../quota/tenant-tree.ts';
import type { AuditRecord } from './records.ts';

export interface TenantScope {
  /** The tenant and every tenant below it. */
  tenants: ReadonlySet<string>;
  namespaces: ReadonlySet<string>;
}

/** The tenant and all its descendants, from the parent links (cycles end where they close). */
export function subtree(root: string, tenants: readonly TenantObject[]): Set<string> {
  return new TenantTree(tenants).subtree(root);
}

export async function tenantScope(api: ApiTransport, tenant: string): Promise<TenantScope> {
  const tenantClient = new ObjectClient<TenantObject>(api, Tenant.resource);
  const all = (await tenantClient.list()).items;
  if (!all.some((t) => t.metadata.name === tenant)) throw new Error(`no Tenant ${tenant}`);
  const tenants = subtree(tenant, all);
  const namespaceClient = new ObjectClient<KubeObject>(api, namespaceResource);
  const selector = `${tenantLabel} in (${[...tenants].sort().join(',')})`;
  const namespaces = (await namespaceClient.list({ labelSelector: selector })).items.map(
    (n) => n.metadata.name ?? '',
  );
  return { tenants, namespaces: new Set(namespaces) };
}

export function inScope(record: AuditRecord, scope: TenantScope): boolean {
  if (record.namespace !== undefined) return scope.namespaces.has(record.namespace);
  const name = record.name ?? '';
  switch (record.resource.replace(/\/.*$/, '')) {
    case 'namespaces':
    case 'projects.platform.kcloud.io':
      return scope.namespaces.has(name);
    case 'tenants.platform.kcloud.io':
      return scope.tenants.has(name);
    default:
      return false;
  }
}
