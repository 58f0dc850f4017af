import { describe, expect, it } from '@jest/globals';
import { percentile, perSecond, summarize } from './stats.ts';

describe('percentile', () => {
  it('takes the nearest rank, so every result is an observed value', () => {
    const values = [15, 20, 35, 40, 50];
    expect(percentile(values, 5)).toBe(15);
    expect(percentile(values, 30)).toBe(20);
    expect(percentile(values, 40)).toBe(20);
    expect(percentile(values, 50)).toBe(35);
    expect(percentile(values, 100)).toBe(50);
  });

  it('does not depend on the input order and leaves the input alone', () => {
    const values = [9, 1, 5, 3, 7];
    expect(percentile(values, 50)).toBe(5);
    expect(values).toEqual([9, 1, 5, 3, 7]);
  });

  it('puts p99 of 1..1000 at 990', () => {
    const values = Array.from({ length: 1000 }, (_, i) => 1000 - i);
    expect(percentile(values, 99)).toBe(990);
  });

  it('is NaN without values and rejects a percentile outside (0, 100]', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 0)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
});

describe('summarize', () => {
  it('reports count, extremes, percentiles and mean', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(summarize(values)).toEqual({
      count: 100,
      min: 1,
      p50: 50,
      p90: 90,
      p99: 99,
      max: 100,
      mean: 50.5,
    });
  });

  it('is all NaN for no values', () => {
    const s = summarize([]);
    expect(s.count).toBe(0);
    expect([s.min, s.p50, s.p90, s.p99, s.max, s.mean].every(Number.isNaN)).toBe(true);
  });
});

describe('perSecond', () => {
  it('turns a count over milliseconds into a rate', () => {
    expect(perSecond(500, 2000)).toBe(250);
    expect(perSecond(3, 0)).toBeNaN();
  });
});
