// What to do about a host whose heartbeat is lost: nothing until the heartbeat has been late
// for the evacuation grace period beyond the host's own grace; then fence the host (its
// agent, if it comes back, runs nothing of what left it) and evacuate each of its instances
// whose volumes all live in a shared pool (RBD, or a File pool of scope Shared), which any
// other host reaches. An instance with a volume in a Local pool stays: its data is on that
// host. Pure: the controller reads the caches and writes.
import type { Lease } from '../../../../controllers/index.ts';
import { poolScope, type StoragePoolObject, type VolumeObject } from '../../../evs/api/index.ts';
import type { InstanceObject } from '../../api/index.ts';
import { heartbeatDeadline } from '../host-lifecycle-status.ts';

export interface EvacuationWorld {
  volume(namespace: string, name: string): VolumeObject | undefined;
  pool(name: string): StoragePoolObject | undefined;
}

export interface EvacuationInput {
  lease: Lease | undefined;
  now: number;
  /** How late a heartbeat may be before the host counts as lost (the lifecycle's grace). */
  heartbeatGraceMs: number;
  /** How long a host stays lost before it is fenced and its instances move. */
  evacuationGraceMs: number;
  /** The instances bound to the host (asked only once it is to be fenced). */
  instances: () => readonly InstanceObject[];
  world: EvacuationWorld;
}

export interface Stranded {
  instance: InstanceObject;
  reason: string;
  message: string;
}

export type EvacuationDecision =
  /** The heartbeat is on time (or there is none to judge): nothing to do; look again then. */
  | { lost: false; recheckAfterMs?: number }
  /** Lost, not for long enough yet. */
  | { lost: true; fence: false; since: number; recheckAfterMs: number }
  | {
      lost: true;
      fence: true;
      since: number;
      evacuate: InstanceObject[];
      stranded: Stranded[];
    };

/** The volumes an instance runs from: its boot volume, then its data volumes. */
function volumesOf(i: InstanceObject): string[] {
  const boot = i.status?.bootVolume;
  return [...(boot !== undefined ? [boot] : []), ...(i.spec.dataVolumes ?? []).map((d) => d.name)];
}

/** Why an instance cannot run elsewhere, or undefined when every volume is in a shared pool. */
export function notEvacuable(
  i: InstanceObject,
  world: EvacuationWorld,
): Omit<Stranded, 'instance'> | undefined {
  const ns = i.metadata.namespace ?? '';
  for (const name of volumesOf(i)) {
    const vol = world.volume(ns, name);
    const poolName = vol?.status?.storagePool;
    const pool = poolName !== undefined ? world.pool(poolName) : undefined;
    if (!pool) {
      return {
        reason: 'VolumePoolUnknown',
        message: `the pool of Volume ${name} is not known, so it cannot be told whether another host reaches it`,
      };
    }
    if (poolScope(pool) === 'Local') {
      return {
        reason: 'LocalVolumes',
        message: `Volume ${name} is in the Local pool ${poolName ?? ''} on the lost host; the instance runs again when the host is back`,
      };
    }
  }
  return undefined;
}

export function evacuationDecision(input: EvacuationInput): EvacuationDecision {
  if (!input.lease) return { lost: false };
  const deadline = heartbeatDeadline(input.lease, input.heartbeatGraceMs);
  if (deadline === undefined) return { lost: false };
  if (input.now < deadline) return { lost: false, recheckAfterMs: deadline - input.now };
  const fenceAt = deadline + input.evacuationGraceMs;
  if (input.now < fenceAt) {
    return { lost: true, fence: false, since: deadline, recheckAfterMs: fenceAt - input.now };
  }
  const evacuate: InstanceObject[] = [];
  const stranded: Stranded[] = [];
  for (const i of input.instances()) {
    if (i.metadata.deletionTimestamp) continue;
    const why = notEvacuable(i, input.world);
    if (why) stranded.push({ instance: i, ...why });
    else evacuate.push(i);
  }
  return { lost: true, fence: true, since: deadline, evacuate, stranded };
}
