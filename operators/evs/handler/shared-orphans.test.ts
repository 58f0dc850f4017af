import { describe, expect, it } from '@jest/globals';
import { sweeperOf } from './shared-orphans.ts';

const host = (name: string, ready: boolean, pools: string[]) => ({
  metadata: { name },
  status: {
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'Unknown' }],
    storagePools: pools.map((p) => ({ name: p })),
  },
});

describe('sweeperOf', () => {
  it('picks one Ready host reaching the pool, the same whatever the order of the list', () => {
    const hosts = ['a', 'b', 'c', 'd'].map((n) => host(n, true, ['p']));
    const chosen = sweeperOf('p', hosts);
    expect(chosen).toBeDefined();
    expect(sweeperOf('p', [...hosts].reverse())).toBe(chosen);
  });

  it('passes over hosts that are not Ready or do not reach the pool', () => {
    const hosts = ['a', 'b', 'c', 'd'].map((n) => host(n, true, ['p']));
    const chosen = sweeperOf('p', hosts) ?? '';
    const without = hosts.map((h) => (h.metadata.name === chosen ? host(chosen, false, ['p']) : h));
    const next = sweeperOf('p', without);
    expect(next).toBeDefined();
    expect(next).not.toBe(chosen);
    expect(sweeperOf('p', [host('a', true, ['q']), host('b', false, ['p'])])).toBeUndefined();
  });

  it('spreads pools over hosts', () => {
    const hosts = ['a', 'b', 'c', 'd'].map((n) =>
      host(n, true, ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7']),
    );
    const chosen = new Set(
      ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7'].map((p) => sweeperOf(p, hosts)),
    );
    expect(chosen.size).toBeGreaterThan(1);
  });
});
