// The benchmark's measurements, one function per phase. Each returns numbers; none judges them.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Clock } from '../../controllers/clock/index.ts';
import { Informer, type InitialList } from '../../controllers/informer/index.ts';
import { ApiClient, ObjectClient } from '../../controllers/kube/index.ts';
import type { Logger } from '../../controllers/logging/logger.ts';
import { sampleMemory, type MemorySample } from '../lib/memory.ts';
import { forEachConcurrent } from '../lib/pool.ts';
import { formatCount } from '../lib/progress.ts';
import { perSecond, summarize, type Summary } from '../lib/stats.ts';
import { until } from '../lib/until.ts';
import { counterResource, writeStatus, type CounterObject } from './bench-kind.ts';
import {
  countsSince,
  CounterManager,
  writes,
  type CounterManagerOptions,
  type RequestCounts,
} from './counter-manager.ts';
import type { ProbeOutput } from './memory-probe.ts';
import { createCounters } from './objects.ts';

const execFileAsync = promisify(execFile);

export interface Env {
  kubeconfig: KubeConfig;
  kubeconfigPath: string;
  /** Creates Counters; a client of its own, so its requests never count as the runtime's. */
  users: ApiClient;
  clock: Clock;
  log: Logger;
  print: (line: string) => void;
  /** The controller's workers, and the baseline's requests in flight. */
  workers: number;
  /** Create requests in flight. */
  createConcurrency: number;
  resyncPeriodMs: number;
}

export interface BaselineResult {
  objects: number;
  writesPerSec: number;
  requests: RequestCounts;
}

/** Status writes alone: a tight loop over pre-created objects, `workers` in flight. */
export async function measureBaseline(
  env: Env,
  namespace: string,
  count: number,
): Promise<BaselineResult> {
  const created = await createCounters({
    api: env.users,
    namespace,
    from: 0,
    count,
    concurrency: env.createConcurrency,
    clock: env.clock,
    print: env.print,
  });
  const api = new ApiClient(env.kubeconfig);
  try {
    const client = new ObjectClient<CounterObject>(api, counterResource);
    const before = { ...api.counts };
    const started = env.clock.now();
    await forEachConcurrent(count, env.workers, async (i) => {
      const obj = created.objects[i];
      if (!obj) throw new Error(`object ${i} was not created`);
      await writeStatus(client, obj, env.clock);
    });
    const elapsed = env.clock.now() - started;
    env.print(`baseline: ${formatCount(count)} status writes in ${(elapsed / 1000).toFixed(1)} s`);
    return {
      objects: count,
      writesPerSec: perSecond(count, elapsed),
      requests: countsSince(api.counts, before),
    };
  } finally {
    await api.close();
  }
}

export interface BurstResult {
  objects: number;
  createPerSec: number;
  /** From the first create sent to the last object done. */
  objectsPerSec: number;
  enqueueToDoneMs: Summary;
  createToDoneMs: Summary;
  reconcileMs: Summary;
  requests: RequestCounts;
}

function managerOptions(env: Env, namespace: string): CounterManagerOptions {
  return {
    kubeconfig: env.kubeconfig,
    namespace,
    workers: env.workers,
    resyncPeriodMs: env.resyncPeriodMs,
    clock: env.clock,
    log: env.log,
  };
}

export async function startManager(env: Env, namespace: string): Promise<CounterManager> {
  return CounterManager.start(managerOptions(env, namespace));
}

/** Objects created while the manager runs, each reconciled as it arrives. */
export async function measureBurst(
  env: Env,
  m: CounterManager,
  namespace: string,
  count: number,
): Promise<BurstResult> {
  const before = m.counts();
  const created = await createCounters({
    api: env.users,
    namespace,
    from: 0,
    count,
    concurrency: env.createConcurrency,
    clock: env.clock,
    print: env.print,
  });
  await m.waitConverged(count);
  const requests = countsSince(m.counts(), before);
  const enqueueToDone: number[] = [];
  const createToDone: number[] = [];
  let lastDone = 0;
  for (const [key, done] of m.doneAt) {
    lastDone = Math.max(lastDone, done);
    const enqueued = m.enqueuedAt.get(key);
    const sent = created.sentAt.get(key);
    if (enqueued !== undefined) enqueueToDone.push(done - enqueued);
    if (sent !== undefined) createToDone.push(done - sent);
  }
  return {
    objects: count,
    createPerSec: perSecond(count, created.elapsedMs),
    objectsPerSec: perSecond(count, lastDone - created.firstSentAt),
    enqueueToDoneMs: summarize(enqueueToDone),
    createToDoneMs: summarize(createToDone),
    reconcileMs: summarize([...m.reconcileMs.values()]),
    requests,
  };
}

export interface SteadyResult {
  windowMs: number;
  reconciles: number;
  requests: RequestCounts;
  writes: number;
}

/** A converged manager left alone for two resync periods. */
export async function measureSteadyState(env: Env, m: CounterManager): Promise<SteadyResult> {
  const before = m.counts();
  const reconcilesBefore = m.reconciles;
  // A little over two periods, so the second resync's reconciles have finished too.
  const windowMs = 2 * env.resyncPeriodMs + 1_000;
  env.print(`steady state: watching API writes for ${windowMs / 1000} s`);
  await env.clock.sleep(windowMs);
  const requests = countsSince(m.counts(), before);
  return {
    windowMs,
    reconciles: m.reconciles - reconcilesBefore,
    requests,
    writes: writes(requests),
  };
}

export interface BacklogResult {
  objects: number;
  cached: number;
  /** From the manager's start (its list included) to the last object done. */
  objectsPerSec: number;
  requests: RequestCounts;
  manager: CounterManager;
}

/**
 * A manager started on objects that wait for it: everything is in the queue at once, so the
 * rate is the runtime's own, not the pace at which objects arrive.
 */
export async function measureBacklog(
  env: Env,
  namespace: string,
  pending: number,
  total: number,
): Promise<BacklogResult> {
  const m = await startManager(env, namespace);
  await m.waitConverged(total);
  let lastDone = 0;
  for (const done of m.doneAt.values()) lastDone = Math.max(lastDone, done);
  return {
    objects: pending,
    cached: m.informer.cache.size,
    objectsPerSec: perSecond(pending, lastDone - m.startedAt),
    requests: m.counts(),
    manager: m,
  };
}

/** Memory of this process with `m`'s cache full; fails unless it holds `expected` objects. */
export function measureMemory(m: CounterManager, expected: number): MemorySample {
  const size = m.informer.cache.size;
  if (size !== expected) throw new Error(`the cache holds ${size} objects, not ${expected}`);
  return sampleMemory();
}

const probeScript = fileURLToPath(new URL('./memory-probe.ts', import.meta.url));

/** Memory of a fresh process running only a manager whose cache holds `expected` Counters. */
export async function probeManagerMemory(
  env: Env,
  namespace: string,
  expected: number,
): Promise<ProbeOutput> {
  const { stdout } = await execFileAsync(
    process.execPath,
    ['--expose-gc', probeScript, env.kubeconfigPath, namespace, String(expected)],
    { timeout: 5 * 60_000 },
  );
  const last = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as ProbeOutput;
}

export interface InitialListResult {
  objects: number;
  ms: Record<InitialList, number[]>;
}

async function syncOnce(
  env: Env,
  namespace: string,
  mode: InitialList,
  expected: number,
): Promise<number> {
  const api = new ApiClient(env.kubeconfig);
  const informer = new Informer<CounterObject>({
    name: `counters-${mode}`,
    client: new ObjectClient<CounterObject>(api, counterResource),
    namespace,
    initialList: mode,
    pageSize: 500,
    clock: env.clock,
    log: env.log,
  });
  const stop = new AbortController();
  const deadline = new AbortController();
  const timer = env.clock.setTimer(() => {
    deadline.abort(new Error(`${mode} initial list did not sync within 5 min`));
  }, 5 * 60_000);
  const started = env.clock.now();
  const running = informer.run(stop.signal);
  try {
    await informer.waitForSync(deadline.signal);
    const elapsed = env.clock.now() - started;
    if (informer.cache.size !== expected) {
      throw new Error(`${mode} list synced ${informer.cache.size} objects, not ${expected}`);
    }
    // An abort that lands between the paginated list and the start of the watch goes unseen
    // by the watch, which then runs to its server-side timeout; stop only once it has begun.
    await until(() => informer.stats.watches > 0, {
      clock: env.clock,
      timeoutMs: 30_000,
      what: 'the watch to start',
      intervalMs: 1,
    });
    return elapsed;
  } finally {
    timer.cancel();
    stop.abort(new Error('measured'));
    await running;
    await api.close();
  }
}

/** Time to sync an informer by paginated list and by streaming watch, alternating. */
export async function measureInitialList(
  env: Env,
  namespace: string,
  expected: number,
  rounds: number,
): Promise<InitialListResult> {
  const ms: Record<InitialList, number[]> = { paginated: [], streaming: [] };
  for (let round = 1; round <= rounds; round++) {
    for (const mode of ['paginated', 'streaming'] as const) {
      sampleMemory(); // start each run from a collected heap
      const elapsed = await syncOnce(env, namespace, mode, expected);
      ms[mode].push(elapsed);
      env.print(`initial list ${round}/${rounds}, ${mode}: ${(elapsed / 1000).toFixed(2)} s`);
    }
  }
  return { objects: expected, ms };
}
