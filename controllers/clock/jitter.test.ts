import { describe, expect, it } from '@jest/globals';
import { FakeClock } from './fake-clock.ts';
import { jittered, jitterUntil, spreadOffset } from './jitter.ts';

describe('jittered', () => {
  it('stretches the period by up to the factor', () => {
    expect(jittered(1_000, 0.1, () => 0)).toBe(1_000);
    expect(jittered(1_000, 0.1, () => 0.5)).toBe(1_050);
    expect(jittered(1_000, 0.1, () => 0.999)).toBeCloseTo(1_099.9);
    expect(jittered(1_000, 0, () => 0.5)).toBe(1_000);
  });
});

describe('jitterUntil', () => {
  it('runs at once, then a jittered period after each run ends, until aborted', async () => {
    const clock = new FakeClock(0);
    const ac = new AbortController();
    const runs: number[] = [];
    const randoms = [0.2, 0.9, 0.5];
    const done = jitterUntil(
      () => {
        runs.push(clock.now());
        return clock.sleep(10);
      },
      {
        clock,
        periodMs: 1_000,
        jitterFactor: 0.1,
        signal: ac.signal,
        random: () => randoms.shift() ?? 0,
      },
    );
    await clock.advance(3_500);
    // Each run takes 10 ms; the waits are 1,020, 1,090 and 1,050 ms.
    expect(runs).toEqual([0, 1_030, 2_130, 3_190]);
    ac.abort();
    await clock.advance(10);
    await done;
    expect(clock.pending()).toBe(0);
  });
});

describe('spreadOffset', () => {
  it('is stable per key and spreads keys over the period', () => {
    const period = 60_000;
    const keys = Array.from({ length: 1_000 }, (_, i) => `ns/sg-${String(i)}`);
    const offsets = keys.map((k) => spreadOffset('securitygroup-controller', k, period));
    expect(keys.map((k) => spreadOffset('securitygroup-controller', k, period))).toEqual(offsets);
    for (const o of offsets) {
      expect(o).toBeGreaterThanOrEqual(0);
      expect(o).toBeLessThan(period);
    }
    // Ten slices of the period each get a tenth of the keys, give or take.
    const slices = Array.from({ length: 10 }, () => 0);
    for (const o of offsets)
      slices[Math.floor(o / 6_000)] = (slices[Math.floor(o / 6_000)] ?? 0) + 1;
    for (const n of slices) expect(n).toBeGreaterThan(60);
    for (const n of slices) expect(n).toBeLessThan(140);
    // Another controller puts the same key elsewhere.
    expect(spreadOffset('other', 'ns/sg-0', period)).not.toBe(offsets[0]);
  });
});
