// Putting the benchmark's objects on the server: the Counter CRD, namespaces, and Counters
// created as fast as the client allows.
import type { Clock } from '../../controllers/clock/index.ts';
import { ObjectClient, type ApiClient } from '../../controllers/kube/index.ts';
import { installCrds } from '../lib/cluster-objects.ts';
import { forEachConcurrent } from '../lib/pool.ts';
import { progress } from '../lib/progress.ts';
import { Counter, counterResource, newCounter, type CounterObject } from './bench-kind.ts';

/** Applies the Counter CRD (straight from its definition) and waits until it is served. */
export async function installCounterCrd(api: ApiClient, clock: Clock): Promise<void> {
  await installCrds(api, clock, [Counter]);
}

/** `c-00042`: names sort in creation order, which is the order a list returns them in. */
export function counterName(index: number): string {
  return `c-${String(index).padStart(5, '0')}`;
}

export interface CreatedCounters {
  objects: CounterObject[];
  /** When each create request was sent, by `namespace/name`. */
  sentAt: Map<string, number>;
  firstSentAt: number;
  elapsedMs: number;
}

/** Creates Counters `from` … `from + count - 1` with `concurrency` requests in flight. */
export async function createCounters(opts: {
  api: ApiClient;
  namespace: string;
  from: number;
  count: number;
  concurrency: number;
  clock: Clock;
  print: (line: string) => void;
}): Promise<CreatedCounters> {
  const { clock, namespace } = opts;
  const client = new ObjectClient<CounterObject>(opts.api, counterResource);
  const objects = new Array<CounterObject>(opts.count);
  const sentAt = new Map<string, number>();
  const bar = progress(`created in ${namespace}`, opts.count, { clock, print: opts.print });
  const started = clock.now();
  await forEachConcurrent(opts.count, opts.concurrency, async (i) => {
    const name = counterName(opts.from + i);
    sentAt.set(`${namespace}/${name}`, clock.now());
    objects[i] = await client.create(newCounter(namespace, name, opts.from + i));
    bar.tick();
  });
  const elapsedMs = bar.finish();
  return { objects, sentAt, firstSentAt: started, elapsedMs };
}
