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

/**
 * Waits until `queued()` reads 0 twice in a row (200 ms apart): one empty read can fall between
 * a reconcile's end and the requeues its status write sets off.
 */
export async function untilQueuesEmpty(queued: () => Promise<number>, clock: Clock): Promise<void> {
  let emptyOnce = false;
  await until(
    async () => {
      const empty = (await queued()) === 0;
      const twice = empty && emptyOnce;
      emptyOnce = empty;
      return twice;
    },
    { clock, timeoutMs: 30 * 60_000, what: 'the manager’s work queues to empty', intervalMs: 200 },
  );
}
