// kcloud's side: Volume objects cloned from one image applied through the API (server-side
// apply, a bounded number in flight), each timed from its apply to the moment the benchmark's
// own watch first sees it Available; and what the controllers did for them.
import type { Clock } from '../../controllers/clock/index.ts';
import {
  objectKey,
  ObjectClient,
  type ApiClient,
  type KubeObject,
} from '../../controllers/kube/index.ts';
import type { Logger } from '../../controllers/logging/logger.ts';
import { Volume, type VolumeObject } from '../../operators/evs/index.ts';
import { forEachConcurrent } from '../lib/pool.ts';
import { progress } from '../lib/progress.ts';
import { perSecond, summarize, type Summary } from '../lib/stats.ts';
import { until } from '../lib/until.ts';
import { KindWatch } from '../vpc/kube-watch.ts';
import { growth, managerWork, sumBy, type Sample } from '../vpc/metrics.ts';
import { busyFraction, readCpuTicks } from './busy.ts';
import { evsApiVersion, type PoolUnderTest } from './world.ts';

export interface VolumeRun {
  count: number;
  inFlight: number;
  /** First apply to last Available. */
  elapsedMs: number;
  /** First apply sent to last apply answered. */
  applyMs: number;
  perSecond: number;
  /** Apply sent → first seen Available. */
  latencyMs: Summary;
  /** API server requests (not watches) on EVS and ECS kinds and events, by `resource VERB`. */
  requests: Map<string, number>;
  /** Reconciles by controller, the manager's and the agent's. */
  reconciles: Map<string, number>;
  /** Seconds spent reconciling, by controller. */
  reconcileSeconds: Map<string, number>;
  /** CPU seconds by process over the phase. */
  cpuSeconds: Map<string, number>;
  /** How busy all cores were together over the phase (0–1). */
  machineBusy: number;
}

export function volumeObject(pool: PoolUnderTest, name: string, size: string): KubeObject {
  return {
    apiVersion: evsApiVersion,
    kind: 'Volume',
    metadata: { name, namespace: pool.namespace },
    spec: {
      size,
      volumeTypeRef: { name: pool.volumeType },
      source: { image: { name: pool.image } },
    },
  } as KubeObject;
}

/** Requests on the kinds the EVS controllers touch, keyed `resource[/subresource] VERB`. */
export function evsRequests(samples: readonly Sample[]): Map<string, number> {
  const groups = new Set(['evs.kcloud.io', 'ecs.kcloud.io']);
  return sumBy(samples, 'apiserver_request_total', (l) => {
    if (l.verb === 'WATCH') return undefined;
    if (!groups.has(l.group ?? '') && l.resource !== 'events') return undefined;
    const resource = l.subresource ? `${l.resource ?? ''}/${l.subresource}` : (l.resource ?? '');
    return `${resource} ${l.verb ?? ''}`;
  });
}

export interface Probes {
  /** The API server's /metrics, parsed. */
  apiserver(): Promise<Sample[]>;
  /** The manager's and the agent's /metrics, parsed, together. */
  controllers(): Promise<Sample[]>;
  /** CPU seconds used so far, by process. */
  cpu(): Map<string, number>;
}

export async function measureVolumes(opts: {
  api: ApiClient;
  pool: PoolUnderTest;
  count: number;
  inFlight: number;
  size: string;
  probes: Probes;
  clock: Clock;
  log: Logger;
  print: (line: string) => void;
}): Promise<VolumeRun> {
  const { api, pool, count, clock } = opts;
  const watch = new KindWatch<VolumeObject>({
    api,
    resource: Volume.resource,
    namespace: pool.namespace,
    clock,
    log: opts.log,
  });
  const stopWatch = new AbortController();
  const watching = watch.informer.run(stopWatch.signal);
  try {
    await watch.informer.waitForSync();
    const volumes = new ObjectClient<KubeObject>(api, Volume.resource);
    const requestsBefore = evsRequests(await opts.probes.apiserver());
    const workBefore = managerWork(await opts.probes.controllers());
    const cpuBefore = opts.probes.cpu();
    const ticksBefore = readCpuTicks();
    const name = (i: number) => `vol-${String(i).padStart(5, '0')}`;
    const sentAt: number[] = [];
    const p = progress(`${pool.kind}: applied`, count, { clock, print: opts.print });
    const started = clock.now();
    await forEachConcurrent(count, opts.inFlight, async (i) => {
      sentAt[i] = clock.now();
      await volumes.patch(
        pool.namespace,
        name(i),
        'apply',
        volumeObject(pool, name(i), opts.size),
        {
          fieldManager: 'kcloud-bench',
          force: true,
        },
      );
      p.tick();
    });
    const applyMs = p.finish();
    let lastPrint = clock.now();
    await until(
      () => {
        const failed = watch.informer.cache.list().find((v) => v.status?.phase === 'Error');
        if (failed) {
          throw new Error(
            `Volume ${objectKey(failed)} is ${failed.status?.phase ?? ''}: ${JSON.stringify(failed.status?.conditions)}`,
          );
        }
        if (clock.now() - lastPrint >= 5_000) {
          lastPrint = clock.now();
          opts.print(
            `${pool.kind}: ${String(watch.size - watch.notReadyCount)}/${String(count)} Available`,
          );
        }
        return watch.size === count && watch.notReadyCount === 0;
      },
      {
        clock,
        timeoutMs: 60 * 60_000,
        what: `${String(count)} Volumes Available`,
        intervalMs: 100,
      },
    );
    const latencies: number[] = [];
    let last = started;
    for (let i = 0; i < count; i++) {
      const at = watch.readyTime(`${pool.namespace}/${name(i)}`);
      if (at === undefined) throw new Error(`no Available time for ${name(i)}`);
      latencies.push(at - (sentAt[i] ?? started));
      last = Math.max(last, at);
    }
    const elapsedMs = last - started;
    const cpuAfter = opts.probes.cpu();
    const machineBusy = busyFraction(ticksBefore, readCpuTicks());
    opts.print(`${pool.kind}: ${String(count)} Available in ${(elapsedMs / 1000).toFixed(1)} s`);
    // The last status writes can land a moment after the watch saw Available.
    await clock.sleep(2_000);
    const work = managerWork(await opts.probes.controllers());
    return {
      count,
      inFlight: opts.inFlight,
      elapsedMs,
      applyMs,
      perSecond: perSecond(count, elapsedMs),
      latencyMs: summarize(latencies),
      requests: growth(evsRequests(await opts.probes.apiserver()), requestsBefore),
      reconciles: growth(work.reconciles, workBefore.reconciles),
      reconcileSeconds: growth(work.seconds, workBefore.seconds),
      cpuSeconds: growth(cpuAfter, cpuBefore),
      machineBusy,
    };
  } finally {
    stopWatch.abort(new Error('measured'));
    await watching.catch(() => undefined);
  }
}
