// What ovn-northd did during a phase, from its own counters: how many times it recomputed its
// northd node in full and how long each took, how many runs of that node were incremental, and
// how many times it rebuilt every logical flow. At scale, its time is most of what separates an
// NB write from flows on the chassis.
import { appctl, type OvnLayout } from '../../hack/ovn/index.ts';

export interface NorthdRuns {
  /**
   * Full recomputes of its northd node: the `ovnnb_db_run` stopwatch (`northd` from OVN 25.09
   * on), which ovn-northd samples only then (incremental runs are `computes`), with the p95 and
   * max of their times.
   */
  runs: number;
  p95Ms: number;
  maxMs: number;
  /** Of the `northd` engine node: full recomputes, and incremental computes. */
  recomputes: number;
  computes: number;
  /**
   * Of the `lflow` node: rebuilds of every logical flow. OVN 25.03 rebuilds them on any ACL
   * change (its lflow node has no incremental handler for the ACL table; 25.09 has one).
   */
  lflowRecomputes: number;
  /** p95 of building the logical flows (`build_flows_ctx`) and of writing them to SB. */
  buildP95Ms: number;
  syncP95Ms: number;
}

/** One stopwatch's section of `stopwatch/show`. */
function section(text: string, name: string): string {
  return (
    new RegExp(`^Statistics for '${name}'\\n((?:[ \\t]+.*(?:\\n|$))*)`, 'm').exec(text)?.[1] ?? ''
  );
}

function field(text: string, name: string): number | undefined {
  const m = new RegExp(`^\\s*${name}:\\s*([0-9.]+)`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

function engineNode(engine: string, name: string): (what: string) => number {
  const node = new RegExp(`^Node: ${name}\\n((?:-.*\\n?)*)`, 'm').exec(engine)?.[1] ?? '';
  return (what) => Number(new RegExp(`^- ${what}:\\s*(\\d+)`, 'm').exec(node)?.[1]);
}

/** `stopwatch/show` and `inc-engine/show-stats`, read into numbers. */
export function parseNorthdRuns(stopwatch: string, engine: string): NorthdRuns {
  const nbRun = section(stopwatch, 'ovnnb_db_run') || section(stopwatch, 'northd');
  const northd = engineNode(engine, 'northd');
  const runs = {
    runs: field(nbRun, 'Total samples'),
    p95Ms: field(nbRun, '95th percentile'),
    maxMs: field(nbRun, 'Maximum'),
    recomputes: northd('recompute'),
    computes: northd('compute'),
    lflowRecomputes: engineNode(engine, 'lflow')('recompute'),
    buildP95Ms: field(section(stopwatch, 'build_flows_ctx'), '95th percentile'),
    syncP95Ms: field(section(stopwatch, 'lflows_to_sb'), '95th percentile'),
  };
  for (const [k, v] of Object.entries(runs)) {
    if (v === undefined || !Number.isFinite(v)) {
      throw new Error(`ovn-northd's statistics lack ${k}:\n${stopwatch}\n${engine}`);
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
  // Each OVN resets the names it has and ignores the other's.
  for (const name of ['ovnnb_db_run', 'northd', 'build_flows_ctx', 'lflows_to_sb']) {
    await ask(layout, ['stopwatch/reset', name]);
  }
  await ask(layout, ['inc-engine/clear-stats']);
}

export async function readNorthdRuns(layout: OvnLayout): Promise<NorthdRuns> {
  return parseNorthdRuns(
    await ask(layout, ['stopwatch/show']),
    await ask(layout, ['inc-engine/show-stats']),
  );
}
