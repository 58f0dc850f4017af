import { describe, expect, it } from '@jest/globals';
import { FakeClock } from '../clock/index.ts';
import {
  BucketRateLimiter,
  defaultControllerRateLimiter,
  ItemExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  type RateLimiter,
} from './rate-limiters.ts';

function delays(limiter: RateLimiter, keys: string[]): number[] {
  return keys.map((key) => limiter.when(key));
}

describe('ItemExponentialFailureRateLimiter', () => {
  it('doubles from 5 ms per failure up to the 1000 s cap', () => {
    const limiter = new ItemExponentialFailureRateLimiter();
    expect(delays(limiter, Array<string>(20).fill('a'))).toEqual([
      5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120, 10240, 20480, 40960, 81920, 163840,
      327680, 655360, 1_000_000, 1_000_000,
    ]);
    expect(limiter.numRequeues('a')).toBe(20);
  });

  it('keeps each key its own history and starts a key over after forget', () => {
    const limiter = new ItemExponentialFailureRateLimiter(5, 1_000_000);
    expect(delays(limiter, ['a', 'a', 'b', 'a', 'b'])).toEqual([5, 10, 5, 20, 10]);
    expect(limiter.numRequeues('a')).toBe(3);
    expect(limiter.numRequeues('b')).toBe(2);
    limiter.forget('a');
    expect(limiter.numRequeues('a')).toBe(0);
    expect(limiter.numRequeues('b')).toBe(2);
    expect(delays(limiter, ['a', 'a', 'b'])).toEqual([5, 10, 20]);
  });

  it('honours a custom base and cap, and stays at the cap however many failures follow', () => {
    const limiter = new ItemExponentialFailureRateLimiter(100, 1000);
    expect(delays(limiter, Array<string>(6).fill('k'))).toEqual([100, 200, 400, 800, 1000, 1000]);
    for (let i = 0; i < 2000; i++) limiter.when('k');
    expect(limiter.when('k')).toBe(1000);
  });

  it('rejects a base that is not positive or above the cap', () => {
    expect(() => new ItemExponentialFailureRateLimiter(0, 10)).toThrow(RangeError);
    expect(() => new ItemExponentialFailureRateLimiter(20, 10)).toThrow(RangeError);
  });
});

describe('BucketRateLimiter', () => {
  it('lets a burst through at once, then spaces adds 1/qps apart across all keys', () => {
    const clock = new FakeClock(0);
    const limiter = new BucketRateLimiter(10, 100, clock);
    const burst = Array.from({ length: 100 }, (_, i) => limiter.when(`k${String(i)}`));
    expect(burst.every((d) => d === 0)).toBe(true);
    expect(delays(limiter, ['x', 'y', 'x'])).toEqual([100, 200, 300]);
  });

  it('refills at qps as time passes, never beyond the burst', async () => {
    const clock = new FakeClock(0);
    const limiter = new BucketRateLimiter(2, 3, clock);
    expect(delays(limiter, ['a', 'a', 'a', 'a', 'a'])).toEqual([0, 0, 0, 500, 1000]);
    // 1250 ms later the two reservations ahead are paid and half a token has accrued.
    await clock.advance(1250);
    expect(limiter.when('a')).toBe(250);
    await clock.advance(3_600_000);
    expect(delays(limiter, ['a', 'a', 'a', 'a'])).toEqual([0, 0, 0, 500]);
  });

  it('keeps no per-key history', () => {
    const limiter = new BucketRateLimiter(10, 1, new FakeClock(0));
    limiter.when('a');
    expect(limiter.numRequeues('a')).toBe(0);
    limiter.forget('a');
    expect(limiter.when('a')).toBe(100);
  });

  it('rejects a rate or burst it cannot serve', () => {
    expect(() => new BucketRateLimiter(0, 10)).toThrow(RangeError);
    expect(() => new BucketRateLimiter(10, 0)).toThrow(RangeError);
    expect(() => new BucketRateLimiter(10, 1.5)).toThrow(RangeError);
  });
});

describe('MaxOfRateLimiter', () => {
  it('returns the longest delay and forwards forget to every limiter', () => {
    const a = new ItemExponentialFailureRateLimiter(1, 1000);
    const b = new ItemExponentialFailureRateLimiter(3, 8);
    const limiter = new MaxOfRateLimiter(a, b);
    expect(delays(limiter, Array<string>(6).fill('k'))).toEqual([3, 6, 8, 8, 16, 32]);
    expect(limiter.numRequeues('k')).toBe(6);
    limiter.forget('k');
    expect(a.numRequeues('k')).toBe(0);
    expect(b.numRequeues('k')).toBe(0);
    expect(limiter.when('k')).toBe(3);
  });

  it('needs at least one limiter', () => {
    expect(() => new MaxOfRateLimiter()).toThrow(RangeError);
  });
});

describe('defaultControllerRateLimiter', () => {
  it('backs each key off exponentially and all keys together by a 10 qps, 100 burst bucket', async () => {
    const clock = new FakeClock(0);
    const limiter = defaultControllerRateLimiter(clock);
    const first = Array.from({ length: 100 }, (_, i) => limiter.when(`k${String(i)}`));
    expect(first.every((d) => d === 5)).toBe(true);
    expect(delays(limiter, ['k100', 'k101'])).toEqual([100, 200]);
    expect(limiter.numRequeues('k0')).toBe(1);

    // Once the bucket has refilled, the per-key backoff decides again.
    await clock.advance(60_000);
    expect(delays(limiter, ['k0', 'k0', 'k0'])).toEqual([10, 20, 40]);
    limiter.forget('k0');
    expect(limiter.numRequeues('k0')).toBe(0);
    expect(limiter.when('k0')).toBe(5);
  });
});
