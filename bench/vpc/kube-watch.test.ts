import { describe, expect, it } from '@jest/globals';
import { isReadyFor, type Conditioned } from './kube-watch.ts';

const obj = (generation: number, status: Conditioned['status']): Conditioned => ({
  metadata: { name: 'x', generation },
  status,
});

describe('isReadyFor', () => {
  it('wants Ready=True for the current generation', () => {
    const ready = { type: 'Ready', status: 'True', observedGeneration: 2 };
    expect(isReadyFor(obj(2, { conditions: [ready] }))).toBe(true);
    expect(isReadyFor(obj(3, { conditions: [ready] }))).toBe(false);
    expect(isReadyFor(obj(2, { conditions: [{ ...ready, status: 'False' }] }))).toBe(false);
    expect(isReadyFor(obj(2, {}))).toBe(false);
  });

  it('falls back to status.observedGeneration when the condition has none', () => {
    const ready = { type: 'Ready', status: 'True' };
    expect(isReadyFor(obj(4, { observedGeneration: 4, conditions: [ready] }))).toBe(true);
    expect(isReadyFor(obj(4, { observedGeneration: 3, conditions: [ready] }))).toBe(false);
  });
});
