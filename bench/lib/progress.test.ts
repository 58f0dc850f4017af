import { describe, expect, it } from '@jest/globals';
import { FakeClock } from '../../controllers/clock/index.ts';
import { formatCount, progress } from './progress.ts';

describe('formatCount', () => {
  it('separates thousands and rounds', () => {
    expect(formatCount(30000)).toBe('30,000');
    expect(formatCount(412.6)).toBe('413');
  });
});

describe('progress', () => {
  it('prints at most once per interval, with the rate so far, and a final line', async () => {
    const clock = new FakeClock();
    const lines: string[] = [];
    const bar = progress('created', 3000, {
      clock,
      print: (l) => lines.push(l),
      everyMs: 1000,
    });
    await clock.advance(500);
    bar.tick(500);
    expect(lines).toEqual([]);
    await clock.advance(500);
    bar.tick(500);
    expect(lines).toEqual(['created: 1,000/3,000 (1,000/s)']);
    await clock.advance(500);
    bar.tick(1000);
    expect(lines).toHaveLength(1);
    await clock.advance(1500);
    bar.tick(1000);
    expect(lines[1]).toBe('created: 3,000/3,000 (1,000/s)');
    expect(bar.finish()).toBe(3000);
    expect(lines[2]).toBe('created: 3,000/3,000 (1,000/s) in 3.0 s');
  });
});
