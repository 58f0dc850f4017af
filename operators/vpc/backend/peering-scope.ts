// What a VPCPeering reads of other namespaces. A manager watching every namespace sees every
// VPC and VPCPeering; one scoped to a tenant's namespace also reads those of the namespaces it
// is told peers live in (each tenant's manager reading the other's), through informers of
// their own. Lookups go to the cache of the object's namespace.
import type { Cache } from '../../../controllers/informer/index.ts';
import type { KubeObject } from '../../../controllers/kube/index.ts';

export interface ScopedCaches<T extends KubeObject> {
  get(key: string): T | undefined;
  inNamespace(namespace: string): T[];
  byIndex(index: string, value: string): T[];
}

/**
 * One view over the manager's own cache and those of other namespaces: `others` maps a
 * namespace to the cache holding it; every other namespace is in `own`.
 */
export function scopedCaches<T extends KubeObject>(
  own: Cache<T>,
  others: ReadonlyMap<string, Cache<T>>,
): ScopedCaches<T> {
  const of = (namespace: string) => others.get(namespace) ?? own;
  return {
    get: (key) => of(key.slice(0, key.indexOf('/'))).get(key),
    inNamespace: (namespace) => of(namespace).inNamespace(namespace),
    byIndex: (index, value) => [own, ...others.values()].flatMap((c) => c.byIndex(index, value)),
  };
}
