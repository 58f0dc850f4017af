// The fence on an instance's interfaces: each NetworkInterface it runs with carries VPC's
// requested-chassis annotation naming the OVN chassis of the host it is bound to, which VPC
// writes into the port, so only that host's ovn-controller binds it. It moves with the binding
// (set before the binding hands the instance to a host: its VM's port binds there at once),
// and leaves an interface the instance no longer uses. A host that reports no chassis fences
// nothing: no name is better than a wrong one, and the condition says so.
import type { ConditionUpdate } from '../../../../controllers/reconcile/index.ts';
import type { KubeObject } from '../../../../controllers/kube/index.ts';
import { requestedChassisAnnotation } from '../../../vpc/api/index.ts';
import { networkFencedCondition } from '../../api/index.ts';

/** One interface's annotation to write: a chassis name, or null to take it off. */
export interface FenceWrite {
  networkInterface: string;
  chassis: string | null;
}

/**
 * The writes that make the annotations right: `using` the interfaces the instance runs with
 * (fenced to `chassis`, or not at all when it is undefined), `used` those it ran with before
 * (their fence goes). An interface not there yet (`current` undefined) is written once it is.
 */
export function fenceWrites(
  using: readonly string[],
  used: readonly string[],
  chassis: string | undefined,
  current: (networkInterface: string) => KubeObject | undefined,
): FenceWrite[] {
  const out: FenceWrite[] = [];
  const annotation = (name: string) =>
    current(name)?.metadata.annotations?.[requestedChassisAnnotation];
  for (const name of using) {
    if (!current(name)) continue;
    const have = annotation(name);
    if (chassis !== undefined ? have !== chassis : have !== undefined) {
      out.push({ networkInterface: name, chassis: chassis ?? null });
    }
  }
  for (const name of used) {
    if (using.includes(name) || annotation(name) === undefined) continue;
    out.push({ networkInterface: name, chassis: null });
  }
  return out;
}

/** NetworkFenced for an instance bound to `host`; none for one without interfaces. */
export function networkFenced(
  host: string,
  chassis: string | undefined,
  interfaces: number,
): ConditionUpdate[] {
  if (interfaces === 0) return [];
  if (chassis === undefined) {
    return [
      {
        type: networkFencedCondition,
        status: 'False',
        reason: 'HostChassisUnknown',
        message: `Host ${host} reports no OVN chassis (status.chassis): any chassis may bind this instance's ports; give its Open vSwitch an external_ids:system-id`,
      },
    ];
  }
  return [
    {
      type: networkFencedCondition,
      status: 'True',
      reason: 'RequestedChassis',
      message: `only chassis ${chassis} of Host ${host} may bind this instance's ports`,
    },
  ];
}
