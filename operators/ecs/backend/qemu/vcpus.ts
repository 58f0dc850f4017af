// vCPU hot-plug. QEMU plugs a vCPU into a free socket of the `maxcpus` the VM was started with
// (query-hotpluggable-cpus lists them); the guest sees it as an ACPI CPU hot-add and still has
// to bring it online (the guest agent can).
import { VmError } from './errors.ts';
import { isRecord } from './json-lines.ts';
import type { QmpClient } from './qmp-client.ts';

export interface Slot {
  type: string;
  props: Record<string, unknown>;
  plugged: boolean;
}

/** The VM's CPU sockets, plugged or free. */
export async function cpuSlots(qmp: QmpClient): Promise<Slot[]> {
  const list = await qmp.execute('query-hotpluggable-cpus');
  return (Array.isArray(list) ? list.filter(isRecord) : []).map((c) => ({
    type: String(c.type),
    props: isRecord(c.props) ? c.props : {},
    plugged: typeof c['qom-path'] === 'string',
  }));
}

/** The props' order: socket, then core, then thread (the order the guest numbers CPUs in). */
const order = (s: Slot) =>
  ['socket-id', 'core-id', 'thread-id'].map((k) => Number(s.props[k] ?? 0));
function compare(a: Slot, b: Slot): number {
  const x = order(a);
  const y = order(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/**
 * Plugs vCPUs until the VM has `count`, into the lowest free sockets; ids `vcpu-<socket>`.
 * Refuses (VmError InvalidDefinition) a count beyond its maxcpus; fewer than it has now is not
 * asked of it (unplugging needs the guest's consent and is left to a restart).
 */
export async function plugVcpus(qmp: QmpClient, count: number): Promise<number> {
  const all = await cpuSlots(qmp);
  const present = all.filter((s) => s.plugged).length;
  if (count > all.length) {
    throw new VmError(
      'InvalidDefinition',
      `the VM can have at most ${String(all.length)} vCPUs without a restart; ${String(count)} asked`,
    );
  }
  const free = all.filter((s) => !s.plugged).sort(compare);
  let plugged = 0;
  for (const s of free.slice(0, Math.max(0, count - present))) {
    const id = s.props['socket-id'];
    const socket = typeof id === 'number' ? String(id) : `x${String(plugged)}`;
    await qmp.execute('device_add', { driver: s.type, id: `vcpu-${socket}`, ...s.props });
    plugged++;
  }
  return plugged;
}
