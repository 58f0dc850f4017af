// The section of docs/benchmarks.md this benchmark writes.
import { markdownTable } from '../lib/markdown.ts';
import { mebibytes } from '../lib/memory.ts';
import { formatCount } from '../lib/progress.ts';
import { percentile } from '../lib/stats.ts';
import { perInstanceCell, type DecisionRate, type KcloudRequests } from './figures.ts';

/** One section per number of hosts: a run at another scale does not replace this one's figures. */
export function sectionHeading(hosts: number): string {
  return `ECS control plane at scale: ${formatCount(hosts)} simulated hosts`;
}

export interface CpuSpan {
  ms: number;
  /** CPU seconds per process over the span. */
  seconds: Record<string, number>;
}

export interface ScaleResult {
  date: string;
  machine: string;
  node: string;
  kubernetes: string;
  command: string;
  minutes: number;
  hosts: number;
  instances: number;
  rate: number;
  hostsReadyMs: number;
  /** The agent's --heartbeat-interval, seconds. */
  heartbeatSeconds: number;
  /** The agent's --cpu-overcommit: vCPUs per host CPU. */
  cpuOvercommit: number;
  /** The manager's --scheduler-workers. */
  schedulerWorkers: number;
  kcloud: {
    /** Create sent (its slot) → the API server's answer, ms. */
    createMs: number[];
    refused: number;
    /** Create's slot → first seen Running, ms, of those that got there. */
    runningMs: number[];
    /** Create's slot → first seen bound to a host (the scheduler's decision written), ms. */
    boundMs: number[];
    /** First seen bound → first seen Running, ms. */
    boundToRunningMs: number[];
    /** Instances not Running when the wait ended, by state. */
    notRunning: [string, number][];
    /** From the first slot until the last instance was seen Running. */
    spanMs: number;
  };
  baseline: { count: number; createMs: number[]; refused: number };
  decisions: DecisionRate;
  /**
   * The manager's reconciles over the measured phase, per controller: how many, their seconds,
   * and the mean wait of a key in the work queue before a worker took it.
   */
  reconciles: Record<string, { count: number; seconds: number; queuedMs: number }>;
  requests: KcloudRequests;
  /** Requests each process sent over the measured phase, as it counted them. */
  sentBy: { manager: number; agent: number };
  memory: {
    managerReadyBytes: number;
    managerPeakBytes: number;
    managerEndBytes: number;
    agentPeakBytes: number;
  };
  /** idle: the heartbeats alone, before the baseline (their cost per second is taken out). */
  cpu: { idle: CpuSpan; baseline: CpuSpan; kcloud: CpuSpan };
}

const ms = (v: number) =>
  Number.isNaN(v) ? '–' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(0)} ms`;

/** `p50 / p95 / p99 / max` of latencies in ms. */
export function percentilesCell(values: readonly number[], ps = [50, 95, 99, 100]): string {
  return ps.map((p) => ms(percentile(values, p))).join(' / ');
}

export function cpuCell(span: CpuSpan): string {
  const wall = span.ms / 1000;
  return Object.entries(span.seconds)
    .sort(([, a], [, b]) => b - a)
    .map(([name, s]) => `${name} ${s.toFixed(1)} s (${(s / wall).toFixed(2)} cores)`)
    .join('; ');
}

export function reconcilesCell(r: ScaleResult['reconciles']): string {
  return Object.entries(r)
    .sort(([, a], [, b]) => b.count - a.count)
    .map(
      ([name, { count, seconds, queuedMs }]) =>
        `${name} ${formatCount(count)} (${ms((seconds * 1000) / count)} each, ${ms(queuedMs)} queued)`,
    )
    .join('; ');
}

/**
 * The API server's CPU per Instance, less what the heartbeats cost at the rate measured while
 * nothing else went on: the longer a run, the more renewals it holds, and they do not grow
 * with the create rate.
 */
export function apiserverCpuCell(r: ScaleResult): string {
  const api = 'kube-apiserver';
  const seconds = r.cpu.kcloud.seconds[api] ?? NaN;
  const idleCores = (r.cpu.idle.seconds[api] ?? NaN) / (r.cpu.idle.ms / 1000);
  const heartbeats = idleCores * (r.cpu.kcloud.ms / 1000);
  const running = r.kcloud.runningMs.length;
  const net = (seconds - heartbeats) / running;
  const requests = r.requests.total + running;
  // What the create rate would ask of the API server alone, at this cost per Instance.
  const cores = net * r.rate;
  return `${ms(net * 1000)} per Instance with the heartbeats’ share (${idleCores.toFixed(2)} cores, ${heartbeats.toFixed(0)} s of the ${seconds.toFixed(0)} s) taken out: ${cores.toFixed(1)} cores at ${String(r.rate)} Instances/s; ${(((seconds - heartbeats) * 1e6) / requests).toFixed(0)} µs per kcloud request (the creates included)`;
}

export function renderSection(r: ScaleResult): string {
  const n = formatCount(r.instances);
  const running = r.kcloud.runningMs.length;
  const notRunning =
    r.kcloud.notRunning.length === 0
      ? 'none'
      : r.kcloud.notRunning.map(([why, count]) => `${formatCount(count)} ${why}`).join('; ');
  const heartbeatsPerSecond = (r.requests.heartbeats * 1000) / r.cpu.kcloud.ms;
  const rows: string[][] = [
    [
      `${formatCount(r.hosts)} simulated hosts Ready, Schedulable and reaching the pool, from the agent’s start`,
      `${(r.hostsReadyMs / 1000).toFixed(1)} s`,
    ],
    [
      `kcloud: ${n} Instances created at ${String(r.rate)}/s, create → Running, p50 / p95 / p99 / max`,
      `**${percentilesCell(r.kcloud.runningMs)}**`,
    ],
    [
      `kcloud: Instances Running / created (refused by the API server)`,
      `${formatCount(running)} / ${n} (${formatCount(r.kcloud.refused)})`,
    ],
    [`kcloud: not Running when the wait ended`, notRunning],
    [
      `… of which create → bound to a host (the scheduler’s decision written), p50 / p95 / p99 / max`,
      percentilesCell(r.kcloud.boundMs),
    ],
    [
      `… and bound → Running (volume, attachment, the agent’s report), p50 / p95 / p99 / max`,
      percentilesCell(r.kcloud.boundToRunningMs),
    ],
    [
      `kcloud: first create → last Instance Running (Instances Running per second)`,
      `${(r.kcloud.spanMs / 1000).toFixed(1)} s (${((running * 1000) / r.kcloud.spanMs).toFixed(1)}/s)`,
    ],
    [
      `kcloud: create answered by the API server (manager and agent acting), p50 / p95 / p99 / max`,
      percentilesCell(r.kcloud.createMs),
    ],
    [
      `Baseline: ${formatCount(r.baseline.count)} Instance creates at ${String(r.rate)}/s into a namespace nothing acts on, p50 / p95 / p99 / max`,
      `**${percentilesCell(r.baseline.createMs)}** (${formatCount(r.baseline.refused)} refused)`,
    ],
    [
      'Scheduling decisions: Instances bound to a host per second, first to last (most in one second)',
      `${Number.isNaN(r.decisions.perSecond) ? '–' : r.decisions.perSecond.toFixed(0)}/s (${formatCount(r.decisions.peakPerSecond)})`,
    ],
    [
      'The manager’s reconciles (mean time each, mean wait in the work queue before it)',
      reconcilesCell(r.reconciles),
    ],
    [
      'API requests per Instance made by kcloud (the benchmark’s creates and the heartbeats left out)',
      perInstanceCell(r.requests, r.instances),
    ],
    [
      '… sent by the manager / by the agent (its heartbeats left out), per Instance',
      `${(r.sentBy.manager / r.instances).toFixed(2)} / ${((r.sentBy.agent - r.requests.heartbeats) / r.instances).toFixed(2)}`,
    ],
    [
      `Heartbeats meanwhile (Lease requests of ${formatCount(r.hosts)} hosts)`,
      `${heartbeatsPerSecond.toFixed(0)}/s`,
    ],
    [
      `Manager RSS: ready with ${formatCount(r.hosts)} hosts / peak / holding ${n} Instances`,
      `${mebibytes(r.memory.managerReadyBytes)} / **${mebibytes(r.memory.managerPeakBytes)}** / ${mebibytes(r.memory.managerEndBytes)}`,
    ],
    [`Agent RSS, peak (${formatCount(r.hosts)} hosts)`, mebibytes(r.memory.agentPeakBytes)],
    ['kube-apiserver CPU per Instance Running, and per kcloud API request', apiserverCpuCell(r)],
    [
      `CPU with only the heartbeats going on (${(r.cpu.idle.ms / 1000).toFixed(0)} s, before the baseline)`,
      cpuCell(r.cpu.idle),
    ],
    [
      `CPU while the baseline ran (${(r.cpu.baseline.ms / 1000).toFixed(0)} s)`,
      cpuCell(r.cpu.baseline),
    ],
    [
      `CPU from the first kcloud create until the manager was idle (${(r.cpu.kcloud.ms / 1000).toFixed(0)} s)`,
      cpuCell(r.cpu.kcloud),
    ],
  ];
  return [
    `Measured on ${r.date}: ${r.machine}; Node ${r.node}; kube-apiserver ${r.kubernetes}; etcd with fsync on. This run: \`${r.command}\` (${formatCount(r.hosts)} hosts, ${n} Instances at ${String(r.rate)}/s); \`--hosts=50 --instances=500\` makes a quick run; it took ${r.minutes.toFixed(1)} min.`,
    '',
    `How: the bench starts a control plane of its own in \`.local/bench-runs/\` and stops it at the end. One real \`kcloud-agent --simulate=${String(r.hosts)}\` process, with the simulator’s certificate (\`kcloud:simulator:bench\`, confined by the admission policy to its hosts \`bench-sim-<n>\`), registers the hosts and renews one heartbeat Lease per host every ${String(r.heartbeatSeconds)} s (\`--heartbeat-interval\`: the default 10 s up to 1,000 hosts, beyond it long enough to keep the renewals at 100/s, since one process sends them all; past 100 hosts its informers select every bound object and keep its own hosts’ on its side, since a selector naming them all would not fit in a request); its host modules answer for what is bound to those hosts without running anything (a VM is as its spec says at once; volumes live in memory). With \`--cpu-overcommit=${String(r.cpuOvercommit)}\` every host offers the machine’s CPUs × ${String(r.cpuOvercommit)} vCPUs, room for every Instance of the run. One real \`kcloud-manager --operators=ecs,evs --namespace=bench-ecs\` process (no leader election; ${String(r.schedulerWorkers)} scheduler workers, \`--scheduler-workers\`) schedules and binds the Instances and makes their boot volumes and attachments. Each Instance is a Flavor of 1 vCPU and 256 MiB, a boot Volume cloned from one Image in a Shared StoragePool every simulated host reaches, and \`hostSelector: {host.kcloud.io/simulated: "true"}\`; it has **no network interfaces** (the VPC pipeline has its own benchmark above), so no OVN runs. The creates are an open loop: each is sent at its slot (${String(r.rate)}/s) whether the ones before it were answered or not, and timed from that slot; the bench’s own informer notes when each Instance is first seen bound to a host and first seen with phase Running. The baseline runs first, in the same run, with the manager and the agent already running: the same Instance objects at the same rate into \`bench-plain\`, a namespace the manager does not watch and no host is bound to, so its latency is the API server’s and etcd’s alone (validation, CEL, the write) with the heartbeats going on. Before it, ${(r.cpu.idle.ms / 1000).toFixed(0)} s with nothing but the heartbeats measure what they cost; the API server’s CPU per Instance has that cost, over the measured phase, taken out. The API requests per Instance are the growth of kube-apiserver’s \`apiserver_request_total\` by resource and verb from the first kcloud create until every Instance was Running and the manager’s work queues were empty, less the bench’s own creates and the Lease requests (heartbeats, shown per second); the bench’s own informer on the Instances (its list and watch) is in it, its reads of /metrics are not (they name no resource). RSS is read from /proc every second; CPU is user + system time from /proc. Percentiles are nearest-rank. The API server, etcd, the manager, the agent and the bench share the machine’s cores.`,
    '',
    markdownTable(['what', 'result'], rows),
  ].join('\n');
}
