import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import winston from 'winston';
import { FakeClock, flushPromises } from '../clock/index.ts';
import { Backoff, Informer } from '../informer/index.ts';
import { ApiError, type KubeObject } from '../kube/index.ts';
import { FakeListerWatcher, listPage } from '../testing/index.ts';
import {
  Controller,
  specOrReadinessChanged,
  type Reconcile,
  type ReconcileContext,
  type Request,
  type Watch,
} from './controller.ts';

interface Thing extends KubeObject {
  spec: { size: number };
  status?: { ready: boolean };
}

const log = winston.createLogger({ silent: true });

function thing(name: string, rv: string, generation = 1, status?: Thing['status']): Thing {
  return {
    metadata: { namespace: 'ns', name, resourceVersion: rv, generation },
    spec: { size: generation },
    ...(status ? { status } : {}),
  };
}

interface Call {
  key: string;
  at: number;
  ctx: ReconcileContext;
}

interface StartOptions {
  objects?: Thing[];
  /** What each reconcile does; by default it succeeds at once. */
  reconcile?: (req: Request, ctx: ReconcileContext, call: number) => ReturnType<Reconcile>;
  workers?: number;
  resyncPeriodMs?: number;
  priority?: (key: string) => number;
  /** Another kind, watched and mapped to keys of ours. */
  watch?: Pick<Watch, 'map' | 'shouldMapUpdate'> & { objects: Thing[] };
}

/** An informer over a scripted lister/watcher and a controller on it, both started. */
async function start(opts: StartOptions = {}) {
  const clock = new FakeClock(0);
  const scripted = (name: string, objects: Thing[]) => {
    const server = new FakeListerWatcher<Thing>();
    server.pages = [[listPage(objects, '100')]];
    const informer = new Informer<Thing>({
      name,
      client: server,
      initialList: 'paginated',
      clock,
      log,
      backoff: new Backoff(800, 30_000, () => 0),
      watchTimeoutSeconds: () => 3_600,
      silenceTimeoutMs: 3_600_000,
    });
    return { server, informer };
  };
  const { server, informer } = scripted('things', opts.objects ?? []);
  const other = opts.watch ? scripted('others', opts.watch.objects) : undefined;
  const calls: Call[] = [];
  const registry = new Registry();
  const controller = new Controller<Thing>({
    name: 'things',
    informer,
    workers: opts.workers ?? 1,
    resyncPeriodMs: opts.resyncPeriodMs ?? 0,
    ...(opts.priority ? { priority: opts.priority } : {}),
    ...(other && opts.watch
      ? {
          watches: [
            {
              informer: other.informer as unknown as Informer<KubeObject>,
              map: opts.watch.map,
              ...(opts.watch.shouldMapUpdate
                ? { shouldMapUpdate: opts.watch.shouldMapUpdate }
                : {}),
            },
          ],
        }
      : {}),
    registry,
    clock,
    log,
    reconcile: (req, ctx) => {
      calls.push({ key: req.key, at: clock.now(), ctx });
      return opts.reconcile ? opts.reconcile(req, ctx, calls.length) : Promise.resolve(undefined);
    },
  });
  const ac = new AbortController();
  const informerDone = Promise.all([
    informer.run(ac.signal),
    ...(other ? [other.informer.run(ac.signal)] : []),
  ]);
  let stopped = false;
  const controllerDone = controller.run(ac.signal).then(() => {
    stopped = true;
  });
  await clock.advance(0);
  const keys = () => calls.map((c) => c.key);
  const push = async (type: 'ADDED' | 'MODIFIED' | 'DELETED', object: Thing) => {
    server.last.push({ type, object });
    await flushPromises();
  };
  const pushOther = async (type: 'ADDED' | 'MODIFIED' | 'DELETED', object: Thing) => {
    if (!other) throw new Error('no watch configured');
    other.server.last.push({ type, object });
    await flushPromises();
  };
  const abort = () => {
    ac.abort(new Error('test over'));
  };
  const stop = async () => {
    abort();
    await Promise.all([informerDone, controllerDone]);
  };
  return {
    clock,
    controller,
    registry,
    calls,
    keys,
    push,
    pushOther,
    abort,
    stop,
    isStopped: () => stopped,
  };
}

/** One sample of a metric with exactly these labels; 0 when it has none. */
async function sample(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return (
    values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0
  );
}

const conflict = () =>
  new ApiError(
    409,
    { kind: 'Status', code: 409, reason: 'Conflict', message: 'the object has been modified' },
    'PATCH /apis/example.kcloud.io/v1alpha1/namespaces/ns/things/a',
  );

describe('Controller', () => {
  it('reconciles on add, spec change and delete, but not on a status-only update', async () => {
    const c = await start({ objects: [thing('a', '1'), thing('b', '2')] });
    expect(c.keys()).toEqual(['ns/a', 'ns/b']);
    expect(c.calls[0]?.ctx.signal.aborted).toBe(false);

    await c.push('ADDED', thing('c', '3'));
    expect(c.keys()).toEqual(['ns/a', 'ns/b', 'ns/c']);

    await c.push('MODIFIED', thing('a', '4', 1, { ready: true }));
    expect(c.keys()).toEqual(['ns/a', 'ns/b', 'ns/c']);

    await c.push('MODIFIED', thing('a', '5', 2, { ready: true }));
    expect(c.keys()).toEqual(['ns/a', 'ns/b', 'ns/c', 'ns/a']);

    await c.push('DELETED', thing('b', '6'));
    expect(c.keys()).toEqual(['ns/a', 'ns/b', 'ns/c', 'ns/a', 'ns/b']);
    await c.stop();
  });

  it('maps an update of a watched object from both its old and its new state', async () => {
    // An object that stops naming ours must still reach the one it named before.
    const named = (name: string, rv: string, target: string): Thing => ({
      ...thing(name, rv),
      metadata: { ...thing(name, rv).metadata, labels: { target } },
    });
    const c = await start({
      watch: {
        objects: [named('o', '1', 'x')],
        map: (o) => [`ns/${o.metadata.labels?.target ?? ''}`],
      },
    });
    expect(c.keys()).toEqual(['ns/x']);
    await c.pushOther('MODIFIED', named('o', '2', 'y'));
    expect(c.keys().slice(1).sort()).toEqual(['ns/x', 'ns/y']);
    await c.stop();
  });

  it("skips a watched object's updates its predicate rules out", async () => {
    const ready = (status: string, rv: string, generation = 1): Thing =>
      ({
        ...thing('o', rv, generation),
        status: { conditions: [{ type: 'Ready', status }], free: Number(rv) },
      }) as unknown as Thing;
    const c = await start({
      watch: {
        objects: [ready('True', '1')],
        map: () => ['ns/mine'],
        shouldMapUpdate: specOrReadinessChanged,
      },
    });
    expect(c.keys()).toEqual(['ns/mine']);
    // A status counter changes: nothing to do for ours.
    await c.pushOther('MODIFIED', ready('True', '2'));
    expect(c.keys()).toEqual(['ns/mine']);
    // Readiness and spec do matter.
    await c.pushOther('MODIFIED', ready('False', '3'));
    expect(c.keys()).toEqual(['ns/mine', 'ns/mine']);
    await c.pushOther('MODIFIED', ready('False', '4', 2));
    expect(c.keys()).toEqual(['ns/mine', 'ns/mine', 'ns/mine']);
    await c.stop();
  });

  it('retries a failing reconcile with backoff 5, 10, 20 ms and counts the errors', async () => {
    const c = await start({
      objects: [thing('a', '1')],
      reconcile: () => Promise.reject(new Error('backend down')),
    });
    expect(c.calls).toHaveLength(1);
    await c.clock.advance(4);
    expect(c.calls).toHaveLength(1);
    await c.clock.advance(1);
    expect(c.calls).toHaveLength(2);
    await c.clock.advance(9);
    expect(c.calls).toHaveLength(2);
    await c.clock.advance(1);
    expect(c.calls).toHaveLength(3);
    await c.clock.advance(19);
    expect(c.calls).toHaveLength(3);
    await c.clock.advance(1);
    expect(c.calls.map((call) => call.at)).toEqual([0, 5, 15, 35]);

    const labels = { controller: 'things' };
    expect(
      await sample(c.registry, 'controller_runtime_reconcile_total', {
        ...labels,
        result: 'error',
      }),
    ).toBe(4);
    expect(await sample(c.registry, 'controller_runtime_reconcile_errors_total', labels)).toBe(4);
    await c.stop();
  });

  it('retries a 409 Conflict as a requeue, not as an error', async () => {
    const c = await start({
      objects: [thing('a', '1')],
      reconcile: (_req, _ctx, call) =>
        call === 1 ? Promise.reject(conflict()) : Promise.resolve(undefined),
    });
    await c.clock.advance(5);
    expect(c.calls.map((call) => call.at)).toEqual([0, 5]);

    const labels = { controller: 'things' };
    const total = (result: string) =>
      sample(c.registry, 'controller_runtime_reconcile_total', { ...labels, result });
    expect(await total('requeue')).toBe(1);
    expect(await total('success')).toBe(1);
    expect(await total('error')).toBe(0);
    expect(await sample(c.registry, 'controller_runtime_reconcile_errors_total', labels)).toBe(0);
    await c.stop();
  });

  it('finishes, without an error, a reconcile whose object was deleted meanwhile', async () => {
    const gone = new ApiError(
      404,
      { reason: 'NotFound', message: 'things "a" not found' },
      'PATCH',
    );
    const during: { push?: (type: 'DELETED', obj: Thing) => Promise<void> } = {};
    const c = await start({
      objects: [thing('a', '1')],
      // The second reconcile sees its object deleted under it, then meets a 404.
      reconcile: async (_req, _ctx, call) => {
        if (call !== 2) return undefined;
        await during.push?.('DELETED', thing('a', '3', 2));
        throw gone;
      },
    });
    during.push = c.push;
    await c.push('MODIFIED', thing('a', '2', 2));
    await c.clock.advance(1_000);
    const labels = { controller: 'things' };
    expect(await sample(c.registry, 'controller_runtime_reconcile_errors_total', labels)).toBe(0);
    expect(
      await sample(c.registry, 'controller_runtime_reconcile_total', {
        ...labels,
        result: 'error',
      }),
    ).toBe(0);
    // The add, the spec change, and once more for the delete event; the 404 is not retried.
    expect(c.keys()).toEqual(['ns/a', 'ns/a', 'ns/a']);
    await c.stop();
  });

  it('reconciles again after requeueAfter', async () => {
    const c = await start({
      objects: [thing('a', '1')],
      reconcile: () => Promise.resolve({ requeueAfter: 1_000 }),
    });
    await c.clock.advance(999);
    expect(c.calls).toHaveLength(1);
    await c.clock.advance(1);
    expect(c.calls.map((call) => call.at)).toEqual([0, 1_000]);
    await c.clock.advance(1_000);
    expect(c.calls.map((call) => call.at)).toEqual([0, 1_000, 2_000]);
    expect(
      await sample(c.registry, 'controller_runtime_reconcile_total', {
        controller: 'things',
        result: 'requeue_after',
      }),
    ).toBe(3);
    await c.stop();
  });

  it('never reconciles one key in two workers at once, while other keys proceed', async () => {
    const releaseA = Promise.withResolvers<undefined>();
    const active = new Set<string>();
    const log: string[] = [];
    let overlaps = 0;
    const c = await start({
      workers: 4,
      objects: [thing('a', '1')],
      reconcile: async (req, _ctx, call) => {
        if (active.has(req.key)) overlaps++;
        active.add(req.key);
        log.push(`start ${req.key}`);
        if (call === 1) await releaseA.promise;
        else await Promise.resolve();
        active.delete(req.key);
        log.push(`end ${req.key}`);
        return undefined;
      },
    });
    expect(log).toEqual(['start ns/a']);

    // Spec changes of a arrive while a is being reconciled, and a new object b.
    await c.push('MODIFIED', thing('a', '2', 2));
    await c.push('MODIFIED', thing('a', '3', 3));
    await c.push('ADDED', thing('b', '4'));
    expect(log).toEqual(['start ns/a', 'start ns/b', 'end ns/b']);

    releaseA.resolve(undefined);
    await flushPromises();
    // The changes that came in meanwhile make one more reconcile of a, after the first ended.
    expect(log).toEqual([
      'start ns/a',
      'start ns/b',
      'end ns/b',
      'end ns/a',
      'start ns/a',
      'end ns/a',
    ]);
    expect(overlaps).toBe(0);
    await c.stop();
  });

  it('resyncs every cached key once each period, spread over the period', async () => {
    const names = Array.from({ length: 100 }, (_, i) => `o-${String(i)}`);
    const c = await start({
      objects: names.map((n, i) => thing(n, String(i + 1))),
      resyncPeriodMs: 1_000,
    });
    expect(c.calls).toHaveLength(100);
    await c.clock.advance(999);
    const first = c.calls.slice(100);
    // The first resync starts a period after the start; within it, keys come one by one.
    for (const call of first) expect(call.at).toBeGreaterThanOrEqual(1_000);
    await c.clock.advance(2_001);
    const resynced = c.calls.slice(100);
    // Two whole periods (1,000 to 3,000 ms): every key twice, exactly one period apart.
    const times = new Map<string, number[]>();
    for (const call of resynced) times.set(call.key, [...(times.get(call.key) ?? []), call.at]);
    expect([...times.keys()].sort()).toEqual(names.map((n) => `ns/${n}`).sort());
    for (const [, [a, b]] of times) expect((b ?? 0) - (a ?? 0)).toBe(1_000);
    // Spread: no instant holds more than a few keys, and each tenth of a period gets some.
    const perInstant = new Map<number, number>();
    for (const call of resynced) perInstant.set(call.at, (perInstant.get(call.at) ?? 0) + 1);
    expect(Math.max(...perInstant.values())).toBeLessThanOrEqual(3);
    const tenths = new Set(resynced.map((call) => Math.floor((call.at % 1_000) / 100)));
    expect(tenths.size).toBe(10);
    await c.stop();
  });

  it('reconciles waiting keys of a higher priority first', async () => {
    const release = Promise.withResolvers<undefined>();
    const c = await start({
      priority: (key) => (key.startsWith('ns/urgent') ? 1 : 0),
      reconcile: async (_req, _ctx, call) => {
        if (call === 1) await release.promise;
        return undefined;
      },
    });
    await c.push('ADDED', thing('busy', '1'));
    for (const [i, name] of ['a', 'urgent-1', 'b', 'urgent-2'].entries()) {
      await c.push('ADDED', thing(name, String(i + 2)));
    }
    release.resolve(undefined);
    await flushPromises();
    expect(c.keys()).toEqual(['ns/busy', 'ns/urgent-1', 'ns/urgent-2', 'ns/a', 'ns/b']);
    await c.stop();
  });

  it('reconciles keys a resync queued after the ones events queued', async () => {
    // In a period of 1,000 ms, ns/b's turn is at 236 ms and ns/a's at 801 ms (spreadOffset).
    const release = Promise.withResolvers<undefined>();
    const c = await start({
      objects: [thing('a', '1'), thing('b', '2')],
      resyncPeriodMs: 1_000,
      reconcile: async (_req, _ctx, call) => {
        if (call === 3) await release.promise;
        return undefined;
      },
    });
    await c.clock.advance(1_236);
    expect(c.keys().slice(2)).toEqual(['ns/b']);
    // While b's resync holds the worker: a's resync turn comes, then a new object.
    await c.clock.advance(600);
    await c.push('ADDED', thing('c', '3'));
    release.resolve(undefined);
    await flushPromises();
    expect(c.keys().slice(2)).toEqual(['ns/b', 'ns/c', 'ns/a']);
    await c.stop();
  });

  it('does not resync a key deleted before its turn, and picks up new keys the next period', async () => {
    // In a period of 1,000 ms, ns/a's turn is at 801 ms and ns/b's at 236 ms (spreadOffset).
    const c = await start({ objects: [thing('a', '1')], resyncPeriodMs: 1_000 });
    await c.clock.advance(1_500);
    // After this period's round started: a goes before its turn, b comes after the round began.
    await c.push('DELETED', thing('a', '2'));
    await c.push('ADDED', thing('b', '3'));
    const before = c.calls.length;
    await c.clock.advance(500);
    expect(c.keys().slice(before)).toEqual([]);
    await c.clock.advance(236);
    expect(c.calls.slice(before).map((call) => [call.key, call.at])).toEqual([['ns/b', 2_236]]);
    await c.stop();
  });

  it('on abort, waits for the reconcile in flight, then run resolves', async () => {
    const release = Promise.withResolvers<undefined>();
    const c = await start({
      objects: [thing('a', '1')],
      reconcile: async (_req, _ctx, call) => {
        if (call === 1) await release.promise;
        return undefined;
      },
    });
    expect(c.keys()).toEqual(['ns/a']);
    expect(c.controller.isRunning()).toBe(true);

    c.abort();
    await flushPromises();
    expect(c.calls[0]?.ctx.signal.aborted).toBe(true);
    expect(c.isStopped()).toBe(false);

    release.resolve(undefined);
    await flushPromises();
    expect(c.isStopped()).toBe(true);
    expect(c.controller.isRunning()).toBe(false);
    await c.stop();
  });

  it('on abort, takes no new key, not even one already waiting', async () => {
    const releases = new Map<string, PromiseWithResolvers<undefined>>();
    const c = await start({
      workers: 2,
      objects: [thing('a', '1'), thing('b', '2'), thing('c', '3')],
      reconcile: async (req, ctx) => {
        if (ctx.signal.aborted) return undefined;
        const release = Promise.withResolvers<undefined>();
        releases.set(req.key, release);
        await release.promise;
        return undefined;
      },
    });
    // Two workers busy with a and b; c waits in the queue.
    expect(c.keys()).toEqual(['ns/a', 'ns/b']);

    c.abort();
    releases.get('ns/a')?.resolve(undefined);
    await flushPromises();
    // The controller documents that it stops taking keys on abort: a reconcile started now
    // would run with a cancelled signal (and, after a lost election, without the lease).
    expect(c.keys()).toEqual(['ns/a', 'ns/b']);
    expect(c.isStopped()).toBe(false);

    releases.get('ns/b')?.resolve(undefined);
    await flushPromises();
    expect(c.isStopped()).toBe(true);
    await c.stop();
  });
});
