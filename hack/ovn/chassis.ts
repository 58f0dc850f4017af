import { mkdir } from 'node:fs/promises';
import { realClock } from '../../controllers/clock/index.ts';
import { isOurs, stopProcess, type RecordedProcess } from '../cluster/index.ts';
import {
  chassisLayout,
  defaultChassisDir,
  type Chassis,
  type ChassisRef,
} from './chassis-layout.ts';
import { componentOrder, requireValidChassisName, type OvnOptions } from './components.ts';
import { replugGuests } from './guests.ts';
import type { OvnLayout } from './layout.ts';
import { configureChassis } from './openvswitch.ts';
import { launch, type RunOptions } from './ovn.ts';
import { isReady, type ProbeContext } from './probes.ts';
import { linkProviderNetwork, type ProviderNetwork } from './provider-network.ts';
import {
  dataPlaneNetns,
  requireState,
  rollBack,
  writeState,
  readState,
  type OvnState,
} from './state.ts';
import {
  chooseAddress,
  hubAddress,
  joinUnderlay,
  linkToHub,
  readUnderlay,
  seedNeighbours,
  waitUnderlayRoutes,
  writeUnderlay,
  type UnderlayEnd,
} from './underlay.ts';

export interface ChassisOptions extends ChassisRef, RunOptions {
  /**
   * Its tunnel endpoint, 172.31.255.2 to .254; the one it had, or the lowest free one, when
   * left out.
   */
  address?: string;
  /**
   * Provider networks the chassis is on too (a gateway chassis' uplinks), each linked to the
   * hub's bridge of that network; the ones it had, when left out.
   */
  providerNetworks?: ProviderNetwork[];
}

const dataPlane = componentOrder({ dataPlane: true }).filter(
  (n) => !componentOrder({ dataPlane: false }).includes(n),
);

/**
 * Starts another chassis of the OVN `ovn`, as a second host would run it: its own Open vSwitch
 * database, ovs-vswitchd (userspace datapath) in a network namespace of its own and
 * ovn-controller, joined to the OVN's southbound database, and links it to the OVN's own
 * chassis (the hub, which must run: `up` with the data plane) over the underlay, where
 * ovn-controller's Geneve tunnels carry traffic between them. Idempotent: what runs and is
 * ready is kept, what is missing (a process, the underlay link after a restart) is made again.
 */
export async function upChassis(ovn: OvnLayout, opts: ChassisOptions): Promise<Chassis> {
  const log = opts.log ?? (() => undefined);
  const clock = opts.clock ?? realClock;
  requireValidChassisName(opts.name);
  const main = await requireState(ovn);
  if (main.options.chassis === opts.name) {
    throw new Error(`${opts.name} is the name of the OVN's own chassis: give the new one another`);
  }
  const hub: UnderlayEnd = { layout: ovn, netns: await dataPlaneNetns(ovn) };

  // The hub first: the new chassis' tunnels need an endpoint on the other side.
  const hubRecord = (await readUnderlay(ovn)) ?? { address: hubAddress, members: {} };
  const members = hubRecord.members ?? {};
  const runDir = opts.runDir ?? members[opts.name]?.runDir ?? defaultChassisDir(ovn, opts.name);
  const layout = chassisLayout(ovn, runDir);
  const address = chooseAddress(members, opts.name, opts.address);
  const providerNetworks = opts.providerNetworks ?? members[opts.name]?.providerNetworks ?? [];
  await writeUnderlay(ovn, {
    ...hubRecord,
    members: {
      ...members,
      [opts.name]: {
        address,
        runDir: layout.runDir,
        ...(providerNetworks.length > 0 ? { providerNetworks } : {}),
      },
    },
  });
  await joinUnderlay(hub, hubRecord.address);

  for (const dir of [layout.logDir, layout.dbDir, layout.etcDir, layout.ovsRunDir]) {
    await mkdir(dir, { recursive: true });
  }
  // Read by configureChassis, so the endpoint is in the chassis' configuration from its start.
  await writeUnderlay(layout, { address });
  const previous = await readState(layout);
  if (previous && previous.options.chassis !== opts.name) {
    throw new Error(
      `${layout.runDir} holds chassis ${previous.options.chassis}: give ${opts.name} another run folder, or stop that one with downChassis`,
    );
  }
  const options: OvnOptions = { dataPlane: true, chassis: opts.name };
  const state: OvnState = {
    ports: main.ports,
    options,
    processes: (previous?.processes ?? []).filter((p) => isOurs(p)),
  };
  await writeState(layout, state);
  const ctx: ProbeContext = { layout, ports: state.ports, options, clock };
  const startedNow: RecordedProcess[] = [];
  try {
    for (const name of dataPlane) {
      const began = clock.now();
      const running = state.processes.find((p) => p.name === name);
      if (running && (await isReady(name, running, ctx))) {
        if (name === 'ovsdb-vswitch') await configureChassis(layout, options);
        continue;
      }
      if (running) await stopProcess(running);
      startedNow.push(await launch(layout, state, name, clock));
      log(`${opts.name}: ${name} ready in ${((clock.now() - began) / 1000).toFixed(2)} s`);
    }
    const vswitchd = vswitchdOf(state);
    const member: UnderlayEnd = { layout, netns: `/proc/${String(vswitchd.pid)}/ns/net` };
    await joinUnderlay(member, address);
    const link = await linkToHub(hub, member, vswitchd.pid, opts.name);
    log(`${opts.name}: underlay ${address} ${link === 'kept' ? 'kept' : 'linked to the hub'}`);
    for (const net of providerNetworks) {
      await linkProviderNetwork(hub, member, vswitchd.pid, opts.name, net);
    }
    await seedNeighbours({ ...hub, address: hubRecord.address }, { ...member, address });
    await waitUnderlayRoutes([ovn, layout], clock);
  } catch (err) {
    await rollBack(layout, state, startedNow);
    throw err;
  }
  if (startedNow.some((p) => p.name === 'ovs-vswitchd')) {
    const { replugged, failed } = await replugGuests(layout);
    for (const g of replugged) log(`plugged the guest of ${g.nic} in again`);
    for (const f of failed) log(`could not plug a guest in again: ${f}`);
  }
  const vswitchd = vswitchdOf(state);
  return {
    name: opts.name,
    runDir: layout.runDir,
    layout,
    address,
    netns: `/proc/${String(vswitchd.pid)}/ns/net`,
    processes: state.processes,
    started: startedNow.length > 0,
  };
}

function vswitchdOf(state: OvnState): RecordedProcess {
  const proc = state.processes.find((p) => p.name === 'ovs-vswitchd');
  if (!proc) throw new Error('ovs-vswitchd of the chassis is not recorded');
  return proc;
}
