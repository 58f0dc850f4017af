import { describe, expect, it } from '@jest/globals';
import { KeyedLock } from './keyed-lock.ts';

describe('KeyedLock', () => {
  it('runs one key one at a time, other keys alongside, and goes on after a failure', async () => {
    const lock = new KeyedLock();
    const events: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = lock.run('a', async () => {
      events.push('a1 start');
      await gate;
      events.push('a1 end');
      throw new Error('a1 failed');
    });
    const second = lock.run('a', () => {
      events.push('a2');
      return Promise.resolve(2);
    });
    const other = lock.run('b', () => {
      events.push('b');
      return Promise.resolve('b');
    });
    expect(await other).toBe('b');
    release();
    await expect(first).rejects.toThrow('a1 failed');
    expect(await second).toBe(2);
    expect(events).toEqual(['a1 start', 'b', 'a1 end', 'a2']);
  });
});
