#!/usr/bin/env node
// The ECS control plane at scale: N simulated hosts (one kcloud-agent process) and M Instances
// created at a steady rate, with one kcloud-manager process scheduling and building them:
// create → Running, scheduling decisions per second, API requests per Instance, the manager's
// and the agent's memory and CPU, beside a baseline of the same creates that nothing acts on.
// Writes its section of docs/benchmarks.md.
//
// usage: node bench/ecs-scale/main.ts [--hosts=1000] [--instances=10000] [--rate=100]
//          [--baseline=<instances>] [--out=docs/benchmarks.md] [--keep]
import os from 'node:os';
import { realClock } from '../../controllers/clock/index.ts';
import {
  ApiClient,
  loadKubeConfig,
  ObjectClient,
  type KubeObject,
} from '../../controllers/kube/index.ts';
import { createLogger } from '../../controllers/logging/logger.ts';
import { repoRoot, serverVersion } from '../../hack/cluster/index.ts';
import { defaultSchedulerWorkers, Instance } from '../../operators/ecs/index.ts';
import { withControlPlane } from '../lib/control-plane.ts';
import { machineLine } from '../lib/machine.ts';
import { PeakRss } from '../lib/memory.ts';
import { formatCount, progress } from '../lib/progress.ts';
import { publishSection, runBench } from '../lib/run.ts';
import { until } from '../lib/until.ts';
import { cpuByName } from '../vpc/cpu.ts';
import { growth, managerWork, parseMetrics, queueDepth } from '../vpc/metrics.ts';
import {
  clientRequests,
  decisionRate,
  kcloudRequests,
  latencies,
  queueWaits,
  requestCounts,
  slowestAfterBinding,
} from './figures.ts';
import { instanceName, InstanceWatch } from './instance-watch.ts';
import { openLoop, type Sent } from './open-loop.ts';
import { commandLine, parseOptions } from './options.ts';
import {
  cpuCell,
  percentilesCell,
  renderSection,
  sectionHeading,
  type CpuSpan,
  type ScaleResult,
} from './report.ts';
import { cpuOvercommit, instanceObject, names, startWorld } from './world.ts';

/** No instance newly Running for this long ends the wait: what is left is reported as stuck. */
const stallMs = 120_000;

/** How long the heartbeats' own cost is measured before the baseline. */
const idleWindowMs = 15_000;

async function main(argv: string[]): Promise<void> {
  const opts = parseOptions(argv, repoRoot);
  const clock = realClock;
  const t0 = clock.now();
  const print = (line: string) => {
    console.log(`[${((clock.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  };
  const machine = machineLine();
  const log = createLogger('kcloud-bench-ecs-scale', 'warn');

  const result = await withControlPlane(
    { name: 'ecs-scale', keep: opts.keep, log: print },
    async ({ layout, info }): Promise<ScaleResult> => {
      const api = new ApiClient(loadKubeConfig(info.kubeconfig));
      const world = await startWorld({
        api,
        layout,
        kubeconfigPath: info.kubeconfig,
        hosts: opts.hosts,
        heartbeatSeconds: opts.heartbeatSeconds,
        ...(opts.schedulerWorkers === undefined ? {} : { schedulerWorkers: opts.schedulerWorkers }),
        clock,
        print,
      });
      // Stopped at once on a signal, so they hold no request open while the API server stops.
      const onSignal = () => {
        world.manager.terminate();
        world.agent.terminate();
      };
      process.prependListener('SIGINT', onSignal);
      process.prependListener('SIGTERM', onSignal);
      const stopWatch = new AbortController();
      let watching: Promise<void> | undefined;
      try {
        const { manager, agent } = world;
        const managerPeak = new PeakRss({
          clock,
          intervalMs: 1000,
          read: () => manager.rssBytes(),
        });
        const agentPeak = new PeakRss({ clock, intervalMs: 1000, read: () => agent.rssBytes() });
        managerPeak.start();
        agentPeak.start();
        const managerReadyBytes = manager.rssBytes();
        const pids = new Map<string, number>([
          ['manager', manager.child.pid ?? -1],
          ['agent', agent.child.pid ?? -1],
          ['bench', process.pid],
          ...info.processes.map((p) => [p.name, p.pid] as const),
        ]);
        const cpuSpan = async <T>(fn: () => Promise<T>): Promise<[T, CpuSpan]> => {
          const before = cpuByName(pids);
          const started = clock.now();
          const out = await fn();
          const after = cpuByName(pids);
          const seconds: Record<string, number> = {};
          for (const [name, s] of after) seconds[name] = s - (before.get(name) ?? 0);
          return [out, { ms: clock.now() - started, seconds }];
        };
        const apiserverRequests = async () => {
          const lines: string[] = [];
          for await (const l of api.lines({ method: 'GET', path: '/metrics' })) lines.push(l);
          return requestCounts(parseMetrics(lines));
        };
        const instances = new ObjectClient<KubeObject>(api, Instance.resource);
        const createAll = (namespace: string, count: number, label: string) => {
          const p = progress(label, count, { clock, print });
          return openLoop(
            count,
            opts.rate,
            async (i) => {
              await instances.create(instanceObject(namespace, instanceName(i)));
            },
            {
              clock,
              onSent: () => {
                p.tick();
              },
            },
          ).finally(() => p.finish());
        };
        const answered = (sent: Sent[]) =>
          sent.flatMap((s) => (s.answered === undefined ? [] : [s.answered - s.slot]));
        const refusals = (sent: Sent[]) => {
          const errors = sent.flatMap((s) => (s.error === undefined ? [] : [s.error]));
          if (errors.length > 0)
            print(`${formatCount(errors.length)} creates refused; the first: ${errors[0] ?? ''}`);
          return errors.length;
        };

        // What the heartbeats alone cost (every host renewing its Lease, nothing else going
        // on): taken out of the API server's CPU per Instance, which the run's length would
        // otherwise inflate.
        const [, idleCpu] = await cpuSpan(() => clock.sleep(idleWindowMs));
        print(`CPU with only the heartbeats going on: ${cpuCell(idleCpu)}`);
        print(
          `baseline: ${formatCount(opts.baseline)} Instance creates at ${String(opts.rate)}/s into ${names.plain}`,
        );
        const [baselineSent, baselineCpu] = await cpuSpan(() =>
          createAll(names.plain, opts.baseline, 'baseline creates'),
        );
        print(
          `baseline: create answered p50 / p95 / p99 / max ${percentilesCell(answered(baselineSent))}`,
        );
        print(`baseline CPU: ${cpuCell(baselineCpu)}`);

        const watch = new InstanceWatch({
          api,
          namespace: names.namespace,
          count: opts.instances,
          clock,
          log,
        });
        watching = watch.informer.run(stopWatch.signal);
        await watch.informer.waitForSync();

        print(
          `kcloud: ${formatCount(opts.instances)} Instances at ${String(opts.rate)}/s into ${names.namespace}, ${formatCount(opts.hosts)} hosts`,
        );
        const requestsBefore = await apiserverRequests();
        const managerBefore = parseMetrics(await manager.metrics());
        const agentBefore = clientRequests(parseMetrics(await agent.metrics()));
        const workBefore = managerWork(managerBefore);
        const queuedBefore = queueWaits(managerBefore);
        const [kcloudSent, kcloudCpu] = await cpuSpan(async () => {
          const sent = await createAll(names.namespace, opts.instances, 'kcloud creates');
          const created = sent.filter((s) => s.answered !== undefined).length;
          let lastProgress = clock.now();
          let lastCount = -1;
          let lastPrint = 0;
          await until(
            () => {
              const running = watch.runningCount;
              const now = clock.now();
              if (running !== lastCount) {
                lastCount = running;
                lastProgress = now;
              }
              if (now - lastPrint >= 5_000) {
                lastPrint = now;
                print(
                  `kcloud: ${formatCount(watch.boundCount)} bound, ${formatCount(running)}/${formatCount(created)} Running`,
                );
              }
              if (!manager.running()) throw new Error(`the manager exited; see ${manager.logFile}`);
              if (!agent.running()) throw new Error(`kcloud-agent exited; see ${agent.logFile}`);
              return running >= created || now - lastProgress >= stallMs;
            },
            { clock, timeoutMs: 24 * 3_600_000, what: 'every Instance Running', intervalMs: 200 },
          );
          // What the Instances set off (events, the last status writes) belongs to them too.
          let emptyOnce = false;
          await until(
            async () => {
              const empty = queueDepth(parseMetrics(await manager.metrics())) === 0;
              const twice = empty && emptyOnce;
              emptyOnce = empty;
              return twice;
            },
            {
              clock,
              timeoutMs: stallMs,
              what: 'the manager’s work queues to empty',
              intervalMs: 200,
            },
          ).catch((err: unknown) => {
            print(String(err));
          });
          return sent;
        });
        const requestsAfter = await apiserverRequests();
        const managerAfter = parseMetrics(await manager.metrics());
        const agentAfter = clientRequests(parseMetrics(await agent.metrics()));
        const workAfter = managerWork(managerAfter);
        const queuedAfter = queueWaits(managerAfter);
        const managerEndBytes = manager.rssBytes();
        const runningMs = latencies(
          kcloudSent.map((s) => s.slot),
          watch.runningAt,
        );
        const notRunning = watch.notRunning();
        const firstSlot = kcloudSent[0]?.slot ?? 0;
        print(
          `kcloud: ${formatCount(runningMs.length)} Running; create → Running p50 / p95 / p99 / max ${percentilesCell(runningMs)}`,
        );
        if (notRunning.length > 0) print(`kcloud: not Running: ${JSON.stringify(notRunning)}`);
        // The slowest from binding to Running, by name, to look for in the kept logs (--keep).
        for (const s of slowestAfterBinding(watch.boundAt, watch.runningAt, 3)) {
          print(
            `kcloud: ${instanceName(s.index)} bound ${((s.boundAt - firstSlot) / 1000).toFixed(1)} s after the first create, Running ${(s.ms / 1000).toFixed(1)} s later`,
          );
        }
        const counts = growth(workAfter.reconciles, workBefore.reconciles);
        const seconds = growth(workAfter.seconds, workBefore.seconds);
        const queuedSeconds = growth(queuedAfter.seconds, queuedBefore.seconds);
        const queuedCount = growth(queuedAfter.count, queuedBefore.count);
        const reconciles: ScaleResult['reconciles'] = {};
        for (const [name, count] of counts)
          reconciles[name] = {
            count,
            seconds: seconds.get(name) ?? 0,
            queuedMs: (1000 * (queuedSeconds.get(name) ?? 0)) / (queuedCount.get(name) ?? NaN),
          };
        return {
          date: new Date(clock.now()).toISOString().slice(0, 10),
          machine,
          node: process.version,
          kubernetes: (await serverVersion(layout)).gitVersion,
          command: commandLine(argv),
          minutes: 0,
          hosts: opts.hosts,
          instances: opts.instances,
          rate: opts.rate,
          hostsReadyMs: world.hostsReadyMs,
          heartbeatSeconds: opts.heartbeatSeconds,
          schedulerWorkers: opts.schedulerWorkers ?? defaultSchedulerWorkers,
          cpuOvercommit,
          kcloud: {
            createMs: answered(kcloudSent),
            refused: refusals(kcloudSent),
            runningMs,
            boundMs: latencies(
              kcloudSent.map((s) => s.slot),
              watch.boundAt,
            ),
            boundToRunningMs: latencies(
              watch.boundAt.map((t) => t ?? NaN),
              watch.runningAt,
            ).filter((v) => !Number.isNaN(v)),
            notRunning,
            spanMs: watch.lastRunning > 0 ? watch.lastRunning - firstSlot : NaN,
          },
          baseline: {
            count: opts.baseline,
            createMs: answered(baselineSent),
            refused: refusals(baselineSent),
          },
          decisions: decisionRate(watch.boundAt.filter((t): t is number => t !== undefined)),
          reconciles,
          requests: kcloudRequests(requestsBefore, requestsAfter),
          sentBy: {
            manager: clientRequests(managerAfter) - clientRequests(managerBefore),
            agent: agentAfter - agentBefore,
          },
          memory: {
            managerReadyBytes,
            managerPeakBytes: managerPeak.stop(),
            managerEndBytes,
            agentPeakBytes: agentPeak.stop(),
          },
          cpu: { idle: idleCpu, baseline: baselineCpu, kcloud: kcloudCpu },
        };
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        stopWatch.abort(new Error('benchmark over'));
        await watching?.catch(() => undefined);
        await world.stop();
        await api.close();
      }
    },
  );
  result.minutes = (clock.now() - t0) / 60_000;
  print(`load average at the end ${(os.loadavg()[1] ?? 0).toFixed(2)}`);
  await publishSection(opts.out, sectionHeading(opts.hosts), renderSection(result), print);
}

runBench(main);
