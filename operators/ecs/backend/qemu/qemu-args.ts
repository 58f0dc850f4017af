// The QEMU command line of a VM (pure). Devices, block nodes and objects are written as JSON
// (see devices.ts); the few options that only take QEMU's key=value syntax get their values
// through `optValue`, which doubles commas as QEMU's option parser reads them.
import { diskPieces, nicPieces, rootPort, rootPortId, type Json } from './devices.ts';
import { memoryRoom } from './memory.ts';
import type { RunPaths } from './run-dir.ts';
import {
  checkDefinition,
  coldPlugged,
  defaultHotplugPorts,
  type VmDefinition,
} from './vm-definition.ts';

/** The virtio-serial port the QEMU guest agent listens on inside the guest. */
export const guestAgentPort = 'org.qemu.guest_agent.0';

/** VNC displays QEMU may take, from 5900: the first free one wins (query-vnc says which). */
export const vncDisplays = { from: 0, to: 99 };

/**
 * A value inside QEMU's `key=value,…` syntax: a comma ends the value unless doubled. Always
 * written after an explicit `key=`, so an `=` in the value is just a character.
 */
export function optValue(value: string): string {
  return value.replaceAll(',', ',,');
}

const json = (o: Json) => JSON.stringify(o);

function socketChardev(id: string, socketPath: string, extra = ''): string {
  return `socket,id=${id},path=${optValue(socketPath)},server=on,wait=off${extra}`;
}

/**
 * `-m`: the memory the VM boots with, and room to plug more. maxmem is address space, not host
 * memory; it takes bytes unless given a suffix (`-m` alone takes MiB), hence the `M`s.
 */
export function memoryOption(def: VmDefinition): string {
  const room = memoryRoom(def.memoryMiB, def.maxMemoryMiB);
  return room === undefined
    ? String(def.memoryMiB)
    : `${String(def.memoryMiB)}M,slots=${String(room.slots)},maxmem=${String(room.maxMemoryMiB)}M`;
}

export function qemuArgs(def: VmDefinition, paths: RunPaths): string[] {
  checkDefinition(def);
  const args: string[] = [
    '-name',
    `guest=${optValue(def.name)},debug-threads=on`,
    '-uuid',
    def.uuid,
    // Nothing from the host's QEMU config files, and no device the definition does not name.
    '-no-user-config',
    '-nodefaults',
    '-machine',
    'q35',
    ...(def.accel === 'kvm'
      ? ['-accel', 'kvm', '-cpu', 'host']
      : // A 128 MiB translation cache instead of the default quarter of guest RAM (1 GiB at
        // most): ~400 MB less per VM, no slower for a guest that mostly waits.
        ['-accel', 'tcg,tb-size=128']),
    '-smp',
    // One vCPU per socket: each one the guest may gain later is a socket QEMU can plug.
    def.maxVcpus !== undefined && def.maxVcpus > def.vcpus
      ? `cpus=${String(def.vcpus)},maxcpus=${String(def.maxVcpus)},sockets=${String(def.maxVcpus)},cores=1,threads=1`
      : String(def.vcpus),
    '-m',
    memoryOption(def),
    // Started paused: the runner sets the VNC password before the guest runs a single
    // instruction, then continues it.
    '-S',
    // A guest that powers off leaves QEMU in the `shutdown` state rather than gone, so its
    // clean power-off stays visible to an agent that was away when it happened.
    '-no-shutdown',
    // Forks once initialised (QMP listening, pid file written): see runner.ts.
    '-daemonize',
    '-pidfile',
    paths.pidFile,
    '-msg',
    'timestamp=on',
    '-rtc',
    'base=utc',
    '-chardev',
    socketChardev('qmp', paths.qmp),
    '-mon',
    'chardev=qmp,mode=control',
    '-chardev',
    socketChardev('console', paths.console, `,logfile=${optValue(paths.consoleLog)},logappend=on`),
    '-device',
    json({ driver: 'isa-serial', id: 'serial0', chardev: 'console' }),
    '-device',
    json({ driver: 'VGA', id: 'video0', bus: 'pcie.0', addr: '0x1' }),
    // The password itself is set over QMP after start (`set_password`), never here.
    '-vnc',
    `127.0.0.1:${String(vncDisplays.from)},to=${String(vncDisplays.to)},password=on`,
    '-chardev',
    socketChardev('qga', paths.qga),
    '-device',
    json({ driver: 'virtio-serial-pci', id: 'vser0', bus: 'pcie.0', addr: '0x2' }),
    '-device',
    json({
      driver: 'virtserialport',
      id: 'qga0',
      bus: 'vser0.0',
      chardev: 'qga',
      name: guestAgentPort,
    }),
  ];

  // Devices sit behind PCIe root ports (q35 cannot hot-plug on pcie.0), one port each, then
  // spare ports for hot-plug.
  const cold = coldPlugged(def);
  const ports = cold.length + (def.hotplugPorts ?? defaultHotplugPorts);
  for (let i = 0; i < ports; i++) args.push('-device', json(rootPort(i)));
  cold.forEach((c, i) => {
    const bus = rootPortId(i);
    if (c.kind === 'nic') {
      const p = nicPieces(c.nic);
      args.push('-netdev', json(p.netdev), '-device', json({ ...p.device, bus }));
    } else {
      const p = diskPieces(c.disk);
      for (const o of p.objects) args.push('-object', json(o));
      for (const n of p.nodes) args.push('-blockdev', json(n));
      args.push('-device', json({ ...p.device, bus }));
    }
  });

  if (def.kernelBoot) {
    args.push('-kernel', def.kernelBoot.kernel);
    if (def.kernelBoot.initrd !== undefined) args.push('-initrd', def.kernelBoot.initrd);
    if (def.kernelBoot.append !== undefined) args.push('-append', def.kernelBoot.append);
  }
  return args;
}
