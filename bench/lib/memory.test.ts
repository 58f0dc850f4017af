import { describe, expect, it } from '@jest/globals';
import { FakeClock } from '../../controllers/clock/index.ts';
import { mebibytes, PeakRss, sampleMemory } from './memory.ts';

describe('sampleMemory', () => {
  it('collects garbage before reading when it can', () => {
    const order: string[] = [];
    const sample = sampleMemory(
      () => order.push('gc'),
      () => {
        order.push('read');
        return { rss: 300, heapUsed: 100 };
      },
    );
    expect(order).toEqual(['gc', 'gc', 'read']);
    expect(sample).toEqual({ rssBytes: 300, heapUsedBytes: 100, collected: true });
  });

  it('says so when it could not collect', () => {
    const sample = sampleMemory(undefined, () => ({ rss: 1, heapUsed: 1 }));
    expect(sample.collected).toBe(false);
  });
});

describe('mebibytes', () => {
  it('rounds to whole MiB', () => {
    expect(mebibytes(3.6 * 2 ** 20)).toBe('4 MiB');
  });
});

describe('PeakRss', () => {
  it('keeps the highest reading, read every interval and once more at stop', async () => {
    const clock = new FakeClock();
    const readings = [10, 50, 20, 30, 40];
    let reads = 0;
    const peak = new PeakRss({
      clock,
      intervalMs: 100,
      read: () => readings[reads++] ?? 0,
    });
    peak.start();
    await clock.advance(300);
    expect(reads).toBe(4);
    expect(peak.stop()).toBe(50);
    expect(reads).toBe(5);
    await clock.advance(1000);
    expect(reads).toBe(5);
  });
});
