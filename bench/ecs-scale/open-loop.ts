// An open loop: each request starts at its own slot whether or not the ones before it have
// answered (as independent clients do), and is timed from that slot, so queueing behind a slow
// server counts in its latency instead of slowing the arrivals down.
import type { Clock } from '../../controllers/clock/index.ts';

/** When request `index` of a loop that started at `t0` is due, at `rate` per second. */
export function slotTime(t0: number, index: number, rate: number): number {
  return t0 + (index * 1000) / rate;
}

export interface Sent {
  /** The slot the request was due at. */
  slot: number;
  /** When the server answered, or undefined when it refused. */
  answered?: number;
  error?: string;
}

/**
 * Sends `count` requests at `rate` per second through `send`; resolves once every one has
 * answered or failed. A failure does not stop the loop: it is recorded against its index.
 */
export async function openLoop(
  count: number,
  rate: number,
  send: (index: number) => Promise<void>,
  opts: { clock: Clock; onSent?: (index: number, sent: Sent) => void },
): Promise<Sent[]> {
  const { clock } = opts;
  const t0 = clock.now();
  const out: Sent[] = new Array<Sent>(count);
  const pending: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const slot = slotTime(t0, i, rate);
    const wait = slot - clock.now();
    if (wait > 0) await clock.sleep(wait);
    const index = i;
    pending.push(
      send(index).then(
        () => {
          out[index] = { slot, answered: clock.now() };
          opts.onSent?.(index, out[index]);
        },
        (err: unknown) => {
          out[index] = { slot, error: err instanceof Error ? err.message : String(err) };
          opts.onSent?.(index, out[index]);
        },
      ),
    );
  }
  await Promise.all(pending);
  return out;
}
