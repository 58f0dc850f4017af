import { describe, expect, it } from '@jest/globals';
import { FakeClock, flushPromises } from '../../controllers/clock/index.ts';
import { openLoop, slotTime } from './open-loop.ts';

describe('slotTime', () => {
  it('spaces the slots by 1/rate from the start', () => {
    expect(slotTime(1000, 0, 100)).toBe(1000);
    expect(slotTime(1000, 7, 100)).toBe(1070);
    expect(slotTime(0, 3, 3)).toBe(1000);
  });
});

describe('openLoop', () => {
  it('sends each request at its slot without waiting for earlier answers, timed from the slot', async () => {
    const clock = new FakeClock(0);
    const started: number[] = [];
    const answers: (() => void)[] = [];
    const loop = openLoop(
      3,
      10,
      (i) => {
        started[i] = clock.now();
        if (i === 1) return Promise.reject(new Error('refused'));
        return new Promise<void>((resolve) => answers.push(resolve));
      },
      { clock },
    );
    await flushPromises();
    await clock.advance(100);
    await clock.advance(100);
    // The first is still unanswered when the third goes out.
    expect(started).toEqual([0, 100, 200]);
    await clock.advance(350);
    for (const answer of answers) answer();
    const sent = await loop;
    expect(sent).toEqual([
      { slot: 0, answered: 550 },
      { slot: 100, error: 'refused' },
      { slot: 200, answered: 550 },
    ]);
  });
});
