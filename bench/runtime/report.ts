// The benchmark's section of docs/benchmarks.md: method, machine, date, and the figures.
import type { InitialList } from '../../controllers/informer/index.ts';
import { markdownTable } from '../lib/markdown.ts';
import { mebibytes, type MemorySample } from '../lib/memory.ts';
import { formatCount } from '../lib/progress.ts';
import { summarize, type Summary } from '../lib/stats.ts';
import type { RequestCounts } from './counter-manager.ts';
import type { BaselineResult, BurstResult, InitialListResult, SteadyResult } from './measure.ts';
import type { ProbeOutput } from './memory-probe.ts';

export const sectionHeading = 'Controller runtime';

export interface RunInfo {
  date: string;
  machine: string;
  node: string;
  kubernetes: string;
  workers: number;
  createConcurrency: number;
  resyncPeriodMs: number;
  durationMs: number;
}

export interface BenchResults {
  run: RunInfo;
  baseline: BaselineResult;
  /** The Counters created with no manager running, for the memory figures. */
  bulkCreatePerSec: number;
  burst: BurstResult;
  steady: SteadyResult;
  backlog: { objects: number; cached: number; objectsPerSec: number; requests: RequestCounts };
  memory: {
    /** Fresh processes running only a manager, with the small and the large cache. */
    manager: { small: ProbeOutput; large: ProbeOutput };
    /** The benchmark process itself, after the phases before each figure. */
    bench: { empty: MemorySample; small: MemorySample; large: MemorySample; peakRssBytes: number };
  };
  initialList: InitialListResult;
  server: { apiserverRssBytes: number; etcdRssBytes: number };
}

const rate = (n: number) => `${formatCount(n)} objects/s`;
const pct = (part: number, whole: number) => `${Math.round((100 * part) / whole)} %`;
const ms = (n: number) => (n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(2)} s`);
const seconds = (n: number) => `${(n / 1000).toFixed(2)} s`;
const runs = (n: number) => (n === 1 ? '1 run' : `${n} runs`);

function perObject(counts: RequestCounts, objects: number): string {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const verbs = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([verb, n]) => `${verb} ${(n / objects).toFixed(3)}`);
  return `${(total / objects).toFixed(3)} (${verbs.join(', ')})`;
}

function memory(sample: MemorySample): string {
  return `${mebibytes(sample.rssBytes)} RSS, ${mebibytes(sample.heapUsedBytes)} heap`;
}

/** Which initial list is faster by median, and whether every run of it beat every run of the other. */
export function compareInitialLists(result: InitialListResult): {
  faster: InitialList;
  slower: InitialList;
  medians: Record<InitialList, number>;
  separated: boolean;
} {
  const medians = {
    paginated: summarize(result.ms.paginated).p50,
    streaming: summarize(result.ms.streaming).p50,
  };
  const faster: InitialList = medians.streaming < medians.paginated ? 'streaming' : 'paginated';
  const slower: InitialList = faster === 'streaming' ? 'paginated' : 'streaming';
  const separated = Math.max(...result.ms[faster]) < Math.min(...result.ms[slower]);
  return { faster, slower, medians, separated };
}

const p50p99max = (s: Summary) => `${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.max)}`;

export function renderSection(r: BenchResults): string {
  const { run, baseline, burst, steady, backlog, initialList } = r;
  const n = formatCount(burst.objects);
  const total = formatCount(backlog.cached);
  const added = backlog.cached - burst.objects;
  const lists = compareInitialLists(initialList);
  const { small, large } = r.memory.manager;
  const bench = r.memory.bench;
  const serverBound = 1 / (1 / r.bulkCreatePerSec + 1 / baseline.writesPerSec);
  const perCounter = (key: 'heapUsedBytes' | 'rssBytes') =>
    `${formatCount((large.loaded[key] - small.loaded[key]) / added)} bytes`;

  const rows: string[][] = [
    [
      `Baseline: ${n} status writes in a tight loop, ${run.workers} in flight`,
      rate(baseline.writesPerSec),
    ],
    [
      `Runtime: ${n} Counters created while the manager runs, first create to last done`,
      `${rate(burst.objectsPerSec)} (**${pct(burst.objectsPerSec, baseline.writesPerSec)}** of baseline)`,
    ],
    [
      `Runtime: ${formatCount(backlog.objects)} Counters waiting when the manager starts, start to last done`,
      `${rate(backlog.objectsPerSec)} (**${pct(backlog.objectsPerSec, baseline.writesPerSec)}** of baseline)`,
    ],
    ['Runtime: latency enqueue → done, p50 / p99 / max', p50p99max(burst.enqueueToDoneMs)],
    ['Runtime: latency create sent → done, p50 / p99 / max', p50p99max(burst.createToDoneMs)],
    [
      'Runtime: the reconcile itself (one status write), p50 / p99 / max',
      p50p99max(burst.reconcileMs),
    ],
    [
      'Runtime: API requests per object (created while running)',
      perObject(burst.requests, burst.objects),
    ],
    [
      'Runtime: API requests per object (waiting at start, list included)',
      perObject(backlog.requests, backlog.objects),
    ],
    [
      `Steady state: API writes in the ${seconds(steady.windowMs)} after convergence (2 resync periods + 1 s; ${formatCount(steady.reconciles)} reconciles)`,
      `**${steady.writes}**`,
    ],
    [
      `Creates while the manager reconciles them, ${run.createConcurrency} in flight`,
      rate(burst.createPerSec),
    ],
    [
      `Creates with no manager running (the ${formatCount(added)} added for memory), ${run.createConcurrency} in flight`,
      rate(r.bulkCreatePerSec),
    ],
    ['Manager process before the manager starts (Node and modules)', memory(small.before)],
    [`Manager process, cache holding ${n} Counters`, memory(small.loaded)],
    [`Manager process, cache holding ${total} Counters`, memory(large.loaded)],
    [
      `Memory per cached Counter (growth from ${n} to ${total}), heap / RSS`,
      `${perCounter('heapUsedBytes')} / ${perCounter('rssBytes')}`,
    ],
    [
      `Bench process: at start; cache ${n}; cache ${total}; peak`,
      `${mebibytes(bench.empty.rssBytes)}; ${mebibytes(bench.small.rssBytes)}; ${mebibytes(bench.large.rssBytes)}; ${mebibytes(bench.peakRssBytes)} RSS`,
    ],
    [
      `kube-apiserver / etcd RSS with ${formatCount(backlog.cached + baseline.objects)} Counters stored`,
      `${mebibytes(r.server.apiserverRssBytes)} / ${mebibytes(r.server.etcdRssBytes)}`,
    ],
    [
      `Initial list of ${total} Counters, paginated (500 per page), ${runs(initialList.ms.paginated.length)}`,
      `${initialList.ms.paginated.map(seconds).join(', ')} (median ${seconds(lists.medians.paginated)})`,
    ],
    [
      `Initial list of ${total} Counters, streaming (sendInitialEvents), ${runs(initialList.ms.streaming.length)}`,
      `${initialList.ms.streaming.map(seconds).join(', ')} (median ${seconds(lists.medians.streaming)})`,
    ],
  ];

  const verdict = lists.separated
    ? `**${lists.faster}** was faster in every run`
    : `**${lists.faster}** had the lower median, but the runs of the two modes overlap: the difference is within run-to-run noise`;

  return [
    `Measured on ${run.date}: ${run.machine}; Node ${run.node}; kube-apiserver ${run.kubernetes}; etcd with fsync on. ` +
      `Run it with \`make bench\` (\`node --expose-gc bench/runtime/main.ts\`); this run took ${(run.durationMs / 60_000).toFixed(1)} min.`,
    'How: the bench starts a control plane of its own in `.local/bench-runs/` and stops it at the end. ' +
      'Its kind, `Counter` (`bench/runtime/bench-kind.ts`), has a controller built from the runtime’s ' +
      '`Controller` and `applyStatus`: it reads the object from the informer cache and writes ' +
      '`status.observed`, `observedGeneration` and a Ready condition with one server-side apply on ' +
      '/status, and touches no backend, so the figures are the runtime’s and the API server’s. ' +
      'The API server, etcd and the bench share the two cores.',
    markdownTable(['what', 'result'], rows),
    `- **Baseline** issues the controller’s own status write (same \`ApiClient\`, \`ObjectClient\` and \`applyStatus\`) ` +
      `for ${n} pre-created Counters from a loop with ${run.workers} requests in flight, as many as the controller’s workers.`,
    `- **Runtime, created while running**: a \`Manager\` (no leader election) runs one controller with ${run.workers} ` +
      `workers and a ${run.resyncPeriodMs / 1000} s resync; ${n} Counters are then created as fast as ` +
      `${run.createConcurrency} requests in flight allow. An object is done when its reconcile wrote the ` +
      'status for its generation; the run waits until the informer cache also shows every generation observed. ' +
      'Enqueue is when the informer delivered the object. The API server also handles the creates here, ' +
      'which the baseline does not, so a runtime without any overhead would still fall short of the baseline: ' +
      `if every object cost the server one create (${rate(r.bulkCreatePerSec)} alone) and one status write ` +
      `(${rate(baseline.writesPerSec)} alone) and nothing else, ${n} objects could be done at ` +
      `about ${rate(serverBound)}; the runtime did ${rate(burst.objectsPerSec)}. ` +
      'Creates arrive faster than statuses are written, so keys wait in the queue: that wait is most of the ' +
      'latency (compare the reconcile’s own time).',
    `- **Runtime, waiting at start**: the manager is stopped, ${formatCount(added)} more Counters are ` +
      `created, and a new manager starts on all ${total}: it lists them, queues every key at once and writes ` +
      `${formatCount(backlog.objects)} statuses. This rate compares the runtime with the baseline like for like.`,
    '- **API requests** are counted by the manager’s `ApiClient.counts` (creates go through a client of their own). ' +
      '**Steady state** counts POST, PUT, PATCH and DELETE after convergence while each resync reconciles every object again.',
    '- **Memory** is `process.memoryUsage()` after a full garbage collection (`--expose-gc`). The manager figures come ' +
      'from a fresh `node` process running only a manager with the Counter controller (`bench/runtime/memory-probe.ts`), ' +
      'measured once its cache holds every Counter and all are converged; the bench process’s own RSS also holds ' +
      'what the phases before it allocated, and is shown for reference.',
    `- **Initial list**: a fresh informer syncs ${total} Counters, alternating the two modes. ${verdict} ` +
      `(median ${seconds(lists.medians[lists.faster])} against ${seconds(lists.medians[lists.slower])} for ${lists.slower}). ` +
      'Informers stream by default (`--initial-list=streaming`, measured here as the faster), and fall back to ' +
      'paginated lists on a server that cannot stream.',
  ].join('\n\n');
}
