// The many-groups phase: SecurityGroups that name each other, all in one namespace, created
// while the operator runs. What it costs to bring them all to Ready: time, reconciles and status
// writes per group. A watch that requeued every group of the namespace on any group's change
// made this grow with the square of the number of groups; mapped through the index of the
// groups each rule names, it stays a few reconciles per group.
import type { Clock } from '../../controllers/clock/index.ts';
import { objectKey } from '../../controllers/kube/index.ts';
import type { SecurityGroupObject, SecurityGroupRule } from '../../operators/vpc/api/index.ts';
import { until, untilQueuesEmpty } from '../lib/until.ts';
import { isReadyFor, type KindWatch } from './kube-watch.ts';
import { createAll, type VpcClients } from './objects.ts';
import { phaseWork, type PhaseWork, type WorkSnapshot } from './scale.ts';
import { groupObject } from './topology.ts';

export interface GroupsSizes {
  groups: number;
  /** Rules of each group that name another group of the phase (plus one CIDR rule). */
  references: number;
}

export interface GroupsResult {
  sizes: GroupsSizes;
  concurrency: number;
  /** First create sent to last create answered. */
  createMs: number;
  /** First create sent to every group of the phase Ready for its generation. */
  readyMs: number;
  /** First create sent to every work queue of the manager empty. */
  idleMs: number;
  /** From before the first create until the manager is idle. */
  work: PhaseWork;
}

export const groupName = (i: number) => `many-${String(i).padStart(3, '0')}`;

/**
 * Group i names groups i+1 … i+references (mod the count): created in order, most name groups
 * that do not exist yet (SecurityGroupNotFound, retried) and become Ready as those appear, so
 * the watch on groups has real work to map.
 */
export function manyGroups(namespace: string, sizes: GroupsSizes): SecurityGroupObject[] {
  return Array.from({ length: sizes.groups }, (_, i) => {
    const rules: SecurityGroupRule[] = [
      {
        name: 'ssh',
        direction: 'Ingress',
        protocol: 'TCP',
        ports: { from: 22, to: 22 },
        remoteCIDR: '10.0.0.0/8',
      },
    ];
    for (let k = 1; k <= Math.min(sizes.references, sizes.groups - 1); k++) {
      rules.push({
        name: `from-${String(k)}`,
        direction: 'Ingress',
        protocol: 'TCP',
        ports: { from: 8000 + k, to: 8000 + k },
        remoteSecurityGroupRef: { name: groupName((i + k) % sizes.groups) },
      });
    }
    return groupObject(namespace, groupName(i), rules);
  });
}

export async function measureGroups(opts: {
  namespace: string;
  sizes: GroupsSizes;
  concurrency: number;
  clients: VpcClients;
  groups: KindWatch<SecurityGroupObject>;
  clock: Clock;
  print: (line: string) => void;
  snapshot: () => Promise<WorkSnapshot>;
  /** Keys waiting in the manager's work queues. */
  queued: () => Promise<number>;
}): Promise<GroupsResult> {
  const { clock } = opts;
  const objects = manyGroups(opts.namespace, opts.sizes);
  const keys = objects.map((o) => objectKey(o));
  const readyCount = () =>
    keys.filter((k) => {
      const o = opts.groups.informer.cache.get(k);
      return o !== undefined && isReadyFor(o);
    }).length;
  const before = await opts.snapshot();
  const created = await createAll({
    clients: opts.clients,
    objects,
    concurrency: opts.concurrency,
    clock,
    print: opts.print,
  });
  let readyAt = 0;
  await until(
    () => {
      if (readyCount() < keys.length) return false;
      readyAt = clock.now();
      return true;
    },
    { clock, timeoutMs: 30 * 60_000, what: `${keys.length} SecurityGroups Ready`, intervalMs: 50 },
  );
  await untilQueuesEmpty(opts.queued, clock);
  const idleAt = clock.now();
  return {
    sizes: opts.sizes,
    concurrency: opts.concurrency,
    createMs: created.elapsedMs,
    readyMs: readyAt - created.firstSentAt,
    idleMs: idleAt - created.firstSentAt,
    work: phaseWork(await opts.snapshot(), before),
  };
}
