import { describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../kube/index.ts';
import { Cache } from './cache.ts';
import { derivedView } from './derived-view.ts';
import type { EventHandler } from './informer.ts';

type Host = KubeObject & { spec: { cpus: number; note?: string } };

/** A cache and the handlers an informer would call, driven by hand. */
function fakeInformer() {
  const cache = new Cache<Host>();
  const handlers: EventHandler<Host>[] = [];
  return {
    cache,
    addHandler: (h: EventHandler<Host>) => handlers.push(h),
    put(obj: Host) {
      const old = cache.upsert(obj);
      for (const h of handlers) {
        if (old) h.onUpdate?.(old, obj);
        else h.onAdd?.(obj);
      }
    },
    remove(name: string) {
      const old = cache.remove(name);
      if (old) for (const h of handlers) h.onDelete?.(old);
    },
  };
}

const host = (name: string, cpus: number, note?: string): Host => ({
  metadata: { name },
  spec: { cpus, ...(note !== undefined ? { note } : {}) },
});

describe('derivedView', () => {
  it('derives each object once until something it reads changes', () => {
    const informer = fakeInformer();
    let derivations = 0;
    const view = derivedView(
      informer,
      (h: Host) => {
        derivations++;
        return { name: h.metadata.name ?? '', cpus: h.spec.cpus };
      },
      (a, b) => a.cpus === b.cpus,
    );
    informer.put(host('a', 4));
    informer.put(host('b', 8));

    expect(view.list()).toEqual([
      { name: 'a', cpus: 4 },
      { name: 'b', cpus: 8 },
    ]);
    expect(view.get('b')).toEqual({ name: 'b', cpus: 8 });
    const built = derivations;
    view.list();
    view.get('a');
    expect(derivations).toBe(built);

    // A change it does not read (the note) keeps the view: one derivation to compare.
    informer.put(host('a', 4, 'counters moved'));
    expect(view.list()).toEqual([
      { name: 'a', cpus: 4 },
      { name: 'b', cpus: 8 },
    ]);
    expect(derivations).toBe(built + 1);

    // One it reads rebuilds it.
    informer.put(host('a', 16));
    expect(view.get('a')).toEqual({ name: 'a', cpus: 16 });
  });

  it('follows adds and deletes', () => {
    const informer = fakeInformer();
    const view = derivedView(informer, (h: Host) => h.spec.cpus);
    informer.put(host('a', 4));
    expect(view.list()).toEqual([4]);
    informer.put(host('b', 8));
    expect(view.list()).toEqual([4, 8]);
    informer.remove('a');
    expect(view.list()).toEqual([8]);
    expect(view.get('a')).toBeUndefined();
  });

  it('rebuilds on every update when told nothing about sameness', () => {
    const informer = fakeInformer();
    const view = derivedView(informer, (h: Host) => ({ cpus: h.spec.cpus }));
    informer.put(host('a', 4));
    const first = view.list()[0];
    informer.put(host('a', 4, 'x'));
    expect(view.list()[0]).not.toBe(first);
    expect(view.list()[0]).toEqual(first);
  });
});
