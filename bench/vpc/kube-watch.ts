// The benchmark's own informers on the VPC kinds: when each object was first seen Ready for its
// current generation, and waits for an object to reach a state.
import type { Clock } from '../../controllers/clock/index.ts';
import { Informer } from '../../controllers/informer/index.ts';
import {
  objectKey,
  ObjectClient,
  type ApiClient,
  type KubeObject,
  type ResourceRef,
} from '../../controllers/kube/index.ts';
import type { Logger } from '../../controllers/logging/logger.ts';
import { KeyedWaiters } from './waiters.ts';

export interface Conditioned extends KubeObject {
  status?: {
    observedGeneration?: number;
    conditions?: { type: string; status: string; observedGeneration?: number }[];
  };
}

/** Ready=True, reported for the object's current generation. */
export function isReadyFor(obj: Conditioned): boolean {
  const generation = obj.metadata.generation;
  const ready = obj.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') return false;
  return (ready.observedGeneration ?? obj.status?.observedGeneration) === generation;
}

export class KindWatch<T extends Conditioned> {
  readonly informer: Informer<T>;
  /** When each object was first seen Ready for a generation, by key and generation. */
  private readonly readyAt = new Map<string, Map<number, number>>();
  private readonly waiters = new KeyedWaiters<T>();
  /** Kept by the event handlers, so asking how many are not Ready costs nothing. */
  private readonly unready = new Set<string>();
  private readonly clock: Clock;

  constructor(opts: {
    api: ApiClient;
    resource: ResourceRef;
    namespace: string;
    clock: Clock;
    log: Logger;
  }) {
    this.clock = opts.clock;
    this.informer = new Informer<T>({
      name: `bench-${opts.resource.plural}`,
      client: new ObjectClient<T>(opts.api, opts.resource),
      namespace: opts.namespace,
      clock: opts.clock,
      log: opts.log,
    });
    const seen = (obj: T) => {
      const key = objectKey(obj);
      if (isReadyFor(obj)) this.unready.delete(key);
      else this.unready.add(key);
      if (isReadyFor(obj)) {
        let byGen = this.readyAt.get(key);
        if (!byGen) {
          byGen = new Map();
          this.readyAt.set(key, byGen);
        }
        const generation = obj.metadata.generation ?? 0;
        if (!byGen.has(generation)) byGen.set(generation, this.clock.now());
      }
      this.waiters.offer(key, obj);
    };
    this.informer.addHandler({
      onAdd: seen,
      onUpdate: (_old, obj) => {
        seen(obj);
      },
    });
  }

  /** When `key` was first seen Ready for `generation` (its first by default). */
  readyTime(key: string, generation = 1): number | undefined {
    return this.readyAt.get(key)?.get(generation);
  }

  /** How many cached objects are not Ready for their current generation. */
  get notReadyCount(): number {
    return this.unready.size;
  }

  /** Cached objects not Ready for their current generation. */
  notReady(): T[] {
    return this.informer.cache.list().filter((o) => !isReadyFor(o));
  }

  get size(): number {
    return this.informer.cache.size;
  }

  /** The object `key` once `test` holds for it (now, or at a later event). */
  wait(key: string, test: (obj: T) => boolean, timeoutMs: number, what: string): Promise<T> {
    return this.waiters.wait(key, test, {
      clock: this.clock,
      timeoutMs,
      what,
      current: this.informer.cache.get(key),
    });
  }
}
