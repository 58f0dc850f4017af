// The EVS benchmark's section of docs/benchmarks.md: method, machine, date, and the figures.
import { markdownTable } from '../lib/markdown.ts';
import { formatCount } from '../lib/progress.ts';
import { perSecond, type Summary } from '../lib/stats.ts';
import type { LoopResult } from './baseline.ts';
import type { VolumeRun } from './volumes.ts';

export const sectionHeading = 'EVS volume clones';

/** The design's target (DESIGN.md §6): kcloud clones at ≥ 0.8× the plain tool loop's rate. */
export const targetRatio = 0.8;

export interface EvsRunInfo {
  date: string;
  machine: string;
  node: string;
  kubernetes: string;
  qemuImg: string;
  ceph: string;
  volumes: number;
  concurrency: number;
  applies: number;
  sizeBytes: number;
  /** The machine's cores, which every process measured shares. */
  cores: number;
  durationMs: number;
}

export interface PoolResult {
  kind: 'file' | 'rbd';
  baseline: LoopResult;
  kcloud: VolumeRun;
}

export interface EvsBenchResults {
  run: EvsRunInfo;
  pools: PoolResult[];
}

const poolTitle = { file: 'File Local pool', rbd: 'RBD pool' } as const;
const toolLoop = {
  file: '`qemu-img create -f qcow2 -b <image> -F qcow2 <file> <size>` loop',
  rbd: '`rbd clone <pool>/<image>@base <pool>/<clone>` loop (the restricted user)',
} as const;

export const ms = (n: number) => (n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(2)} s`);
const rate = (n: number) => `${n.toFixed(1)}/s`;

export function latencyCell(s: Summary): string {
  return `${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.max)}`;
}

/** kcloud's rate over the baseline's. */
export function ratio(p: PoolResult): number {
  return p.kcloud.perSecond / p.baseline.perSecond;
}

export function ratioCell(p: PoolResult): string {
  const r = ratio(p);
  const verdict = r >= targetRatio ? 'meets' : 'below';
  return `**${r.toFixed(2)}×** (${verdict} the ${targetRatio}× target)`;
}

/**
 * `name a.bc, …` per volume, largest first, with `digits` decimals; the entries that round to
 * zero left out.
 */
export function perVolume(
  counts: ReadonlyMap<string, number>,
  volumes: number,
  digits = 2,
): string {
  const entries = [...counts.entries()]
    .map(([k, v]) => [k, v / volumes] as const)
    .filter(([, v]) => v >= 0.5 / 10 ** digits)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (entries.length === 0) return 'none';
  return entries.map(([k, v]) => `${k} ${v.toFixed(digits)}`).join(', ');
}

export function scale(counts: ReadonlyMap<string, number>, by: number): Map<string, number> {
  return new Map([...counts].map(([k, v]) => [k, v * by]));
}

export function total(counts: ReadonlyMap<string, number>): number {
  let n = 0;
  for (const v of counts.values()) n += v;
  return n;
}

function poolRows(p: PoolResult): string[][] {
  const title = poolTitle[p.kind];
  const n = p.kcloud.count;
  return [
    [
      `${title}: baseline, ${toolLoop[p.kind]}, ${p.baseline.concurrency} in flight`,
      `**${rate(p.baseline.perSecond)}** (${formatCount(p.baseline.count)} in ${ms(p.baseline.elapsedMs)}; one clone p50 / p99 / max ${latencyCell(p.baseline.latencyMs)}; CPU ms per clone: ${perVolume(scale(p.baseline.cpuSeconds ?? new Map<string, number>(), 1000), p.baseline.count, 1)})`,
    ],
    [
      `${title}: kcloud, Volumes applied (${p.kcloud.inFlight} in flight) → Available`,
      `**${rate(p.kcloud.perSecond)}** (${formatCount(n)} in ${ms(p.kcloud.elapsedMs)})`,
    ],
    [`${title}: kcloud apply → Available, p50 / p99 / max`, latencyCell(p.kcloud.latencyMs)],
    [`${title}: kcloud / baseline`, ratioCell(p)],
    [
      `${title}: reconciles per volume (manager and agent)`,
      `${(total(p.kcloud.reconciles) / n).toFixed(2)}: ${perVolume(p.kcloud.reconciles, n)}`,
    ],
    [
      `${title}: reconcile time per volume (ms, summed over workers)`,
      perVolume(scale(p.kcloud.reconcileSeconds, 1000), n, 1),
    ],
    [
      `${title}: CPU over kcloud's phase`,
      `all cores ${(p.kcloud.machineBusy * 100).toFixed(0)} % busy; ms per volume: ${perVolume(scale(p.kcloud.cpuSeconds, 1000), n, 1)}`,
    ],
    [
      `${title}: API requests per volume (all clients, watches excluded)`,
      `${(total(p.kcloud.requests) / n).toFixed(2)}: ${perVolume(p.kcloud.requests, n)}`,
    ],
  ];
}

export function renderSection(results: EvsBenchResults): string {
  const { run, pools } = results;
  const gib = run.sizeBytes / 2 ** 30;
  return [
    `Measured on ${run.date}: ${run.machine}; Node ${run.node}; kube-apiserver ${run.kubernetes}; etcd with fsync on; ${run.qemuImg}; ${run.ceph} (1 mon, 1 mgr, 1 BlueStore OSD on a sparse file, pool size 1). ` +
      `Run it with \`make bench\` (\`node bench/evs/main.ts\`; \`--volumes=100\` makes a quick run, \`--pools=file\` or \`--pools=rbd\` one pool kind); this run took ${(run.durationMs / 60_000).toFixed(1)} min.`,
    'How: the bench starts a control plane of its own and a Ceph of its own in `.local/bench-runs/` and stops both by their PIDs at the end. ' +
      'The manager (host-lifecycle and EVS controllers, no leader election) runs inside the bench process; one real `kcloud-agent` process runs with its host certificate, its own `--host-root`, and the rights the admission policy gives a host. ' +
      `Each pool kind gets one image (a ${gib} GiB qcow2 with 4 MiB written, imported from a file on the host: a qcow2 file in the File pool, a raw RBD image with its protected \`base\` snapshot in the RBD pool). ` +
      `Then, per pool, in this order: the baseline, ${formatCount(run.volumes)} copy-on-write clones of that image in the same pool by a plain loop of the tool the backend runs, ${run.concurrency} in flight (the agent's volume controller has ${run.concurrency} workers); ` +
      `then kcloud, ${formatCount(run.volumes)} Volume objects (${gib} GiB, the image's size, \`source.image\`) server-side applied with ${run.applies} requests in flight, each timed from its apply to the bench's own informer first seeing it Available (Ready=True for its generation). ` +
      'kcloud’s rate is the volumes over the time from the first apply to the last Available. The API server, etcd, Ceph, the manager, the agent and the bench share the two cores.',
    markdownTable(
      ['what', 'result'],
      pools.flatMap((p) => poolRows(p)),
    ),
    ...pools.map((p) => limits(p, run.concurrency, run.cores)),
  ].join('\n\n');
}

const agentController = 'evs-volume-agent';
const schedulerController = 'evs-volume-scheduler';

/** The share (0–1) of a phase that `workers` workers spent reconciling `seconds`. */
export function busyShare(seconds: number, elapsedMs: number, workers: number): number {
  return elapsedMs > 0 && workers > 0 ? (seconds * 1000) / (elapsedMs * workers) : NaN;
}

const pct = (x: number) => `${Math.round(x * 100)} %`;

/** CPU ms per volume of the processes whose names pass `keep`. */
function cpuMs(
  cpu: ReadonlyMap<string, number> | undefined,
  n: number,
  keep = (_: string) => true,
) {
  let s = 0;
  for (const [name, v] of cpu ?? []) if (keep(name)) s += v;
  return (s * 1000) / n;
}

const tools = {
  file: 'On a File pool the agent runs one `qemu-img create` per volume (what the baseline runs), and a `qemu-img info` for each later look at it; the rest of its reconcile time is API round trips made in series on one worker (a live GET of the image, its status apply; its finalizer came with the binding the scheduler wrote) and the pool’s own writes (owner record, fsync of the directory).',
  rbd: 'On an RBD pool the agent runs four `rbd` processes per volume where the baseline runs one: `rbd info` (is it there?), `rbd clone` under a partial name, `rbd image-meta set` (the owner record), `rbd rename` (publish, so a crash never leaves a half-made volume under its name); and `rbd info`, `rbd image-meta list` and `rbd du` for each later look. Each is a process start and a new monitor session, as long as one baseline clone.',
} as const;

/**
 * What limits kcloud's rate on one pool, from the measured figures: the agent's and the
 * scheduler's worker occupancy, the tool runs per volume, and CPU per volume beside the
 * baseline's.
 */
export function limits(p: PoolResult, workers: number, cores: number): string {
  const n = p.kcloud.count;
  const agentSeconds = p.kcloud.reconcileSeconds.get(agentController) ?? 0;
  const agentMs = (agentSeconds * 1000) / n;
  const agentBusy = busyShare(agentSeconds, p.kcloud.elapsedMs, workers);
  const schedulerBusy = busyShare(
    p.kcloud.reconcileSeconds.get(schedulerController) ?? 0,
    p.kcloud.elapsedMs,
    workers,
  );
  const agentReconciles = (p.kcloud.reconciles.get(agentController) ?? 0) / n;
  const cpu = p.kcloud.cpuSeconds;
  const apiserver = cpuMs(cpu, n, (k) => k === 'kube-apiserver' || k === 'etcd');
  const kcloudCpu = cpuMs(cpu, n);
  const baselineCpu = cpuMs(p.baseline.cpuSeconds, p.baseline.count);
  const bound =
    agentBusy >= 0.8
      ? `The agent’s volume controller sets the pace: its ${workers} workers were busy ${agentBusy >= 0.995 ? 'all' : pct(agentBusy)} of kcloud’s phase, ${ms(agentMs)} of reconcile time per volume (${agentReconciles.toFixed(2)} reconciles), which allows at most ${rate((workers * 1000) / agentMs)}.`
      : `The agent’s volume controller was busy ${pct(agentBusy)} of kcloud’s phase (${ms(agentMs)} of reconcile time per volume over ${workers} workers, ${agentReconciles.toFixed(2)} reconciles), the scheduler’s ${pct(schedulerBusy)}: neither alone sets the pace, the machine’s CPU does.`;
  return [
    `**${poolTitle[p.kind]}: what limits kcloud’s rate (${ratio(p).toFixed(2)}× the baseline).** ${bound}`,
    tools[p.kind],
    `CPU per volume, all the processes measured: kcloud ${ms(kcloudCpu)}, the baseline ${ms(baselineCpu)} per clone; all cores were ${pct(p.kcloud.machineBusy)} busy during kcloud’s phase, other work on the machine included. ` +
      `The API server and etcd alone took ${ms(apiserver)} per volume (${(total(p.kcloud.requests) / n).toFixed(1)} requests, each write fsynced by etcd and sent to every watcher: the manager’s, the agent’s, the bench’s and the garbage collector’s): on ${cores} cores that allows at most ${rate((cores * 1000) / apiserver)}, ${((cores * 1000) / apiserver / p.baseline.perSecond).toFixed(2)}× the baseline, however fast the controllers were.`,
    `The volumes were applied at ${rate(perSecond(n, p.kcloud.applyMs))}, faster than kcloud makes them, so apply → Available is mostly time in the queues: the last volumes wait for the ones before them.`,
  ].join(' ');
}
