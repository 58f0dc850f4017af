// The demo's OVN: the northbound and southbound databases and ovn-northd, and by default the
// data plane too (Open vSwitch and ovn-controller), so that `hack/ovn.sh guest add` can put
// packets on the demo's NetworkInterfaces. It costs about 0.3 s more to start and 40 MiB.
import { readState, up, type OvnInfo, type OvnLayout, type OvnOptions } from '../ovn/index.ts';

export interface DataPlaneChoice {
  dataPlane: boolean;
  /** Why, for the demo's output. */
  why: string;
}

/**
 * DATA_PLANE=1 or 0 decides. Unset, a running data plane is kept (never restarted or stopped:
 * its plugged ports would go), and a new one is started when this process may make network
 * namespaces (root), which ovs-vswitchd and the guests run in.
 */
export function dataPlaneChoice(
  value: string | undefined,
  running: Pick<OvnOptions, 'dataPlane'> | undefined,
  euid: number,
): DataPlaneChoice {
  switch ((value ?? '').trim().toLowerCase()) {
    case '1':
    case 'true':
    case 'yes':
      return { dataPlane: true, why: 'DATA_PLANE=1' };
    case '0':
    case 'false':
    case 'no':
      return { dataPlane: false, why: 'DATA_PLANE=0' };
    case '':
      if (running?.dataPlane) return { dataPlane: true, why: 'it runs already' };
      if (euid === 0) return { dataPlane: true, why: 'the default' };
      return {
        dataPlane: false,
        why: 'not root: ovs-vswitchd and guests need network namespaces (DATA_PLANE=1 to try anyway)',
      };
    default:
      throw new Error(`DATA_PLANE must be 1 or 0, not ${JSON.stringify(value)}`);
  }
}

/** Brings up what of the demo's OVN is down, keeping a running data plane unless told off. */
export async function startDemoOvn(
  layout: OvnLayout,
  dataPlaneVariable: string | undefined,
  log: (line: string) => void,
): Promise<OvnInfo> {
  const previous = await readState(layout);
  const choice = dataPlaneChoice(dataPlaneVariable, previous?.options, process.geteuid?.() ?? 0);
  log(`data plane ${choice.dataPlane ? 'on' : 'off'} (${choice.why})`);
  return up(layout, { dataPlane: choice.dataPlane, log });
}
