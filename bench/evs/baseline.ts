// The baselines: the same copy-on-write clones made by a plain loop of the tools the storage
// backends run, with as many in flight as the agent's volume controller has workers.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Clock } from '../../controllers/clock/index.ts';
import { rbd, type CephEnv } from '../../hack/ceph/index.ts';
import { forEachConcurrent } from '../lib/pool.ts';
import { progress } from '../lib/progress.ts';
import { perSecond, summarize, type Summary } from '../lib/stats.ts';

const exec = promisify(execFile);

export interface LoopResult {
  count: number;
  concurrency: number;
  elapsedMs: number;
  perSecond: number;
  /** Each clone's own time, start to exit of its command. */
  latencyMs: Summary;
  /** CPU seconds by process over the loop (the tools', and Ceph's for an RBD pool). */
  cpuSeconds?: Map<string, number>;
}

/** Runs `clone(i)` for i < count, `concurrency` at a time, timing each and the whole. */
export async function cloneLoop(
  label: string,
  opts: { count: number; concurrency: number; clock: Clock; print: (line: string) => void },
  clone: (index: number) => Promise<void>,
): Promise<LoopResult> {
  const { clock } = opts;
  const times: number[] = [];
  const p = progress(label, opts.count, { clock, print: opts.print });
  const started = clock.now();
  await forEachConcurrent(opts.count, opts.concurrency, async (i) => {
    const t = clock.now();
    await clone(i);
    times.push(clock.now() - t);
    p.tick();
  });
  const elapsedMs = clock.now() - started;
  p.finish();
  return {
    count: opts.count,
    concurrency: opts.concurrency,
    elapsedMs,
    perSecond: perSecond(opts.count, elapsedMs),
    latencyMs: summarize(times),
  };
}

/** `qemu-img create -f qcow2 -b <image> -F qcow2 <file> <size>`, run in the pool's directory. */
export function qemuImgCloneArgs(image: string, target: string, sizeBytes: number): string[] {
  return ['create', '-q', '-f', 'qcow2', '-b', image, '-F', 'qcow2', target, String(sizeBytes)];
}

export function qemuImgClone(dir: string, image: string, sizeBytes: number) {
  return async (i: number) => {
    await exec('qemu-img', qemuImgCloneArgs(image, `baseline-${String(i)}.qcow2`, sizeBytes), {
      cwd: dir,
    });
  };
}

/** `rbd clone <pool>/<image>@<snap> <pool>/<clone>`, as the pool's restricted user. */
export function rbdCloneArgs(pool: string, image: string, snap: string, target: string): string[] {
  return ['clone', `${pool}/${image}@${snap}`, `${pool}/${target}`];
}

export function rbdClone(env: CephEnv, pool: string, image: string, snap: string) {
  return async (i: number) => {
    await rbd(env, rbdCloneArgs(pool, image, snap, `baseline-${String(i)}`));
  };
}
