// What an EIP is bound to, checked before anything is written: a target that is missing or
// not ready yet is waited for; a target that already has another EIP is refused.
import { ReconcileError, WaitingError } from '../../../controllers/external/index.ts';
import type { Cache } from '../../../controllers/informer/index.ts';
import type { NetworkInterfaceObject } from '../../vpc/index.ts';
import type { EIPObject } from '../api/index.ts';

/** A bound target as the data plane needs it. */
export interface Target {
  /** `NetworkInterface/web`, as status.boundTo shows it. */
  label: string;
  kind: 'NetworkInterface';
  name: string;
  uid: string;
  /** The target's private address, the NAT's logical IP. */
  ipAddress: string;
  /** The OVN logical switch port of the target. */
  portName: string;
}

const isReady = (o: { status?: { conditions?: { type: string; status: string }[] } }) =>
  o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** The label of the target an EIP's spec names, or undefined when it is unbound. */
export function boundLabel(eip: EIPObject): string | undefined {
  const nic = eip.spec.binding?.networkInterfaceRef;
  return nic ? `NetworkInterface/${nic.name}` : undefined;
}

/**
 * Of the EIPs of one namespace naming the same target, the one that has it: the one already
 * bound to it, else the oldest (then by name). The others wait for it to let go.
 */
export function holderOf(claimants: readonly EIPObject[], label: string): EIPObject | undefined {
  const rank = (e: EIPObject) => [
    e.status?.boundTo === label ? 0 : 1,
    e.metadata.creationTimestamp ?? '',
    e.metadata.name ?? '',
  ];
  return [...claimants].sort((a, b) => {
    const [x, y] = [rank(a), rank(b)];
    for (let i = 0; i < x.length; i++) {
      const [p, q] = [x[i] ?? '', y[i] ?? ''];
      if (p !== q) return p < q ? -1 : 1;
    }
    return 0;
  })[0];
}

/** The target of a bound EIP; undefined for an unbound one. Throws when it cannot be had. */
export function resolveTarget(
  eip: EIPObject,
  eips: Cache<EIPObject>,
  nics: Cache<NetworkInterfaceObject>,
): Target | undefined {
  const ref = eip.spec.binding?.networkInterfaceRef;
  const label = boundLabel(eip);
  if (!ref || !label) return undefined;
  const ns = eip.metadata.namespace ?? '';
  const claimants = eips.inNamespace(ns).filter((e) => boundLabel(e) === label);
  const holder = holderOf(claimants, label);
  if (holder && holder.metadata.uid !== eip.metadata.uid) {
    throw new ReconcileError(
      'TargetHasEIP',
      `NetworkInterface ${ref.name} already has EIP ${holder.metadata.name ?? ''}; a target has one EIP: bind this one elsewhere or unbind the other first`,
      { retry: false },
    );
  }
  const nic = nics.get(`${ns}/${ref.name}`);
  if (!nic) {
    throw new WaitingError(
      'InterfaceNotFound',
      `NetworkInterface ${ref.name} does not exist in namespace ${ns}`,
    );
  }
  const ipAddress = nic.status?.ipAddress;
  const portName = nic.status?.portName;
  if (nic.metadata.deletionTimestamp || !isReady(nic) || !ipAddress || !portName) {
    throw new WaitingError(
      'InterfaceNotReady',
      `NetworkInterface ${ref.name} ${nic.metadata.deletionTimestamp ? 'is being deleted' : 'is not ready'}`,
    );
  }
  return {
    label,
    kind: 'NetworkInterface',
    name: ref.name,
    uid: nic.metadata.uid ?? '',
    ipAddress,
    portName,
  };
}
