// What ovn-northd did during a phase, from its own counters: how many times it processed NB
// changes, how long each took, and how many of those were full recomputes. At scale, its time
// is most of what separates an NB write from flows on the chassis.
import { appctl, type OvnLayout } from '../../hack/ovn/index.ts';

export interface NorthdRuns {
  /** Times ovn-northd processed NB changes (its `ovnnb_db_run` stopwatch). */
  runs: number;
  p95Ms: number;
  maxMs: number;
  /** Of the `northd` engine node: full recomputes, and incremental computes. */
  recomputes: number;
  computes: number;
}

function field(text: string, name: string): number | undefined {
  const m = new RegExp(`^\\s*${name}:\\s*([0-9.]+)`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

/** `stopwatch/show ovnnb_db_run` and `inc-engine/show-stats`, read into numbers. */
export function parseNorthdRuns(stopwatch: string, engine: string): NorthdRuns {
  const node = /^Node: northd\n((?:-.*\n?)*)/m.exec(engine)?.[1] ?? '';
  const count = (what: string) => Number(new RegExp(`^- ${what}:\\s*(\\d+)`, 'm').exec(node)?.[1]);
  const runs = {
    runs: field(stopwatch, 'Total samples'),
    p95Ms: field(stopwatch, '95th percentile'),
    maxMs: field(stopwatch, 'Maximum'),
    recomputes: count('recompute'),
    computes: count('compute'),
  };
  for (const [k, v] of Object.entries(runs)) {
    if (v === undefined || !Number.isFinite(v)) {
      throw new Error(`ovn-northd's statistics lack ${k}:\n${stopwatch}\n${node}`);
    }
  }
  return runs as NorthdRuns;
}

async function ask(layout: OvnLayout, args: string[]): Promise<string> {
  const r = await appctl(layout, layout.northdCtl, args);
  if (r.code !== 0) throw new Error(`ovn-appctl ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Starts ovn-northd's counters afresh, so the next read covers one phase. */
export async function resetNorthdRuns(layout: OvnLayout): Promise<void> {
  await ask(layout, ['stopwatch/reset', 'ovnnb_db_run']);
  await ask(layout, ['inc-engine/clear-stats']);
}

export async function readNorthdRuns(layout: OvnLayout): Promise<NorthdRuns> {
  return parseNorthdRuns(
    await ask(layout, ['stopwatch/show', 'ovnnb_db_run']),
    await ask(layout, ['inc-engine/show-stats']),
  );
}
