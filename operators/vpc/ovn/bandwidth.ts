// An interface's bandwidth limits as OVN QoS rows on its switch. ovn-northd turns each into a
// set_meter() logical flow and ovn-controller into an OpenFlow meter with one drop band on the
// hosts: packets beyond the rate are dropped, which is how TCP learns to slow down.
import type { DesiredQoS } from './nb/qos.ts';
import { ownerIds, type Owner } from './ownership.ts';

export interface Bandwidth {
  /** What the interface sends, in Mbit/s. */
  egressMbps?: number;
  /** What the interface receives, in Mbit/s. */
  ingressMbps?: number;
}

export interface BandwidthInput {
  owner: Owner;
  vpcUid: string;
  portName: string;
  bandwidth: Bandwidth | undefined;
}

/** Which way a QoS row limits, in its external_ids (one row per direction and interface). */
export const qosDirectionKey = 'kcloud.io/bandwidth';

/**
 * A QoS row's priority: the only rows kcloud writes match one port each, so any one value
 * serves; other writers (an EIP's limit, later) may sit above it.
 */
export const interfaceQoSPriority = 1000;

/**
 * The meter's burst, in kbit: 0.8 s at the rate (OpenStack Neutron's advice for TCP under its
 * bandwidth limits), never below 1,000 kbit so that a 64 KiB offloaded frame (about 524 kbit)
 * fits in a full bucket. A smaller bucket starves TCP: with 0.1 s, bursts a window long were
 * cut whole, the sender waited out retransmission timeouts and TCP got half the rate in the
 * data-plane test, where 0.8 s gives 0.9 to 1x. A full bucket lets at most 0.8 s of traffic
 * through above the rate, so any window of seconds sees the rate within a few tenths.
 */
export function burstKbit(rateKbit: number): number {
  return Math.max(1_000, Math.round(rateKbit * 0.8));
}

/**
 * The QoS rows of an interface: from-lport (what it sends, matched on inport) for egress,
 * to-lport (what it receives, matched on outport) for ingress; none for a direction without
 * a limit. Rates are in kbit/s, as OVN's bandwidth column takes them.
 */
export function desiredInterfaceQoS(n: BandwidthInput): DesiredQoS[] {
  const rows: DesiredQoS[] = [];
  const add = (mbps: number | undefined, direction: DesiredQoS['direction'], match: string) => {
    if (mbps === undefined) return;
    const rate = mbps * 1000;
    rows.push({
      priority: interfaceQoSPriority,
      direction,
      match,
      action: {},
      bandwidth: { rate, burst: burstKbit(rate) },
      external_ids: {
        ...ownerIds(n.owner, n.vpcUid),
        [qosDirectionKey]: direction === 'from-lport' ? 'egress' : 'ingress',
      },
    });
  };
  add(n.bandwidth?.egressMbps, 'from-lport', `inport == "${n.portName}"`);
  add(n.bandwidth?.ingressMbps, 'to-lport', `outport == "${n.portName}"`);
  return rows;
}
