// What a VM is made of, as the agent hands it to the runner: written as vm.json in the run
// directory and turned into QEMU's command line. Every value that reaches QEMU is checked here
// first, so a bad one is refused with a message instead of being read by QEMU as something else.
import net from 'node:net';
import path from 'node:path';
import { VmError } from './errors.ts';

export type Accelerator = 'kvm' | 'tcg';

/** Limits of one disk, from its volume type; absent or 0 means unlimited. */
export interface DiskThrottle {
  iopsTotal?: number;
  iopsRead?: number;
  iopsWrite?: number;
  /** Bytes per second. */
  bpsTotal?: number;
  bpsRead?: number;
  bpsWrite?: number;
}

export type DiskSource =
  /** A file on this host (a file pool's volume). */
  | { kind: 'file'; path: string; format: 'qcow2' | 'raw' }
  /**
   * An RBD image, reached either through `monitors` and `keyFile` (the base64 cephx key, as in a
   * keyring's `key =` line, read by QEMU as a secret object), or through a ceph.conf naming the
   * monitors and a keyring (as an EVS RBD pool writes one), or both. The key is never an
   * argument of QEMU's.
   */
  | {
      kind: 'rbd';
      pool: string;
      image: string;
      /** `host`, `host:port`, `[v6addr]:port`, `[v2:ip:port,v1:ip:port]`; may be empty with `conf`. */
      monitors: string[];
      /** The cephx id without `client.`. */
      user: string;
      keyFile?: string;
      conf?: string;
    };

export interface DiskDefinition {
  /**
   * Short and stable (the volume's slot, say `vol0`): names QEMU's nodes and device, so it
   * must stay the same for as long as the disk is attached.
   */
  id: string;
  source: DiskSource;
  /** What the guest sees as the disk's serial (/dev/disk/by-id/virtio-<serial>); ≤ 20 chars. */
  serial?: string;
  /** Boot order; lower first. */
  bootIndex?: number;
  readOnly?: boolean;
  throttle?: DiskThrottle;
}

export interface NicDefinition {
  /** Short and stable, as for disks. */
  id: string;
  /** The host's tap device (made and plugged into br-int by the agent, or made by QEMU). */
  tap: string;
  /** Lowercase, unicast: `52:54:00:12:34:56`. */
  mac: string;
}

export interface KernelBoot {
  kernel: string;
  initrd?: string;
  append?: string;
}

export interface VmDefinition {
  /** The Instance's UID: QEMU's `-uuid`, the run directory's name, how re-adoption finds it. */
  uuid: string;
  /** `<namespace>_<name>`: QEMU's `-name`, shown by ps and in QEMU's messages. */
  name: string;
  vcpus: number;
  /** vCPUs the VM can grow to while it runs (CPU hot-plug); `vcpus` unless told. */
  maxVcpus?: number;
  memoryMiB: number;
  /**
   * Memory the VM can grow to while it runs (DIMM hot-plug, see memory.ts); none unless told,
   * or when not a whole memory block more than `memoryMiB`.
   */
  maxMemoryMiB?: number;
  accel: Accelerator;
  disks: DiskDefinition[];
  nics: NicDefinition[];
  /** The NoCloud seed (a FAT image labelled CIDATA), attached read-only after the disks. */
  seed?: { path: string };
  /** Spare PCIe ports for hot-plugged disks and NICs; 8 unless told. */
  hotplugPorts?: number;
  /** Direct kernel boot (tests and the probe guest): no firmware boot from a disk. */
  kernelBoot?: KernelBoot;
}

export const defaultHotplugPorts = 8;
/** 4 TiB: more than a host of ours has. */
export const maxMemoryMiB = 4 * 1024 * 1024;
/** PCIe root ports take one slot of pcie.0 each, from slot 3 (see devices.ts). */
export const maxPciePorts = 24;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Device ids: QEMU node names are at most 31 characters, and ours add a prefix and suffix. */
const idPattern = /^[a-z][a-z0-9-]{0,15}$/;
const macPattern = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
/** Linux interface names: at most 15 bytes, no slash, colon or whitespace. */
const tapPattern = /^[A-Za-z0-9_.-]{1,15}$/;
/** Ceph pool, image and user names as `rbd` and cephx accept them. */
const cephName = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const hostPattern = /^[A-Za-z0-9.-]{1,253}$/;
// eslint-disable-next-line no-control-regex
const controlChars = /[\x00-\x1f\x7f]/;

function bad(message: string): never {
  throw new VmError('InvalidDefinition', message);
}

function checkPath(what: string, p: string): void {
  if (typeof p !== 'string' || !path.isAbsolute(p)) bad(`${what} must be an absolute path`);
  if (controlChars.test(p)) bad(`${what} holds control characters`);
}

function checkCount(what: string, n: number, min: number, max: number): void {
  if (!Number.isInteger(n) || n < min || n > max) {
    bad(`${what} must be a whole number from ${String(min)} to ${String(max)}, not ${String(n)}`);
  }
}

export interface Monitor {
  host: string;
  port: number;
}

/**
 * A Ceph monitor address: `host`, `host:port`, `[IPv6]:port`, or ceph.conf's address vector
 * `[v2:ip:port,v1:ip:port]` (also `v1:ip:port`). QEMU hands librados plain addresses, which it
 * reads as msgr v1 unless the port is 3300, so a vector gives its v1 address when it has one.
 * 6789 (msgr v1) when no port is given.
 */
export function parseMonitor(text: string): Monitor {
  const vector = /^\[((?:v[12]:[^,\]]+)(?:,v[12]:[^,\]]+)*)\]$/.exec(text);
  if (vector?.[1] !== undefined) {
    const entries = vector[1].split(',');
    const chosen = entries.find((e) => e.startsWith('v1:')) ?? entries[0] ?? '';
    return plainMonitor(chosen.slice(3).replace(/\/\d+$/, ''), text);
  }
  return plainMonitor(/^v[12]:/.test(text) ? text.slice(3).replace(/\/\d+$/, '') : text, text);
}

function plainMonitor(address: string, original: string): Monitor {
  const v6 = /^\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?$/.exec(address);
  const hostPort = /^([^:[\]]+)(?::(\d{1,5}))?$/.exec(address);
  const m = v6 ?? hostPort;
  const host = m?.[1];
  const port = Number(m?.[2] ?? 6789);
  if (
    host === undefined ||
    (v6 ? !net.isIPv6(host) : !hostPattern.test(host)) ||
    port < 1 ||
    port > 65535
  ) {
    bad(
      `Ceph monitor ${JSON.stringify(original)} is not host, host:port, [IPv6]:port or [v2:ip:port,v1:ip:port]`,
    );
  }
  return { host, port };
}

const throttleKeys = [
  'iopsTotal',
  'iopsRead',
  'iopsWrite',
  'bpsTotal',
  'bpsRead',
  'bpsWrite',
] as const;

export function checkThrottle(id: string, t: DiskThrottle): void {
  for (const key of throttleKeys) {
    const v = t[key];
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) {
      bad(`disk ${id}: throttle ${key} must be a whole number ≥ 0`);
    }
  }
  // QEMU refuses a total together with a per-direction limit of the same kind.
  for (const kind of ['iops', 'bps'] as const) {
    if (t[`${kind}Total`] && (t[`${kind}Read`] || t[`${kind}Write`])) {
      bad(`disk ${id}: give ${kind}Total or ${kind}Read/${kind}Write, not both`);
    }
  }
}

export function checkDisk(d: DiskDefinition): void {
  if (!idPattern.test(d.id)) {
    bad(
      `disk id ${JSON.stringify(d.id)} must be 1-16 lowercase letters, digits or '-', starting with a letter`,
    );
  }
  // vm.json is read back from disk: check what the types promise too.
  const s = d.source;
  const kind: string = s.kind;
  if (s.kind === 'file') {
    checkPath(`disk ${d.id}'s file`, s.path);
    const format: string = s.format;
    if (format !== 'qcow2' && format !== 'raw') bad(`disk ${d.id}: format must be qcow2 or raw`);
  } else if (kind === 'rbd') {
    for (const [what, v] of [
      ['pool', s.pool],
      ['image', s.image],
      ['user', s.user],
    ] as const) {
      if (!cephName.test(v))
        bad(`disk ${d.id}: RBD ${what} ${JSON.stringify(v)} is not a Ceph name`);
    }
    if (s.monitors.length === 0 && s.conf === undefined) {
      bad(`disk ${d.id}: RBD needs monitors or a ceph.conf naming them`);
    }
    if (s.keyFile === undefined && s.conf === undefined) {
      bad(`disk ${d.id}: RBD needs a key file or a ceph.conf naming a keyring`);
    }
    s.monitors.forEach(parseMonitor);
    if (s.keyFile !== undefined) checkPath(`disk ${d.id}'s key file`, s.keyFile);
    if (s.conf !== undefined) checkPath(`disk ${d.id}'s ceph.conf`, s.conf);
  } else {
    bad(`disk ${d.id}: source kind must be file or rbd`);
  }
  // virtio-blk carries at most 20 bytes of serial.
  if (d.serial !== undefined && !/^[A-Za-z0-9_.-]{1,20}$/.test(d.serial)) {
    bad(`disk ${d.id}: serial must be 1-20 letters, digits, '_', '.' or '-'`);
  }
  if (d.bootIndex !== undefined) checkCount(`disk ${d.id}'s bootIndex`, d.bootIndex, 0, 1000);
  if (d.throttle) checkThrottle(d.id, d.throttle);
}

export function checkNic(n: NicDefinition): void {
  if (!idPattern.test(n.id)) {
    bad(
      `NIC id ${JSON.stringify(n.id)} must be 1-16 lowercase letters, digits or '-', starting with a letter`,
    );
  }
  if (!tapPattern.test(n.tap)) {
    bad(`NIC ${n.id}: tap ${JSON.stringify(n.tap)} must be 1-15 letters, digits, '_', '.' or '-'`);
  }
  if (!macPattern.test(n.mac))
    bad(`NIC ${n.id}: MAC ${JSON.stringify(n.mac)} must look like 52:54:00:12:34:56`);
  // The least significant bit of the first octet marks a multicast address.
  if (parseInt(n.mac.slice(0, 2), 16) & 1) bad(`NIC ${n.id}: MAC ${n.mac} is multicast`);
}

/** Throws `InvalidDefinition` naming the first problem. */
export function checkDefinition(def: VmDefinition): void {
  if (!uuidPattern.test(def.uuid)) bad(`uuid ${JSON.stringify(def.uuid)} is not a lowercase UUID`);
  // <namespace>_<name>: a DNS label, '_' and a DNS subdomain.
  if (!/^[A-Za-z0-9_.-]{1,320}$/.test(def.name)) {
    bad(`name ${JSON.stringify(def.name)} must be 1-320 letters, digits, '_', '.' or '-'`);
  }
  checkCount('vcpus', def.vcpus, 1, 255);
  if (def.maxVcpus !== undefined) checkCount('maxVcpus', def.maxVcpus, def.vcpus, 255);
  checkCount('memoryMiB', def.memoryMiB, 16, maxMemoryMiB);
  if (def.maxMemoryMiB !== undefined) {
    checkCount('maxMemoryMiB', def.maxMemoryMiB, def.memoryMiB, maxMemoryMiB);
  }
  const accel: string = def.accel;
  if (accel !== 'kvm' && accel !== 'tcg') bad('accel must be kvm or tcg');
  const ids = new Set<string>();
  const boot = new Set<number>();
  for (const d of def.disks) {
    checkDisk(d);
    if (ids.has(d.id)) bad(`id ${d.id} is used twice`);
    ids.add(d.id);
    if (d.bootIndex !== undefined) {
      if (boot.has(d.bootIndex)) bad(`bootIndex ${String(d.bootIndex)} is used twice`);
      boot.add(d.bootIndex);
    }
  }
  const macs = new Set<string>();
  for (const n of def.nics) {
    checkNic(n);
    if (ids.has(n.id)) bad(`id ${n.id} is used twice`);
    ids.add(n.id);
    if (macs.has(n.mac)) bad(`MAC ${n.mac} is used twice`);
    macs.add(n.mac);
  }
  if (def.seed) {
    checkPath('the seed', def.seed.path);
    if (ids.has(seedDiskId)) bad(`id ${seedDiskId} is the seed's: give the disk another`);
  }
  if (def.hotplugPorts !== undefined) checkCount('hotplugPorts', def.hotplugPorts, 0, maxPciePorts);
  const ports = coldPlugged(def).length + (def.hotplugPorts ?? defaultHotplugPorts);
  if (ports > maxPciePorts) {
    bad(
      `${String(ports)} PCIe ports asked (disks, NICs, seed and hot-plug spares); at most ${String(maxPciePorts)}`,
    );
  }
  if (def.kernelBoot) {
    checkPath('the kernel', def.kernelBoot.kernel);
    if (def.kernelBoot.initrd !== undefined) checkPath('the initrd', def.kernelBoot.initrd);
    if (def.kernelBoot.append !== undefined && controlChars.test(def.kernelBoot.append)) {
      bad('the kernel command line holds control characters');
    }
  }
}

/** The seed as a disk: raw, read-only, after the others. */
export const seedDiskId = 'seed';

export function seedDisk(def: VmDefinition): DiskDefinition | undefined {
  return def.seed === undefined
    ? undefined
    : {
        id: seedDiskId,
        source: { kind: 'file', path: def.seed.path, format: 'raw' },
        serial: 'cidata',
        readOnly: true,
      };
}

/**
 * Devices present from the start, in the order they take PCIe ports: NICs first (a guest names
 * its NICs by PCI address, and volumes change more often), then disks, then the seed.
 */
export function coldPlugged(
  def: VmDefinition,
): ({ kind: 'nic'; nic: NicDefinition } | { kind: 'disk'; disk: DiskDefinition })[] {
  const seed = seedDisk(def);
  return [
    ...def.nics.map((nic) => ({ kind: 'nic' as const, nic })),
    ...def.disks.map((disk) => ({ kind: 'disk' as const, disk })),
    ...(seed ? [{ kind: 'disk' as const, disk: seed }] : []),
  ];
}
