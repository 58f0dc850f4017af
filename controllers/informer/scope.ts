import type { KubeObject } from '../kube/index.ts';

/**
 * Which objects of a resource an informer holds: what a label selector asks the server for,
 * narrowed on this side by a filter when the exact selector would not fit in a request.
 */
export interface InformerScope {
  labelSelector: string;
  filter?: ScopeFilter;
}

export interface ScopeFilter {
  /**
   * Names what `accepts` lets through: informers are shared by scope, and two functions cannot
   * be compared, so equal ids must mean equal filters.
   */
  id: string;
  accepts(obj: KubeObject): boolean;
}

/** The scope's identity, for sharing one informer among those who ask for the same scope. */
export function scopeKey(scope: Partial<InformerScope>): string {
  const selector = scope.labelSelector ?? '';
  return scope.filter ? `${selector}#${scope.filter.id}` : selector;
}
