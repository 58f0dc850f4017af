// The scale phase: a VPC, its Subnets, SecurityGroups and NICs created through the API while
// the operator runs; how long until every CR is Ready and until NB holds all of it.
import type { Clock } from '../../controllers/clock/index.ts';
import { objectKey, type KubeObject } from '../../controllers/kube/index.ts';
import type {
  NetworkInterfaceObject,
  SecurityGroupObject,
  SubnetObject,
  VPCObject,
} from '../../operators/vpc/api/index.ts';
import { until, untilQueuesEmpty } from '../lib/until.ts';
import type { KindWatch } from './kube-watch.ts';
import { growth } from './metrics.ts';
import { describeCounts, reached, type NbCounts } from './nb-counts.ts';
import type { NbWatch } from './nb-watch.ts';
import { createAll, type VpcClients } from './objects.ts';
import { expectedNb, scaleObjects, type ScaleSizes } from './topology.ts';

export interface Watches {
  vpcs: KindWatch<VPCObject>;
  subnets: KindWatch<SubnetObject>;
  groups: KindWatch<SecurityGroupObject>;
  nics: KindWatch<NetworkInterfaceObject>;
}

export interface ScaleResult {
  sizes: ScaleSizes;
  objects: number;
  concurrency: number;
  /** First create sent to last create answered. */
  createMs: number;
  /** First create sent to every object Ready for its generation. */
  readyMs: number;
  /** First create sent to NB holding every port, membership and ACL. */
  nbMs: number;
  /** First create sent to every work queue of the manager empty (after the two above). */
  idleMs: number;
  /** Per NIC: its create sent to the first time it was seen Ready. */
  nicReadyMs: number[];
  counts: NbCounts;
  /** From before the first create until the manager is idle: what the phase cost. */
  work: PhaseWork;
}

/** Counters read at one moment; the phase reports how much each grew. */
export interface WorkSnapshot {
  at: number;
  reconciles: Map<string, number>;
  seconds: Map<string, number>;
  apiWrites: Map<string, number>;
  /** CPU seconds used so far, per process. */
  cpu: Map<string, number>;
}

export interface PhaseWork {
  wallMs: number;
  reconciles: Record<string, number>;
  seconds: Record<string, number>;
  apiWrites: Record<string, number>;
  cpu: Record<string, number>;
}

export function phaseWork(after: WorkSnapshot, before: WorkSnapshot): PhaseWork {
  const of = (k: 'reconciles' | 'seconds' | 'apiWrites' | 'cpu') =>
    Object.fromEntries(growth(after[k], before[k]));
  return {
    wallMs: after.at - before.at,
    reconciles: of('reconciles'),
    seconds: of('seconds'),
    apiWrites: of('apiWrites'),
    cpu: of('cpu'),
  };
}

/** A wait that fails when what it counts stops moving for `stallMs`, rather than hanging. */
function stallGuard(stallMs: number, clock: Clock, describe: () => string) {
  let last = '';
  let since = clock.now();
  return (progress: string) => {
    const now = clock.now();
    if (progress !== last) {
      last = progress;
      since = now;
    } else if (now - since > stallMs) {
      throw new Error(`no progress for ${stallMs / 1000} s: ${describe()}`);
    }
  };
}

function notReadyReport(watches: Watches): string {
  const stuck: KubeObject[] = [
    ...watches.vpcs.notReady(),
    ...watches.subnets.notReady(),
    ...watches.groups.notReady(),
    ...watches.nics.notReady(),
  ];
  const sample = stuck.slice(0, 5).map((o) => {
    const status = (o as { status?: { conditions?: { type: string; reason?: string }[] } }).status;
    const ready = status?.conditions?.find((c) => c.type === 'Ready');
    return `${o.kind ?? ''} ${o.metadata.name ?? ''} (${ready?.reason ?? 'no condition'})`;
  });
  return `${stuck.length} objects not Ready, e.g. ${sample.join(', ')}`;
}

export async function measureScale(opts: {
  namespace: string;
  sizes: ScaleSizes;
  concurrency: number;
  clients: VpcClients;
  watches: Watches;
  nb: NbWatch;
  clock: Clock;
  print: (line: string) => void;
  snapshot: () => Promise<WorkSnapshot>;
  /** Keys waiting in the manager's work queues. */
  queued: () => Promise<number>;
  stallMs?: number;
  /**
   * NICs per second: the NICs are sent at this steady rate once the other objects are created,
   * instead of as fast as `concurrency` allows.
   */
  nicRate?: number;
}): Promise<ScaleResult> {
  const { clock, watches, sizes } = opts;
  const stallMs = opts.stallMs ?? 120_000;
  const o = scaleObjects(opts.namespace, sizes);
  const objects: KubeObject[] = [o.vpc, ...o.subnets, ...o.groups, ...o.nics];
  const expected = expectedNb(sizes);
  const isScaleNic = (name: string) => name.startsWith('nic-');
  const total = {
    vpcs: 1,
    subnets: o.subnets.length,
    groups: o.groups.length,
    nics: o.nics.length,
  };
  const allReady = () =>
    watches.vpcs.size === total.vpcs &&
    watches.subnets.size === total.subnets &&
    watches.groups.size === total.groups &&
    watches.nics.size === total.nics &&
    watches.vpcs.notReadyCount === 0 &&
    watches.subnets.notReadyCount === 0 &&
    watches.groups.notReadyCount === 0 &&
    watches.nics.notReadyCount === 0;

  const before = await opts.snapshot();
  // Both waits start before the first create, so neither can miss its moment.
  let readyAt = 0;
  let nbAt = 0;
  let counts: NbCounts = opts.nb.counts(opts.namespace, isScaleNic);
  const readyGuard = stallGuard(stallMs, clock, () => notReadyReport(watches));
  const ready = until(
    () => {
      if (!allReady()) {
        readyGuard(String(watches.nics.size - watches.nics.notReadyCount));
        return false;
      }
      readyAt = clock.now();
      return true;
    },
    { clock, timeoutMs: 60 * 60_000, what: 'every object Ready', intervalMs: 50 },
  );
  const nbGuard = stallGuard(stallMs, clock, () => describeCounts(counts, expected));
  const programmed = until(
    () => {
      counts = opts.nb.counts(opts.namespace, isScaleNic);
      if (!reached(counts, expected)) {
        nbGuard(JSON.stringify(counts));
        return false;
      }
      nbAt = clock.now();
      return true;
    },
    { clock, timeoutMs: 60 * 60_000, what: 'NB fully programmed', intervalMs: 100 },
  );
  // A failure of one wait must not leave the other's rejection unhandled.
  const both = Promise.all([ready, programmed]);
  both.catch(() => undefined);

  const send = (list: readonly KubeObject[], ratePerSecond?: number) =>
    createAll({
      clients: opts.clients,
      objects: list,
      concurrency: opts.concurrency,
      clock,
      print: opts.print,
      ...(ratePerSecond ? { ratePerSecond } : {}),
    });
  let created: Awaited<ReturnType<typeof createAll>>;
  if (opts.nicRate) {
    const first = await send([o.vpc, ...o.subnets, ...o.groups]);
    const nics = await send(o.nics, opts.nicRate);
    created = {
      sentAt: new Map([...first.sentAt, ...nics.sentAt]),
      firstSentAt: first.firstSentAt,
      elapsedMs: first.elapsedMs + nics.elapsedMs,
    };
  } else {
    created = await send(objects);
  }
  const timer = setInterval(() => {
    opts.print(
      `Ready: ${watches.nics.size - watches.nics.notReadyCount}/${total.nics} NICs; NB: ${describeCounts(counts, expected)}`,
    );
  }, 10_000);
  try {
    await both;
  } finally {
    clearInterval(timer);
  }
  // What the operator still has queued (re-reconciles set off by the phase's status writes)
  // would delay the next phase's objects: it goes first, and how long it takes is reported.
  await untilQueuesEmpty(opts.queued, clock);
  const idleAt = clock.now();
  const work = phaseWork(await opts.snapshot(), before);
  const nicReady: number[] = [];
  for (const nic of o.nics) {
    const key = objectKey(nic);
    const sent = created.sentAt.get(key);
    const at = watches.nics.readyTime(key);
    if (sent !== undefined && at !== undefined) nicReady.push(at - sent);
  }
  return {
    sizes,
    objects: objects.length,
    concurrency: opts.concurrency,
    createMs: created.elapsedMs,
    readyMs: readyAt - created.firstSentAt,
    nbMs: nbAt - created.firstSentAt,
    idleMs: idleAt - created.firstSentAt,
    nicReadyMs: nicReady,
    counts,
    work,
  };
}
