#!/usr/bin/env node
// The controller runtime benchmark (`make bench`): status-write baseline, the runtime on the
// same writes, steady-state API writes, memory per cached object, and the two initial lists,
// all in one run against a control plane of its own. Writes its section of docs/benchmarks.md.
//
// usage: node --expose-gc bench/runtime/main.ts [--objects=5000] [--total=30000] [--workers=8]
//          [--creates=16] [--resync-ms=5000] [--rounds=3] [--out=docs/benchmarks.md] [--keep]
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { realClock } from '../../controllers/clock/index.ts';
import { ApiClient, loadKubeConfig } from '../../controllers/kube/index.ts';
import { createLogger } from '../../controllers/logging/logger.ts';
import { repoRoot, residentBytes, serverVersion } from '../../hack/cluster/index.ts';
import { withControlPlane } from '../lib/control-plane.ts';
import { publishSection, runBench } from '../lib/run.ts';
import { PeakRss, sampleMemory } from '../lib/memory.ts';
import { formatCount } from '../lib/progress.ts';
import { perSecond } from '../lib/stats.ts';
import {
  measureBacklog,
  measureBaseline,
  measureBurst,
  measureInitialList,
  measureMemory,
  measureSteadyState,
  probeManagerMemory,
  startManager,
  type Env,
} from './measure.ts';
import { createNamespace } from '../lib/cluster-objects.ts';
import { createCounters, installCounterCrd } from './objects.ts';
import { renderSection, sectionHeading, type BenchResults } from './report.ts';

function positive(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
}

function options(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      objects: { type: 'string', default: '5000' },
      total: { type: 'string', default: '30000' },
      workers: { type: 'string', default: '8' },
      creates: { type: 'string', default: '16' },
      'resync-ms': { type: 'string', default: '5000' },
      rounds: { type: 'string', default: '3' },
      out: { type: 'string', default: path.join(repoRoot, 'docs', 'benchmarks.md') },
      keep: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const objects = positive('objects', values.objects);
  const total = positive('total', values.total);
  if (total <= objects) throw new Error('--total must be larger than --objects');
  return {
    objects,
    total,
    workers: positive('workers', values.workers),
    creates: positive('creates', values.creates),
    resyncPeriodMs: positive('resync-ms', values['resync-ms']),
    rounds: positive('rounds', values.rounds),
    out: values.out,
    keep: values.keep,
  };
}

function machine(): string {
  const cpus = os.cpus();
  const gib = Math.round(os.totalmem() / 2 ** 30);
  // Other work on the machine slows the API server; the load before the run shows if there was any.
  const load = os.loadavg()[0] ?? 0;
  return `${cpus.length} cores (${cpus[0]?.model ?? 'unknown CPU'}), ${gib} GiB, Linux ${os.release()}, load average ${load.toFixed(2)} before the run`;
}

async function main(argv: string[]): Promise<void> {
  const opts = options(argv);
  const host = machine();
  const clock = realClock;
  const t0 = clock.now();
  const print = (line: string) => {
    console.log(`[${((clock.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  };
  if (!globalThis.gc) print('warning: without node --expose-gc the memory figures include garbage');
  const peak = new PeakRss({ clock });
  peak.start();
  const baselineNs = 'bench-baseline';
  const runtimeNs = 'bench-runtime';

  const results = await withControlPlane(
    { name: 'runtime', keep: opts.keep, log: print },
    async ({ layout, info }): Promise<BenchResults> => {
      const kubeconfig = loadKubeConfig(info.kubeconfig);
      const users = new ApiClient(kubeconfig);
      const env: Env = {
        kubeconfig,
        kubeconfigPath: info.kubeconfig,
        users,
        clock,
        log: createLogger('kcloud-bench', 'warn'),
        print,
        workers: opts.workers,
        createConcurrency: opts.creates,
        resyncPeriodMs: opts.resyncPeriodMs,
      };
      try {
        await installCounterCrd(users, clock);
        await createNamespace(users, baselineNs);
        await createNamespace(users, runtimeNs);
        const empty = sampleMemory();

        print(`1/5 baseline: ${formatCount(opts.objects)} Counters, then their status writes`);
        const baseline = await measureBaseline(env, baselineNs, opts.objects);

        print(`2/5 runtime: ${formatCount(opts.objects)} Counters created while the manager runs`);
        const m1 = await startManager(env, runtimeNs);
        let burst, steady, small;
        try {
          burst = await measureBurst(env, m1, runtimeNs, opts.objects);
          print('3/5 steady state');
          steady = await measureSteadyState(env, m1);
          small = measureMemory(m1, opts.objects);
        } finally {
          await m1.stop();
        }
        const probeSmall = await probeManagerMemory(env, runtimeNs, opts.objects);

        print(
          `4/5 memory: ${formatCount(opts.total - opts.objects)} more Counters, then a new manager`,
        );
        const bulk = await createCounters({
          api: users,
          namespace: runtimeNs,
          from: opts.objects,
          count: opts.total - opts.objects,
          concurrency: opts.creates,
          clock,
          print,
        });
        const backlog = await measureBacklog(env, runtimeNs, opts.total - opts.objects, opts.total);
        let large;
        try {
          large = measureMemory(backlog.manager, opts.total);
        } finally {
          await backlog.manager.stop();
        }
        const probeLarge = await probeManagerMemory(env, runtimeNs, opts.total);
        const pid = (name: string) => info.processes.find((p) => p.name === name)?.pid ?? -1;
        const server = {
          apiserverRssBytes: residentBytes(pid('kube-apiserver')),
          etcdRssBytes: residentBytes(pid('etcd')),
        };

        print(`5/5 initial list of ${formatCount(opts.total)} Counters, paginated and streaming`);
        const initialList = await measureInitialList(env, runtimeNs, opts.total, opts.rounds);

        return {
          run: {
            date: new Date(clock.now()).toISOString().slice(0, 10),
            machine: host,
            node: process.version,
            kubernetes: (await serverVersion(layout)).gitVersion,
            workers: opts.workers,
            createConcurrency: opts.creates,
            resyncPeriodMs: opts.resyncPeriodMs,
            durationMs: 0,
          },
          baseline,
          bulkCreatePerSec: perSecond(opts.total - opts.objects, bulk.elapsedMs),
          burst,
          steady,
          backlog,
          memory: {
            manager: { small: probeSmall, large: probeLarge },
            bench: { empty, small, large, peakRssBytes: 0 },
          },
          initialList,
          server,
        };
      } finally {
        await users.close();
      }
    },
  );
  results.memory.bench.peakRssBytes = peak.stop();
  results.run.durationMs = clock.now() - t0;
  await publishSection(opts.out, sectionHeading, renderSection(results), print);
}

runBench(main);
