import type { Clock } from '../../controllers/clock/index.ts';

/**
 * Polls `probe` until it returns true. Fails with `what` when `timeoutMs` passes: the deadline
 * exists only so that something that never happens stops the run with a message.
 */
export async function until(
  probe: () => boolean | undefined | Promise<boolean | undefined>,
  opts: { clock: Clock; timeoutMs: number; what: string; intervalMs?: number },
): Promise<void> {
  const deadline = opts.clock.now() + opts.timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (opts.clock.now() >= deadline) {
      throw new Error(`timed out after ${opts.timeoutMs / 1000} s waiting for ${opts.what}`);
    }
    await opts.clock.sleep(opts.intervalMs ?? 50);
  }
}
