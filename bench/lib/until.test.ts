import { describe, expect, it } from '@jest/globals';
import { FakeClock } from '../../controllers/clock/index.ts';
import { until, untilQueuesEmpty } from './until.ts';

describe('until', () => {
  it('polls until the probe holds', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const done = until(() => ++calls === 3, { clock, timeoutMs: 1000, what: 'x', intervalMs: 10 });
    for (let i = 0; i < 3; i++) await clock.advance(10);
    await done;
    expect(calls).toBe(3);
  });

  it('fails naming what it waited for once the deadline passes', async () => {
    const clock = new FakeClock();
    const done = until(() => false, { clock, timeoutMs: 100, what: 'the cache', intervalMs: 50 });
    const failed = expect(done).rejects.toThrow('timed out after 0.1 s waiting for the cache');
    for (let i = 0; i < 4; i++) await clock.advance(50);
    await failed;
  });

  it('passes a probe failure on', async () => {
    const clock = new FakeClock();
    await expect(
      until(
        () => {
          throw new Error('stalled');
        },
        { clock, timeoutMs: 100, what: 'x' },
      ),
    ).rejects.toThrow('stalled');
  });
});

describe('untilQueuesEmpty', () => {
  it('needs two empty reads in a row: a requeue between them starts over', async () => {
    const clock = new FakeClock();
    const depths = [3, 0, 2, 0, 0, 5];
    let reads = 0;
    let finished = false;
    const done = untilQueuesEmpty(() => Promise.resolve(depths[reads++] ?? 0), clock).then(() => {
      finished = true;
    });
    for (let i = 0; i < 3; i++) await clock.advance(200);
    expect(finished).toBe(false);
    await clock.advance(200);
    await done;
    expect(reads).toBe(5);
  });
});
