import { describe, expect, it } from '@jest/globals';
import {
  convergedStatus,
  Counter,
  isConverged,
  newCounter,
  type CounterObject,
} from './bench-kind.ts';

const stored = (obj: CounterObject, generation: number): CounterObject => ({
  ...obj,
  metadata: { ...obj.metadata, generation, resourceVersion: '7' },
});

describe('Counter', () => {
  it('builds objects its own schema accepts', () => {
    expect(Counter.validate(newCounter('ns', 'c-00001', 1))).toEqual({ ok: true });
  });

  it('reports the value, the generation and Ready', () => {
    const obj = stored(newCounter('ns', 'c', 42), 3);
    const status = convergedStatus(obj, new Date('2026-11-22T10:00:00.123Z'));
    expect(status).toEqual({
      observed: 42,
      observedGeneration: 3,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Observed',
          message: '',
          observedGeneration: 3,
          lastTransitionTime: '2026-11-22T10:00:00Z',
        },
      ],
    });
    expect(isConverged(obj)).toBe(false);
    expect(isConverged({ ...obj, status })).toBe(true);
    expect(Counter.validate({ ...obj, status })).toEqual({ ok: true });
  });

  it('computes the same status again later, so a converged object is never written again', () => {
    const obj = stored(newCounter('ns', 'c', 1), 1);
    const first = { ...obj, status: convergedStatus(obj, new Date('2026-11-22T10:00:00Z')) };
    expect(convergedStatus(first, new Date('2026-11-22T11:00:00Z'))).toEqual(first.status);
  });

  it('is not converged when the spec moved on', () => {
    const obj = stored(newCounter('ns', 'c', 1), 1);
    const status = convergedStatus(obj, new Date());
    expect(isConverged({ ...stored(obj, 2), status })).toBe(false);
    expect(isConverged({ ...obj, spec: { value: 2 }, status })).toBe(false);
  });
});
