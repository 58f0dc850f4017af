import { describe, expect, it } from '@jest/globals';
import { FakeClock } from './fake-clock.ts';

describe('FakeClock', () => {
  it('fires timers in time order as it advances, and not before', async () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    clock.setTimer(() => fired.push('b@20'), 20);
    clock.setTimer(() => fired.push('a@10'), 10);
    const c = clock.setTimer(() => fired.push('cancelled'), 15);
    c.cancel();
    await clock.advance(15);
    expect(fired).toEqual(['a@10']);
    expect(clock.now()).toBe(15);
    await clock.advance(5);
    expect(fired).toEqual(['a@10', 'b@20']);
    expect(clock.pending()).toBe(0);
  });

  it('runs timers that awaiting code schedules within the same advance', async () => {
    const clock = new FakeClock(0);
    const ticks: number[] = [];
    void (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(10);
        ticks.push(clock.now());
      }
    })();
    await clock.advance(30);
    expect(ticks).toEqual([10, 20, 30]);
  });

  it('rejects a sleep when its signal aborts', async () => {
    const clock = new FakeClock(0);
    const ac = new AbortController();
    const slept = clock.sleep(100, ac.signal);
    ac.abort(new Error('stop'));
    await expect(slept).rejects.toThrow('stop');
    expect(clock.pending()).toBe(0);
  });
});
