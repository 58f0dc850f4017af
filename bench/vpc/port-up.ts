// NIC created → its logical switch port up, with a guest (a network namespace on br-int) bound
// to it. Two ways a host can plug the interface:
//   on-status: the host waits for status.portName (and the address and MAC) and plugs then;
//   at-create: the interface is in br-int from the create response on, with the iface-id the
//              operator names the port after (the NIC's UID) and the address and MAC fixed in
//              the spec, so the port binds the moment it exists in OVN.
import type { Clock } from '../../controllers/clock/index.ts';
import { objectKey } from '../../controllers/kube/index.ts';
import { startGuest, type Guest } from '../../hack/ovn/guest.ts';
import type { OvnLayout } from '../../hack/ovn/index.ts';
import type { NetworkInterfaceObject } from '../../operators/vpc/api/index.ts';
import { names as ovnNames } from '../../operators/vpc/ovn/index.ts';
import type { KindWatch } from './kube-watch.ts';
import type { NbWatch } from './nb-watch.ts';
import type { VpcClients } from './objects.ts';
import { fixedProbeAddress, names, nicObject } from './topology.ts';

export type PlugMode = 'on-status' | 'at-create';

/** Milliseconds from the create request sent. */
export interface PortUpSample {
  mode: PlugMode;
  /** The create answered. */
  created: number;
  /** status.portName seen by the benchmark's informer. */
  status: number;
  /** The guest in br-int with its iface-id (startGuest returned). */
  plugged: number;
  /** The logical switch port's `up` seen true in NB. */
  up: number;
}

export interface PortUpResult {
  samples: PortUpSample[];
}

const timeoutMs = 60_000;

/** A NIC's status once it names its port, address and MAC. */
export function hasPort(nic: NetworkInterfaceObject): boolean {
  const s = nic.status;
  return Boolean(s?.portName && s.ipAddress && s.macAddress && s.prefixLength && s.gatewayIP);
}

async function one(opts: {
  index: number;
  mode: PlugMode;
  namespace: string;
  layout: OvnLayout;
  clients: VpcClients;
  nics: KindWatch<NetworkInterfaceObject>;
  nb: NbWatch;
  clock: Clock;
}): Promise<PortUpSample> {
  const { clock, index, mode } = opts;
  const name = `port-${String(index).padStart(3, '0')}`;
  const fixed = mode === 'at-create' ? fixedProbeAddress(index) : undefined;
  const nic = nicObject(opts.namespace, name, {
    subnetRef: { name: names.probeSubnet },
    ...(fixed ?? {}),
  });
  const key = objectKey(nic);
  const withPort = () => opts.nics.wait(key, hasPort, timeoutMs, `NIC ${name} to report its port`);
  let guest: Guest | undefined;
  try {
    const sent = clock.now();
    const created = await opts.clients.create(nic);
    const createdAt = clock.now();
    if (mode === 'at-create' && fixed) {
      const portName = ovnNames.interfacePort(created.metadata.uid ?? '');
      const up = opts.nb.portUp(portName, timeoutMs);
      const status = withPort().then((n) => ({ n, at: clock.now() }));
      guest = await startGuest(opts.layout, {
        name,
        ifaceId: portName,
        mac: fixed.macAddress,
        address: `${fixed.ipAddress}/24`,
      });
      const pluggedAt = clock.now();
      const [upAt, seen] = await Promise.all([up, status]);
      if (seen.n.status?.portName !== portName) {
        throw new Error(
          `NIC ${name} reports port ${seen.n.status?.portName ?? '(none)'}, not ${portName}: the operator names ports differently now`,
        );
      }
      return {
        mode,
        created: createdAt - sent,
        status: seen.at - sent,
        plugged: pluggedAt - sent,
        up: upAt - sent,
      };
    }
    const seen = await withPort();
    const statusAt = clock.now();
    const s = seen.status ?? {};
    const portName = s.portName ?? '';
    const up = opts.nb.portUp(portName, timeoutMs);
    guest = await startGuest(opts.layout, {
      name,
      ifaceId: portName,
      mac: s.macAddress ?? '',
      address: `${s.ipAddress ?? ''}/${s.prefixLength ?? 0}`,
      gateway: s.gatewayIP ?? '',
    });
    const pluggedAt = clock.now();
    const upAt = await up;
    return {
      mode,
      created: createdAt - sent,
      status: statusAt - sent,
      plugged: pluggedAt - sent,
      up: upAt - sent,
    };
  } finally {
    await guest?.close();
  }
}

/** `sample` NICs of each way, alternating, one at a time. */
export async function measurePortUp(opts: {
  namespace: string;
  sample: number;
  layout: OvnLayout;
  clients: VpcClients;
  nics: KindWatch<NetworkInterfaceObject>;
  nb: NbWatch;
  clock: Clock;
  print: (line: string) => void;
}): Promise<PortUpResult> {
  const samples: PortUpSample[] = [];
  for (let i = 0; i < 2 * opts.sample; i++) {
    const mode: PlugMode = i % 2 === 0 ? 'on-status' : 'at-create';
    const s = await one({ ...opts, index: i, mode });
    samples.push(s);
    if ((i + 1) % 10 === 0 || i + 1 === 2 * opts.sample) {
      opts.print(`port up: ${i + 1}/${2 * opts.sample} NICs (last: ${mode}, up after ${s.up} ms)`);
    }
  }
  return { samples };
}
