import { describe, expect, it } from '@jest/globals';
import { WakeableWait } from './wakeable-wait.ts';

const hour = 3_600_000;
const settled = async (p: Promise<void>) => {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
};

describe('WakeableWait', () => {
  it('ends at once when the signal aborted before the wait began', async () => {
    const stop = new AbortController();
    stop.abort(new Error('SIGTERM'));
    expect(await settled(new WakeableWait().wait(hour, stop.signal))).toBe(true);
  });

  it('ends when the signal aborts, or when poked, and not before', async () => {
    const stop = new AbortController();
    const w = new WakeableWait();
    const first = w.wait(hour, stop.signal);
    expect(await settled(first)).toBe(false);
    w.poke();
    expect(await settled(first)).toBe(true);
    const second = w.wait(hour, stop.signal);
    expect(await settled(second)).toBe(false);
    stop.abort(new Error('SIGTERM'));
    expect(await settled(second)).toBe(true);
  });

  it('ends after its interval', async () => {
    const started = Date.now();
    await new WakeableWait().wait(1, new AbortController().signal);
    expect(Date.now()).toBeGreaterThanOrEqual(started);
  });
});
