import type { Informer } from '../informer/index.ts';
import type { KubeObject } from '../kube/index.ts';
import type { Watch } from '../reconcile/index.ts';

/**
 * A watch of another kind, typed by that kind. `onlyWhen` limits the updates that are mapped:
 * most dependents care about the other object's spec and readiness only
 * (specOrReadinessChanged), and mapping its status churn too would turn one change into a
 * reconcile of every dependent.
 */
export function watch<T extends KubeObject>(
  informer: Informer<T>,
  map: (obj: T) => string[],
  onlyWhen?: (oldObj: T, newObj: T) => boolean,
): Watch {
  return {
    informer: informer as unknown as Informer<KubeObject>,
    map: map as (obj: KubeObject) => string[],
    ...(onlyWhen ? { shouldMapUpdate: onlyWhen as (o: KubeObject, n: KubeObject) => boolean } : {}),
  };
}
