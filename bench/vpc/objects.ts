// Putting the benchmark's objects on the server: the CRDs, its namespace, and CRs created
// through the API as fast as a number of requests in flight allows.
import type { Clock } from '../../controllers/clock/index.ts';
import {
  objectKey,
  ObjectClient,
  type ApiClient,
  type KubeObject,
  type ResourceRef,
} from '../../controllers/kube/index.ts';
import { productKinds } from '../../operators/kinds.ts';
import { vpcKinds } from '../../operators/vpc/api/index.ts';
import { installCrds } from '../lib/cluster-objects.ts';
import { forEachConcurrent } from '../lib/pool.ts';
import { progress } from '../lib/progress.ts';

export type VpcKind = (typeof vpcKinds)[number];

export function resourceOf(kind: VpcKind): ResourceRef {
  return { ...kind.resource, kind: kind.kind };
}

/**
 * Applies the CRD of every product kind and waits until served: the operator watches every VPC
 * kind, and reads other products' kinds too (a NATGateway's EIPs), so a server without them
 * would keep its caches from syncing.
 */
export async function installVpcCrds(api: ApiClient, clock: Clock): Promise<void> {
  await installCrds(api, clock, productKinds);
}

/** One client per VPC kind, picked by an object's `kind`. */
export class VpcClients {
  private readonly byKind = new Map<string, ObjectClient<KubeObject>>();

  constructor(api: ApiClient) {
    for (const kind of vpcKinds) {
      this.byKind.set(kind.kind, new ObjectClient<KubeObject>(api, resourceOf(kind)));
    }
  }

  of<T extends KubeObject>(obj: KubeObject): ObjectClient<T> {
    const client = this.byKind.get(obj.kind ?? '');
    if (!client) throw new Error(`not a VPC kind: ${obj.kind ?? '(none)'}`);
    return client as unknown as ObjectClient<T>;
  }

  create<T extends KubeObject>(obj: T): Promise<T> {
    return this.of<T>(obj).create(obj);
  }

  /** Replaces the object's spec with `obj`'s (a merge patch sets lists whole). */
  replaceSpec<T extends KubeObject & { spec?: unknown }>(obj: T): Promise<T> {
    return this.of<T>(obj).patch(
      obj.metadata.namespace,
      obj.metadata.name ?? '',
      'merge',
      { spec: obj.spec },
      { fieldManager: 'kcloud-bench' },
    );
  }
}

export interface Created {
  /** When each create request was sent, by `namespace/name` (names are unique across kinds here). */
  sentAt: Map<string, number>;
  firstSentAt: number;
  /** From the first create sent to the last one answered. */
  elapsedMs: number;
}

/** Creates `objects` in order, with `concurrency` requests in flight. */
export async function createAll(opts: {
  clients: VpcClients;
  objects: readonly KubeObject[];
  concurrency: number;
  clock: Clock;
  print: (line: string) => void;
  /** Objects per second: object i is sent no earlier than i / rate after the first. */
  ratePerSecond?: number;
}): Promise<Created> {
  const { clock } = opts;
  const sentAt = new Map<string, number>();
  const bar = progress('created', opts.objects.length, { clock, print: opts.print });
  const firstSentAt = clock.now();
  await forEachConcurrent(opts.objects.length, opts.concurrency, async (i) => {
    const obj = opts.objects[i];
    if (!obj) return;
    if (opts.ratePerSecond) {
      const wait = firstSentAt + (i * 1000) / opts.ratePerSecond - clock.now();
      if (wait > 0) await clock.sleep(wait);
    }
    sentAt.set(objectKey(obj), clock.now());
    await opts.clients.create(obj);
    bar.tick();
  });
  return { sentAt, firstSentAt, elapsedMs: bar.finish() };
}
