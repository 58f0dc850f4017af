import { describe, expect, it } from '@jest/globals';
import { schedulingOrder } from './order.ts';
import { instance } from './schedule-fixture.ts';

describe('schedulingOrder', () => {
  it('puts the higher priority first, then the older, then by name', () => {
    const at = (name: string, priority: number, created: string) => {
      const i = instance(name, { priority });
      i.metadata.creationTimestamp = created;
      return i;
    };
    const list = [
      at('late-low', 0, '2026-01-02T00:00:00Z'),
      at('b-early-low', 0, '2026-01-01T00:00:00Z'),
      at('a-early-low', 0, '2026-01-01T00:00:00Z'),
      at('high', 100, '2026-01-03T00:00:00Z'),
    ];
    expect([...list].sort(schedulingOrder).map((i) => i.metadata.name)).toEqual([
      'high',
      'a-early-low',
      'b-early-low',
      'late-low',
    ]);
  });
});
