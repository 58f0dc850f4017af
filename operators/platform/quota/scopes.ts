// Which Quotas govern a namespace (its project's, its tenant's and every ancestor's, nearest
// first), and which namespaces a Quota's scope holds.
import { tenantLabel, type QuotaObject } from '../api/index.ts';
import type { TenantTree } from './tenant-tree.ts';

export interface NamespaceInfo {
  name: string;
  labels?: Record<string, string>;
}

export const tenantOf = (ns: NamespaceInfo | undefined): string | undefined =>
  ns?.labels?.[tenantLabel] || undefined;

/** How a refusal or a condition names a quota's scope. */
export function scopeName(q: QuotaObject): string {
  return q.spec.tenantRef
    ? `tenant ${q.spec.tenantRef.name}`
    : `project ${q.spec.projectRef?.name ?? ''}`;
}

/**
 * The quotas on the path from a project to the root, nearest first; undefined when the
 * namespace is no project. A broken tenant path (cycle, missing parent) stops at the break.
 */
export function quotasOnPath(
  ns: NamespaceInfo | undefined,
  tree: TenantTree,
  quotas: readonly QuotaObject[],
): QuotaObject[] | undefined {
  const tenant = tenantOf(ns);
  if (!ns || tenant === undefined) return undefined;
  const path = tree.pathOf(tenant);
  const tenants = path.ok ? [...path.path].reverse() : [tenant];
  return [
    ...quotas.filter((q) => q.spec.projectRef?.name === ns.name),
    ...tenants.flatMap((t) => quotas.filter((q) => q.spec.tenantRef?.name === t)),
  ];
}

/** The namespaces a quota limits. */
export function namespacesOf(
  q: QuotaObject,
  tree: TenantTree,
  namespaces: readonly NamespaceInfo[],
): Set<string> {
  if (q.spec.projectRef) {
    const ns = namespaces.find((n) => n.name === q.spec.projectRef?.name);
    return new Set(tenantOf(ns) !== undefined && ns ? [ns.name] : []);
  }
  return namespacesOfTenant(q.spec.tenantRef?.name ?? '', tree, namespaces);
}

/** The projects of a tenant and of every tenant below it. */
export function namespacesOfTenant(
  tenant: string,
  tree: TenantTree,
  namespaces: readonly NamespaceInfo[],
): Set<string> {
  const tenants = tree.subtree(tenant);
  return new Set(namespaces.filter((n) => tenants.has(tenantOf(n) ?? '\0')).map((n) => n.name));
}
