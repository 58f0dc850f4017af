// The runs, in waves of a few VMs per side: a wave of kcloud Instances (applied together, then
// deleted and gone), and a wave of bare launches of the same guest; the side that goes first
// alternates from wave to wave, so that the machine's other work hits both.
import os from 'node:os';
import { bootBare, type BareEnv, type BareSample } from './bare-run.ts';
import { bootInstance, deleteInstances, type KcloudEnv, type KcloudSample } from './kcloud-run.ts';
import { waves } from './options.ts';
import type { Wave } from './report.ts';
import type { SideLoad } from './side-load.ts';
import type { NicStatus } from './world.ts';

export interface WavesEnv {
  instances: number;
  /** VMs at once per side. */
  wave: number;
  kcloud: KcloudEnv;
  bare: BareEnv;
  /** The NetworkInterface of the `i`th bare launch. */
  bareNic(i: number): NicStatus;
  /** Measures what else the machine did while each side ran. */
  load: { kcloud: SideLoad; bare: SideLoad };
  print: (line: string) => void;
}

export async function runWaves(env: WavesEnv): Promise<Wave[]> {
  const results: Wave[] = [];
  const plan = waves(env.instances, env.wave);
  for (const [w, members] of plan.entries()) {
    const first = w % 2 === 0 ? 'kcloud' : 'bare';
    const wave: Wave = { first, kcloud: [], bare: [], loadAverage: os.loadavg()[0] ?? 0 };
    const kcloudSide = async () => {
      const names = members.map((i) => `vm-${String(i + 1)}`);
      try {
        wave.kcloud = await env.load.kcloud.over(() =>
          Promise.all(names.map((n) => bootInstance(env.kcloud, n))),
        );
      } finally {
        await deleteInstances(env.kcloud, names);
      }
    };
    const bareSide = async () => {
      wave.bare = await env.load.bare.over(() =>
        Promise.all(
          members.map((i) => bootBare(env.bare, `bare-${String(i + 1)}`, env.bareNic(i))),
        ),
      );
    };
    for (const side of first === 'kcloud' ? [kcloudSide, bareSide] : [bareSide, kcloudSide]) {
      await side();
    }
    const show = (s: KcloudSample | BareSample) => `${s.name} ${(s.totalMs / 1000).toFixed(2)} s`;
    env.print(
      `wave ${String(w + 1)}/${String(plan.length)} (${first} first): ${[...wave.kcloud, ...wave.bare].map(show).join(', ')}`,
    );
    results.push(wave);
  }
  return results;
}
