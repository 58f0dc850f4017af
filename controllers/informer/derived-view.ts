// A view derived from every object of an informer (what a scheduler reads of each Host), built
// once after a change rather than once per read: a decision reads all hosts, and 5,000 hosts
// must not be converted again for each of thousands of decisions. An update that leaves the
// derived value as it was (a Host's counters) keeps the view; any other change rebuilds it at
// the next read.
import { objectKey, type KubeObject } from '../kube/index.ts';
import type { Informer } from './informer.ts';

export interface DerivedView<V> {
  /** Every object's derived value, in the cache's order. */
  list(): readonly V[];
  /** One object's derived value, by its key in the cache (`name`, or `namespace/name`). */
  get(key: string): V | undefined;
}

export function derivedView<T extends KubeObject, V>(
  informer: Pick<Informer<T>, 'addHandler' | 'cache'>,
  derive: (obj: T) => V,
  /** Whether two derived values are the same for every reader; by default never. */
  same: (a: V, b: V) => boolean = () => false,
): DerivedView<V> {
  let built: { list: V[]; byKey: Map<string, V> } | undefined;
  const stale = () => {
    built = undefined;
  };
  informer.addHandler({
    onAdd: stale,
    onDelete: stale,
    onUpdate: (_old, obj) => {
      const before = built?.byKey.get(objectKey(obj));
      if (before === undefined || !same(before, derive(obj))) stale();
    },
  });
  const build = () => {
    if (built) return built;
    const list: V[] = [];
    const byKey = new Map<string, V>();
    for (const o of informer.cache.list()) {
      const v = derive(o);
      list.push(v);
      byKey.set(objectKey(o), v);
    }
    return (built = { list, byKey });
  };
  return {
    list: () => build().list,
    get: (key) => build().byKey.get(key),
  };
}
