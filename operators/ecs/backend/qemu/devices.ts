// The QEMU objects, block nodes and devices of one disk or NIC, as JSON: the same objects go on
// the command line (-object/-blockdev/-netdev/-device accept JSON in QEMU 7.2) and into the QMP
// commands that hot-plug them. JSON has no separator a value could smuggle another option
// through, so a path or name with ',' or '=' stays one value.
import {
  parseMonitor,
  type DiskDefinition,
  type DiskThrottle,
  type NicDefinition,
} from './vm-definition.ts';

export type Json = Record<string, unknown>;

/** Names of one disk's pieces; all derived from its id, so a re-adopted VM finds them. */
export function diskNames(id: string) {
  return {
    device: `disk-${id}`,
    /** The protocol node: file or rbd. */
    protocol: `disk-${id}-file`,
    /** The format node: qcow2 or raw. */
    format: `disk-${id}-fmt`,
    /** The top node the device reads through. */
    throttle: `disk-${id}-thr`,
    throttleGroup: `tg-${id}`,
    secret: `sec-${id}`,
  };
}

export function nicNames(id: string) {
  return { device: `nic-${id}`, netdev: `net-${id}` };
}

/** QEMU's throttle-group `limits`; unlimited keys are left out. */
export function throttleLimits(t: DiskThrottle | undefined): Json {
  const limits: Json = {};
  const map: [keyof DiskThrottle, string][] = [
    ['iopsTotal', 'iops-total'],
    ['iopsRead', 'iops-read'],
    ['iopsWrite', 'iops-write'],
    ['bpsTotal', 'bps-total'],
    ['bpsRead', 'bps-read'],
    ['bpsWrite', 'bps-write'],
  ];
  for (const [ours, qemus] of map) {
    const v = t?.[ours];
    if (v !== undefined && v > 0) limits[qemus] = v;
  }
  return limits;
}

export interface DiskPieces {
  /** `-object` / `object-add`, in creation order. */
  objects: Json[];
  /** `-blockdev` / `blockdev-add`, bottom first. */
  nodes: Json[];
  /** `-device` / `device_add` without its bus. */
  device: Json;
}

/**
 * Every disk reads through a throttle node of a group of its own, limited or not, so its limits
 * can change later (`qom-set` on the group) without replugging it.
 */
export function diskPieces(d: DiskDefinition): DiskPieces {
  const n = diskNames(d.id);
  const readOnly = d.readOnly === true;
  const objects: Json[] = [];
  const s = d.source;
  let protocol: Json;
  if (s.kind === 'file') {
    protocol = { 'node-name': n.protocol, driver: 'file', filename: s.path, 'read-only': readOnly };
  } else {
    // The key reaches QEMU as a secret object read from a file: it is never an argument.
    if (s.keyFile !== undefined) {
      objects.push({ 'qom-type': 'secret', id: n.secret, file: s.keyFile, format: 'base64' });
    }
    protocol = {
      'node-name': n.protocol,
      driver: 'rbd',
      pool: s.pool,
      image: s.image,
      ...(s.monitors.length === 0
        ? {}
        : {
            server: s.monitors.map((m) => {
              const { host, port } = parseMonitor(m);
              return { host, port: String(port) };
            }),
          }),
      user: s.user,
      ...(s.keyFile === undefined ? {} : { 'key-secret': n.secret }),
      'auth-client-required': ['cephx'],
      ...(s.conf === undefined ? {} : { conf: s.conf }),
      'read-only': readOnly,
    };
  }
  objects.push({
    'qom-type': 'throttle-group',
    id: n.throttleGroup,
    limits: throttleLimits(d.throttle),
  });
  const format = s.kind === 'file' ? s.format : 'raw';
  return {
    objects,
    nodes: [
      protocol,
      { 'node-name': n.format, driver: format, file: n.protocol, 'read-only': readOnly },
      {
        'node-name': n.throttle,
        driver: 'throttle',
        'throttle-group': n.throttleGroup,
        file: n.format,
        'read-only': readOnly,
      },
    ],
    device: {
      driver: 'virtio-blk-pci',
      id: n.device,
      drive: n.throttle,
      ...(d.serial === undefined ? {} : { serial: d.serial }),
      ...(d.bootIndex === undefined ? {} : { bootindex: d.bootIndex }),
    },
  };
}

export interface NicPieces {
  netdev: Json;
  device: Json;
}

export function nicPieces(nic: NicDefinition): NicPieces {
  const n = nicNames(nic.id);
  return {
    // script=no: the agent makes and plugs the tap; QEMU only opens it. vnet_hdr off: without
    // the virtio-net header the guest is offered no checksum offload and sends every packet
    // with its checksums filled in. Open vSwitch's userspace datapath does not complete a
    // checksum left partial, and its conntrack counts such a TCP packet invalid: ping worked,
    // TCP to the guest did not.
    netdev: {
      type: 'tap',
      id: n.netdev,
      ifname: nic.tap,
      script: 'no',
      downscript: 'no',
      vnet_hdr: false,
    },
    device: { driver: 'virtio-net-pci', id: n.device, netdev: n.netdev, mac: nic.mac },
  };
}

/**
 * PCIe root port `i`, in slot 3 + i of pcie.0: fixed addresses keep the guest's device names
 * across restarts. One port per slot: QEMU 7.2's ACPI hot-plug (q35's default) does not reach
 * devices behind a port that is not function 0 of its slot.
 */
export function rootPort(i: number): Json {
  return {
    driver: 'pcie-root-port',
    id: rootPortId(i),
    bus: 'pcie.0',
    chassis: i + 1,
    addr: `0x${(firstPortSlot + i).toString(16)}`,
  };
}

/** Slots 1 and 2 hold the display and virtio-serial; 0x1f is the chipset's. */
const firstPortSlot = 3;

export function rootPortId(i: number): string {
  return `port-${String(i)}`;
}
