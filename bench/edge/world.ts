// What every phase of the edge benchmark works with: clients for the kinds it creates, its own
// informers on them, its view of NB, and ovn-nbctl against the same OVN.
import type { Clock } from '../../controllers/clock/index.ts';
import {
  objectKey,
  ObjectClient,
  type ApiClient,
  type KubeObject,
} from '../../controllers/kube/index.ts';
import type { Logger } from '../../controllers/logging/logger.ts';
import { nbctl, type OvnLayout } from '../../hack/ovn/index.ts';
import { EIP, EIPPool, type EIPObject } from '../../operators/eip/api/index.ts';
import { LoadBalancer, type LoadBalancerObject } from '../../operators/slb/api/index.ts';
import {
  NetworkInterface,
  SecurityGroup,
  Subnet,
  VPC,
  type NetworkInterfaceObject,
  type SubnetObject,
  type VPCObject,
} from '../../operators/vpc/api/index.ts';
import { forEachConcurrent } from '../lib/pool.ts';
import { until } from '../lib/until.ts';
import { isReadyFor, KindWatch, type Conditioned } from '../vpc/kube-watch.ts';
import type { ManagerWork } from '../vpc/metrics.ts';
import type { NbEdgeWatch } from './nb-edge.ts';

const kinds = [VPC, Subnet, SecurityGroup, NetworkInterface, LoadBalancer, EIP, EIPPool];

/** One client per kind the benchmark creates, picked by an object's `kind`. */
export class EdgeClients {
  private readonly byKind = new Map<string, ObjectClient<KubeObject>>();

  constructor(api: ApiClient) {
    for (const k of kinds) {
      this.byKind.set(k.kind, new ObjectClient<KubeObject>(api, { ...k.resource, kind: k.kind }));
    }
  }

  of<T extends KubeObject>(obj: KubeObject): ObjectClient<T> {
    const client = this.byKind.get(obj.kind ?? '');
    if (!client) throw new Error(`not a kind of this benchmark: ${obj.kind ?? '(none)'}`);
    return client as unknown as ObjectClient<T>;
  }

  create<T extends KubeObject>(obj: T): Promise<T> {
    return this.of<T>(obj).create(obj);
  }

  /** A merge patch of the spec (null removes a field); the object as stored. */
  patchSpec<T extends KubeObject>(obj: T, spec: Record<string, unknown>): Promise<T> {
    return this.of<T>(obj).patch(
      obj.metadata.namespace,
      obj.metadata.name ?? '',
      'merge',
      { spec },
      { fieldManager: 'kcloud-bench' },
    );
  }
}

export interface Watches {
  vpcs: KindWatch<VPCObject>;
  subnets: KindWatch<SubnetObject>;
  nics: KindWatch<NetworkInterfaceObject>;
  lbs: KindWatch<LoadBalancerObject>;
  eips: KindWatch<EIPObject>;
}

export function makeWatches(opts: {
  api: ApiClient;
  namespace: string;
  clock: Clock;
  log: Logger;
}): Watches {
  const w = <T extends Conditioned>(k: (typeof kinds)[number]) =>
    new KindWatch<T>({ ...opts, resource: { ...k.resource, kind: k.kind } });
  return {
    vpcs: w<VPCObject>(VPC),
    subnets: w<SubnetObject>(Subnet),
    nics: w<NetworkInterfaceObject>(NetworkInterface),
    lbs: w<LoadBalancerObject>(LoadBalancer),
    eips: w<EIPObject>(EIP),
  };
}

export interface EdgeWorld {
  namespace: string;
  clients: EdgeClients;
  watches: Watches;
  nb: NbEdgeWatch;
  layout: OvnLayout;
  clock: Clock;
  print: (line: string) => void;
  /** The manager's reconciles so far, from its /metrics. */
  work: () => Promise<ManagerWork>;
}

export const timeoutMs = 10 * 60_000;

/** Creates `objects` in order with `concurrency` requests in flight. */
export async function createAll(
  world: EdgeWorld,
  objects: readonly KubeObject[],
  concurrency: number,
): Promise<void> {
  await forEachConcurrent(objects.length, concurrency, async (i) => {
    const obj = objects[i];
    if (obj) await world.clients.create(obj);
  });
}

/** The object once it is Ready for its current generation (and passes `test`). */
export function ready<T extends Conditioned>(
  watch: KindWatch<T>,
  obj: KubeObject,
  test: (o: T) => boolean = () => true,
): Promise<T> {
  return watch.wait(
    objectKey(obj),
    (o) => isReadyFor(o) && test(o),
    timeoutMs,
    `${obj.kind ?? ''} ${obj.metadata.name ?? ''} Ready`,
  );
}

/**
 * When the last of `keys` was first seen Ready (its first generation), once all have been;
 * checked every 50 ms, the moments being the informer's.
 */
export async function allReady(
  world: EdgeWorld,
  watch: { readyTime(key: string): number | undefined },
  keys: readonly string[],
  what: string,
): Promise<number> {
  let last = 0;
  await until(
    () => {
      last = 0;
      for (const k of keys) {
        const at = watch.readyTime(k);
        if (at === undefined) return false;
        last = Math.max(last, at);
      }
      return true;
    },
    { clock: world.clock, timeoutMs, what, intervalMs: 50 },
  );
  return last;
}

/** Runs ovn-nbctl against the benchmark's OVN; a failure throws with its stderr. */
export async function nbctlMust(layout: OvnLayout, args: string[], what: string): Promise<string> {
  const r = await nbctl(layout, args, { timeoutSeconds: 300 });
  if (r.code !== 0)
    throw new Error(`${what}: ovn-nbctl failed (exit ${String(r.code)}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** ovn-northd has translated everything so far: no write pays for the one before it. */
export function settle(layout: OvnLayout): Promise<string> {
  return nbctlMust(layout, ['--wait=sb', 'sync'], 'ovn-nbctl --wait=sb sync');
}
