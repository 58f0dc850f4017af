// Which OVN chassis this host is, in its Host's status: the name (Open vSwitch's
// external_ids:system-id) under which its ovn-controller binds ports. The manager fences the
// ports of the instances bound here to it; a host that names none leaves them unfenced, which
// the instances say, rather than carrying a name that may not be the one OVN knows.
import { WakeableWait } from '../../../controllers/concurrency/index.ts';
import { applyOwnStatus, errorMessage } from '../../../controllers/index.ts';
import type { HostModuleContext } from '../../../controllers/host/index.ts';
import { isChassisName } from '../../vpc/api/index.ts';
import { Host, type HostObject } from '../api/index.ts';
import { ovsVsctl } from './ovs-vsctl.ts';

/** How often the system-id is read again (Open vSwitch may start, or be set up, after the agent). */
const rereadMs = 60_000;

export type ChassisRead = { chassis?: string } | { unusable: string };

/**
 * The system-id from `ovs-vsctl --if-exists get Open_vSwitch . external_ids:system-id`: empty
 * when unset, an OVSDB string (quoted when it holds more than letters and digits) otherwise.
 * Anything but one chassis name is unusable: a name OVN might read otherwise is never reported.
 */
export function parseSystemId(stdout: string): ChassisRead {
  const text = stdout.trim();
  if (text === '') return {};
  let value = text;
  if (text.startsWith('"')) {
    try {
      value = JSON.parse(text) as string;
    } catch {
      return { unusable: `system-id ${text} is not an OVSDB string` };
    }
  }
  return isChassisName(value)
    ? { chassis: value }
    : { unusable: `system-id ${JSON.stringify(value)} is not one chassis name` };
}

/** Reads the host's chassis name from its Open vSwitch database (`--ovs-db`). */
export async function readChassis(ovsDb: string): Promise<ChassisRead> {
  try {
    const args = ['--if-exists', 'get', 'Open_vSwitch', '.', 'external_ids:system-id'];
    return parseSystemId(await ovsVsctl(ovsDb, args, 5));
  } catch (err) {
    return { unusable: errorMessage(err) };
  }
}

/**
 * Reports the chassis into each of the agent's Hosts (its own field manager): now, whenever a
 * Host appears or its chassis is not the one read, and every minute, when it is read again.
 */
export function addChassisReport(ctx: HostModuleContext, ovsDb: string): void {
  const { mgr } = ctx;
  const hosts = ctx.informer<HostObject>(Host.resource);
  const client = mgr.client<HostObject>(Host.resource);
  let current: ChassisRead | undefined;
  const pause = new WakeableWait();
  const poke = () => {
    pause.poke();
  };
  const chassisOf = (r: ChassisRead | undefined) => (r && 'chassis' in r ? r.chassis : undefined);
  hosts.addHandler({
    onAdd: poke,
    onUpdate: (_o, n) => {
      if (current !== undefined && n.status?.chassis !== chassisOf(current)) poke();
    },
  });
  mgr.addRunnable({
    name: 'ecs-chassis-report',
    run: async (signal) => {
      let lastRead = 0;
      // Read through a function: an abort during a write ends the loop before its wait.
      const stopping = () => signal.aborted;
      while (!stopping()) {
        try {
          if (current === undefined || Date.now() - lastRead >= rereadMs) {
            const read = await readChassis(ovsDb);
            lastRead = Date.now();
            if (JSON.stringify(read) !== JSON.stringify(current)) {
              if ('unusable' in read) {
                mgr.log.warn('no OVN chassis for this host: its instances’ ports are not fenced', {
                  why: read.unusable,
                });
              } else mgr.log.info('OVN chassis of this host', { chassis: read.chassis ?? '' });
            }
            current = read;
          }
          for (const name of ctx.hosts) {
            const host = hosts.cache.get(name);
            if (!host || host.status?.chassis === chassisOf(current)) continue;
            await applyOwnStatus(
              client,
              host,
              { fields: { chassis: chassisOf(current) }, conditions: [] },
              ctx.fieldManager,
              new Date(),
              signal,
            );
          }
        } catch (err) {
          if (!stopping()) {
            mgr.log.warn('reporting the OVN chassis failed', { error: errorMessage(err) });
          }
        }
        if (stopping()) break;
        await pause.wait(rereadMs, signal);
      }
    },
  });
}
