import { describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../kube/index.ts';
import { Cache } from './cache.ts';

interface Nic extends KubeObject {
  spec: { subnet: string };
}

function nic(
  ns: string,
  name: string,
  subnet: string,
  labels: Record<string, string> = {},
  rv = '1',
): Nic {
  return { metadata: { namespace: ns, name, labels, resourceVersion: rv }, spec: { subnet } };
}

describe('Cache', () => {
  it('finds objects by namespace, labels and a custom index, and keeps indexes current', () => {
    const cache = new Cache<Nic>({
      subnet: (o) => [`${o.metadata.namespace ?? ''}/${o.spec.subnet}`],
    });
    cache.upsert(nic('a', 'n1', 's1', { tier: 'web' }));
    cache.upsert(nic('a', 'n2', 's2', { tier: 'web', zone: 'z1' }));
    cache.upsert(nic('b', 'n3', 's1', { tier: 'db' }));

    expect(
      cache
        .inNamespace('a')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['n1', 'n2']);
    expect(
      cache
        .withLabels({ tier: 'web' })
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['n1', 'n2']);
    expect(cache.withLabels({ tier: 'web', zone: 'z1' }).map((o) => o.metadata.name)).toEqual([
      'n2',
    ]);
    expect(cache.byIndex('subnet', 'a/s1').map((o) => o.metadata.name)).toEqual(['n1']);

    // Moving n1 to another subnet moves it in the index.
    cache.upsert(nic('a', 'n1', 's2', { tier: 'web' }, '2'));
    expect(cache.byIndex('subnet', 'a/s1')).toEqual([]);
    expect(
      cache
        .byIndex('subnet', 'a/s2')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['n1', 'n2']);

    cache.remove('a/n2');
    expect(cache.byIndex('subnet', 'a/s2').map((o) => o.metadata.name)).toEqual(['n1']);
    expect(cache.get('a/n2')).toBeUndefined();
    expect(cache.size).toBe(2);
  });

  it('indexes objects already cached when an index is added later', () => {
    const cache = new Cache<Nic>();
    cache.upsert(nic('a', 'n1', 's1'));
    cache.addIndexer('subnet', (o) => [o.spec.subnet]);
    expect(cache.byIndex('subnet', 's1')).toHaveLength(1);
    expect(() => {
      cache.byIndex('nope', 'x');
    }).toThrow('no index named nope');
  });

  it('adds an index once however many ask for it, and gives each its lookup', () => {
    const cache = new Cache<Nic>();
    cache.upsert(nic('a', 'n1', 's1'));
    const first = cache.ensureIndexer('subnet', (o) => [o.spec.subnet]);
    const second = cache.ensureIndexer('subnet', (o) => [o.spec.subnet]);
    cache.upsert(nic('a', 'n2', 's1'));
    expect(first('s1').map((o) => o.metadata.name)).toEqual(['n1', 'n2']);
    expect(second('s1')).toEqual(first('s1'));
    expect(() => {
      cache.addIndexer('subnet', (o) => [o.spec.subnet]);
    }).toThrow('index subnet already exists');
  });

  it('reports what a replace added, changed and removed', () => {
    const cache = new Cache<Nic>();
    cache.upsert(nic('a', 'keep', 's1', {}, '1'));
    cache.upsert(nic('a', 'change', 's1', {}, '1'));
    cache.upsert(nic('a', 'gone', 's1', {}, '1'));
    const diff = cache.replace([
      nic('a', 'keep', 's1', {}, '1'),
      nic('a', 'change', 's2', {}, '2'),
      nic('a', 'new', 's1'),
    ]);
    expect(diff.added.map((o) => o.metadata.name)).toEqual(['new']);
    expect(diff.updated.map(([old, cur]) => [old.spec.subnet, cur.spec.subnet])).toEqual([
      ['s1', 's2'],
    ]);
    expect(diff.deleted.map((o) => o.metadata.name)).toEqual(['gone']);
    expect(cache.keys().sort()).toEqual(['a/change', 'a/keep', 'a/new']);
  });
});
