import { describe, expect, it } from '@jest/globals';
import { forEachConcurrent } from './pool.ts';

/** A call that stays in flight until the test releases it. */
function gate() {
  const waiting: { index: number; release: () => void; fail: (e: Error) => void }[] = [];
  const fn = (index: number) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ index, release: resolve, fail: reject });
    });
  return { fn, waiting };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('forEachConcurrent', () => {
  it('keeps at most `concurrency` calls in flight and starts them in index order', async () => {
    const { fn, waiting } = gate();
    const run = forEachConcurrent(5, 2, fn);
    await settle();
    expect(waiting.map((w) => w.index)).toEqual([0, 1]);
    waiting[1]?.release();
    await settle();
    expect(waiting.map((w) => w.index)).toEqual([0, 1, 2]);
    for (let i = 0; i < 5; i++) {
      for (const w of waiting) w.release();
      await settle();
    }
    await run;
    expect(waiting.map((w) => w.index)).toEqual([0, 1, 2, 3, 4]);
  });

  it('calls nothing for a count of zero', async () => {
    let calls = 0;
    await forEachConcurrent(0, 4, () => {
      calls++;
      return Promise.resolve();
    });
    expect(calls).toBe(0);
  });

  it('stops starting calls after a failure and throws it once the calls in flight settle', async () => {
    const { fn, waiting } = gate();
    let settled = false;
    const run = forEachConcurrent(10, 2, fn).finally(() => {
      settled = true;
    });
    await settle();
    waiting[0]?.fail(new Error('boom'));
    await settle();
    expect(settled).toBe(false);
    waiting[1]?.release();
    await expect(run).rejects.toThrow('boom');
    expect(waiting.map((w) => w.index)).toEqual([0, 1]);
  });

  it('rejects a concurrency that is not a positive integer', async () => {
    await expect(forEachConcurrent(1, 0, () => Promise.resolve())).rejects.toThrow(RangeError);
    await expect(forEachConcurrent(1, 1.5, () => Promise.resolve())).rejects.toThrow(RangeError);
  });
});
