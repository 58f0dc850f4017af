import { describe, expect, it } from '@jest/globals';
import { FakeClock } from '../../controllers/clock/index.ts';
import { KeyedWaiters } from './waiters.ts';

describe('KeyedWaiters', () => {
  it('resolves at once when the current value passes', async () => {
    const w = new KeyedWaiters<number>();
    const clock = new FakeClock();
    await expect(
      w.wait('a', (v) => v > 1, { clock, timeoutMs: 10, what: 'a', current: 2 }),
    ).resolves.toBe(2);
    expect(w.size).toBe(0);
  });

  it('resolves with the first offered value of its key that passes, and forgets the waiter', async () => {
    const w = new KeyedWaiters<number>();
    const clock = new FakeClock();
    const got = w.wait('a', (v) => v > 1, { clock, timeoutMs: 1000, what: 'a', current: 0 });
    w.offer('b', 5);
    w.offer('a', 1);
    w.offer('a', 3);
    w.offer('a', 4);
    await expect(got).resolves.toBe(3);
    expect(w.size).toBe(0);
  });

  it('fails naming what it waited for at the deadline', async () => {
    const w = new KeyedWaiters<number>();
    const clock = new FakeClock();
    const got = w.wait('a', () => false, { clock, timeoutMs: 100, what: 'port a up' });
    const failed = expect(got).rejects.toThrow('timed out after 0.1 s waiting for port a up');
    await clock.advance(100);
    await failed;
    expect(w.size).toBe(0);
  });
});
