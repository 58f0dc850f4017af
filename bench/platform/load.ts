// The two loads of the quota webhook benchmark, each run on a project (its creates go through
// the webhook) and on a plain namespace (they do not) in alternating blocks, so that whatever
// else the machine does falls on both sides alike.
import type { Clock } from '../../controllers/clock/index.ts';

export type Side = 'webhook' | 'plain';

/** Creates one object on a side; resolves when the API server answered 201. */
export type CreateOne = (side: Side, index: number) => Promise<void>;

/**
 * Open loop at `rate` creates/s: each create starts at its scheduled time whether or not the
 * ones before it have finished (as independent clients do), and its latency is measured from
 * that time, so queueing behind a slow webhook counts. Blocks of `block` creates alternate
 * between the sides until each has had `perSide`.
 */
export async function pacedLatencies(
  create: CreateOne,
  opts: { rate: number; perSide: number; block: number; clock: Clock },
): Promise<Record<Side, number[]>> {
  const out: Record<Side, number[]> = { webhook: [], plain: [] };
  const counts: Record<Side, number> = { webhook: 0, plain: 0 };
  for (let b = 0; counts.webhook < opts.perSide || counts.plain < opts.perSide; b++) {
    // The side that goes first alternates from pair to pair.
    const side: Side = (b % 2 === 0) === (Math.floor(b / 2) % 2 === 0) ? 'webhook' : 'plain';
    const n = Math.min(opts.block, opts.perSide - counts[side]);
    if (n <= 0) continue;
    const t0 = opts.clock.now();
    const first = counts[side];
    counts[side] += n;
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const at = t0 + (i * 1000) / opts.rate;
        const wait = at - opts.clock.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        await create(side, first + i);
        out[side].push(opts.clock.now() - at);
      }),
    );
  }
  return out;
}

/**
 * Closed loop: `concurrency` clients create back to back for `seconds` per block, blocks
 * alternating between the sides, `blocks` per side. Creates per second on each side.
 */
export async function throughput(
  create: CreateOne,
  opts: { concurrency: number; seconds: number; blocks: number; clock: Clock; offset: number },
): Promise<Record<Side, { creates: number; ms: number }>> {
  const out: Record<Side, { creates: number; ms: number }> = {
    webhook: { creates: 0, ms: 0 },
    plain: { creates: 0, ms: 0 },
  };
  let index = opts.offset;
  for (let b = 0; b < 2 * opts.blocks; b++) {
    const side: Side = (b % 2 === 0) === (Math.floor(b / 2) % 2 === 0) ? 'webhook' : 'plain';
    const t0 = opts.clock.now();
    const end = t0 + opts.seconds * 1000;
    let done = 0;
    await Promise.all(
      Array.from({ length: opts.concurrency }, async () => {
        while (opts.clock.now() < end) {
          await create(side, index++);
          done++;
        }
      }),
    );
    out[side].creates += done;
    out[side].ms += opts.clock.now() - t0;
  }
  return out;
}
