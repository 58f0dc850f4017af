import { describe, expect, it } from '@jest/globals';
import { waitFor } from './wait.ts';

describe('waitFor', () => {
  it('returns the first value the probe yields', async () => {
    let n = 0;
    await expect(
      waitFor(() => (++n >= 3 ? n : undefined), { what: 'three', intervalMs: 1 }),
    ).resolves.toBe(3);
  });

  it('times out with what it waited for, the last error and the last observed state', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('not found');
        },
        { what: 'the widget', timeoutMs: 20, intervalMs: 5, describe: () => 'phase: Pending' },
      ),
    ).rejects.toThrow(
      /timed out after 20 ms waiting for the widget\nlast error: not found\nlast observed:\nphase: Pending/,
    );
  });
});
