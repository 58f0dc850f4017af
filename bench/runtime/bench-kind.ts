// Counter: the benchmark's own kind. Its controller copies spec.value into status and touches
// no backend, so what a run measures is the controller runtime and the API server alone.
import Type from 'typebox';
import {
  Conditions,
  Int64,
  ObservedGeneration,
  defineKind,
  readyColumn,
  type ObjectOf,
  type StatusOf,
} from '../../controllers/api/index.ts';
import { realClock, type Clock } from '../../controllers/clock/index.ts';
import type { Informer } from '../../controllers/informer/index.ts';
import type { ObjectClient, ResourceRef } from '../../controllers/kube/index.ts';
import type { Manager } from '../../controllers/manager/index.ts';
import { applyStatus, Controller, setCondition } from '../../controllers/reconcile/index.ts';

export const Counter = defineKind({
  group: 'bench.kcloud.io',
  version: 'v1alpha1',
  kind: 'Counter',
  plural: 'counters',
  scope: 'Namespaced',
  description:
    'Counter is a benchmark kind: its controller reports spec.value back in status and does nothing else.',
  spec: Type.Object(
    { value: Int64({ description: 'Any number; the controller copies it to status.observed.' }) },
    { description: 'CounterSpec holds the number to observe.' },
  ),
  status: Type.Object(
    {
      observed: Type.Optional(Int64({ description: 'The spec.value last observed.' })),
      observedGeneration: Type.Optional(ObservedGeneration()),
      conditions: Type.Optional(Conditions()),
    },
    { description: 'CounterStatus is what the controller observed.' },
  ),
  printerColumns: [readyColumn()],
  source: import.meta.url,
});

export type CounterObject = ObjectOf<typeof Counter>;
export type CounterStatus = StatusOf<typeof Counter>;

export const counterResource: ResourceRef = { ...Counter.resource, kind: Counter.kind };
export const counterControllerName = 'counter-controller';

export function newCounter(namespace: string, name: string, value: number): CounterObject {
  return {
    apiVersion: Counter.apiVersion,
    kind: Counter.kind,
    metadata: { namespace, name },
    spec: { value },
  };
}

/** The status of a Counter its controller has acted on. */
export function convergedStatus(obj: CounterObject, now: Date): CounterStatus {
  const generation = obj.metadata.generation ?? 0;
  return {
    observed: obj.spec.value,
    observedGeneration: generation,
    conditions: setCondition(
      obj.status?.conditions,
      {
        type: 'Ready',
        status: 'True',
        reason: 'Observed',
        message: '',
        observedGeneration: generation,
      },
      now,
    ),
  };
}

export function isConverged(obj: CounterObject): boolean {
  return (
    obj.status?.observedGeneration === obj.metadata.generation &&
    obj.status?.observed === obj.spec.value
  );
}

/** One status write, as the controller and the baseline loop both issue it. */
export function writeStatus(
  client: ObjectClient<CounterObject>,
  obj: CounterObject,
  clock: Clock,
  signal?: AbortSignal,
): Promise<CounterObject | undefined> {
  return applyStatus(
    client,
    obj,
    convergedStatus(obj, new Date(clock.now())),
    counterControllerName,
    signal,
  );
}

export interface CounterControllerOptions {
  /** The namespace the controller's informer watches. */
  namespace: string;
  workers: number;
  resyncPeriodMs?: number;
  clock?: Clock;
  /** Called after each successful reconcile with the object and when the reconcile began. */
  onReconciled?: (key: string, obj: CounterObject, startedAt: number) => void;
}

/** Wires the Counter controller into a manager. */
export function addCounterController(
  mgr: Manager,
  opts: CounterControllerOptions,
): { controller: Controller<CounterObject>; informer: Informer<CounterObject> } {
  const clock = opts.clock ?? realClock;
  const informer = mgr.informer<CounterObject>(counterResource, { namespace: opts.namespace });
  const client = mgr.client<CounterObject>(counterResource);
  const controller = new Controller<CounterObject>({
    name: counterControllerName,
    informer,
    workers: opts.workers,
    ...(opts.resyncPeriodMs !== undefined ? { resyncPeriodMs: opts.resyncPeriodMs } : {}),
    registry: mgr.registry,
    clock,
    log: mgr.log,
    reconcile: async (req, ctx) => {
      const startedAt = clock.now();
      const obj = informer.cache.get(req.key);
      if (!obj) return undefined;
      await writeStatus(client, obj, clock, ctx.signal);
      opts.onReconciled?.(req.key, obj, startedAt);
      return undefined;
    },
  });
  mgr.add(controller);
  return { controller, informer };
}
