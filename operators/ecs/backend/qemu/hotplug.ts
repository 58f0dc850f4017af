// Hot-plugging disks and NICs through QMP. Attaching builds bottom-up (objects, block nodes or
// netdev, then the device on a free PCIe root port) and takes back what it built when a step
// fails. Detaching asks the guest to release the device (device_del) and waits for QEMU's
// DEVICE_DELETED before removing what the device read through: the guest may still be using
// it until then. Both are idempotent, and find their pieces by name, so they work the same on a
// VM this process started and on one it re-adopted.
import {
  diskNames,
  diskPieces,
  nicNames,
  nicPieces,
  throttleLimits,
  type Json,
} from './devices.ts';
import { VmError } from './errors.ts';
import { isRecord } from './json-lines.ts';
import { QmpCommandError, type QmpClient } from './qmp-client.ts';
import {
  checkDisk,
  checkNic,
  checkThrottle,
  type DiskDefinition,
  type DiskThrottle,
  type NicDefinition,
} from './vm-definition.ts';

export interface DetachOptions {
  /** How long the guest has to release the device; 30 s unless told. */
  timeoutMs?: number;
  /** How often an unanswered unplug request is repeated; 3 s unless told. */
  repeatMs?: number;
}

/** Ids of the devices QEMU has under /machine/peripheral (everything with an id). */
export async function peripheralIds(qmp: QmpClient): Promise<string[]> {
  const list = await qmp.execute('qom-list', { path: '/machine/peripheral' });
  return Array.isArray(list)
    ? list
        .filter(isRecord)
        .filter((p) => typeof p.type === 'string' && p.type.startsWith('child<'))
        .map((p) => String(p.name))
    : [];
}

/** The root ports (`port-N`) with nothing plugged in, lowest first. */
export async function freeRootPorts(qmp: QmpClient): Promise<string[]> {
  const buses = await qmp.execute('query-pci');
  const free: { id: string; n: number }[] = [];
  for (const bus of Array.isArray(buses) ? buses.filter(isRecord) : []) {
    for (const dev of Array.isArray(bus.devices) ? bus.devices.filter(isRecord) : []) {
      const id = typeof dev.qdev_id === 'string' ? dev.qdev_id : '';
      const m = /^port-(\d+)$/.exec(id);
      if (!m) continue;
      const bridge = isRecord(dev.pci_bridge) ? dev.pci_bridge : {};
      const below = Array.isArray(bridge.devices) ? bridge.devices : [];
      if (below.length === 0) free.push({ id, n: Number(m[1]) });
    }
  }
  return free.sort((a, b) => a.n - b.n).map((p) => p.id);
}

/** Runs `fn`, treating "that does not exist" as done (a removal finding nothing). */
export async function ignoringMissing(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof QmpCommandError && isMissing(err)) return;
    throw err;
  }
}

function isMissing(err: QmpCommandError): boolean {
  return (
    err.errorClass === 'DeviceNotFound' ||
    /not found|does not exist|Cannot find|Failed to find|No such/i.test(err.desc)
  );
}

async function takeFreePort(qmp: QmpClient, what: string): Promise<string> {
  const port = (await freeRootPorts(qmp))[0];
  if (port === undefined) {
    throw new VmError(
      'DeviceConflict',
      `no free PCIe port to hot-plug ${what}: every spare port is taken (restart the VM to get more)`,
    );
  }
  return port;
}

/** Runs the steps in order; when one fails, undoes the ones done (latest first) and rethrows. */
export async function build(
  steps: { run: () => Promise<unknown>; undo: () => Promise<unknown> }[],
) {
  const done: (() => Promise<unknown>)[] = [];
  try {
    for (const s of steps) {
      await s.run();
      done.unshift(s.undo);
    }
  } catch (err) {
    for (const undo of done) await ignoringMissing(undo).catch(() => undefined);
    throw err;
  }
}

export async function attachDisk(qmp: QmpClient, disk: DiskDefinition): Promise<void> {
  checkDisk(disk);
  const pieces = diskPieces(disk);
  const id = String(pieces.device.id);
  if ((await peripheralIds(qmp)).includes(id)) {
    throw new VmError('DeviceConflict', `a disk with id ${disk.id} is already attached`);
  }
  const bus = await takeFreePort(qmp, `disk ${disk.id}`);
  await build([
    ...pieces.objects.map((o) => ({
      run: () => qmp.execute('object-add', o),
      undo: () => qmp.execute('object-del', { id: o.id }),
    })),
    ...pieces.nodes.map((n) => ({
      run: () => qmp.execute('blockdev-add', n),
      undo: () => qmp.execute('blockdev-del', { 'node-name': n['node-name'] }),
    })),
    {
      run: () => qmp.execute('device_add', { ...pieces.device, bus }),
      undo: () => qmp.execute('device_del', { id }),
    },
  ]);
}

/** Asks the guest to release device `id` and waits until QEMU says it is gone. */
async function unplug(
  qmp: QmpClient,
  id: string,
  what: string,
  opts: DetachOptions,
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  if (!(await peripheralIds(qmp)).includes(id)) return;
  const deleted = qmp.waitForEvent('DEVICE_DELETED', {
    match: (e) => e.data.device === id,
    timeoutMs,
  });
  // A guest still handling the device's arrival can miss the request (seen with ACPI hot-plug
  // on q35: the eject waits for the next hot-plug event), so it is repeated until answered.
  const ask = () => ignoringMissing(() => qmp.execute('device_del', { id })).catch(() => undefined);
  await ignoringMissing(() => qmp.execute('device_del', { id }));
  const again = setInterval(() => void ask(), opts.repeatMs ?? 3000);
  try {
    await deleted;
  } catch (err) {
    // The event may have been missed while the device is gone all the same.
    if (!(await peripheralIds(qmp)).includes(id)) return;
    throw new VmError(
      'DeviceBusy',
      `the guest did not release ${what} within ${(timeoutMs / 1000).toFixed(0)} s (unplugging needs a running guest OS that handles PCIe hot-plug); it stays attached`,
      { cause: err },
    );
  } finally {
    clearInterval(again);
  }
}

export async function detachDisk(qmp: QmpClient, diskId: string, opts: DetachOptions = {}) {
  const n = diskNames(diskId);
  await unplug(qmp, n.device, `disk ${diskId}`, opts);
  for (const node of [n.throttle, n.format, n.protocol]) {
    await ignoringMissing(() => qmp.execute('blockdev-del', { 'node-name': node }));
  }
  for (const object of [n.throttleGroup, n.secret]) {
    await ignoringMissing(() => qmp.execute('object-del', { id: object }));
  }
}

export async function attachNic(qmp: QmpClient, nic: NicDefinition): Promise<void> {
  checkNic(nic);
  const pieces = nicPieces(nic);
  const id = String(pieces.device.id);
  if ((await peripheralIds(qmp)).includes(id)) {
    throw new VmError('DeviceConflict', `a NIC with id ${nic.id} is already attached`);
  }
  const bus = await takeFreePort(qmp, `NIC ${nic.id}`);
  await build([
    {
      run: () => qmp.execute('netdev_add', pieces.netdev),
      undo: () => qmp.execute('netdev_del', { id: pieces.netdev.id }),
    },
    {
      run: () => qmp.execute('device_add', { ...pieces.device, bus }),
      undo: () => qmp.execute('device_del', { id }),
    },
  ]);
}

export async function detachNic(qmp: QmpClient, nicId: string, opts: DetachOptions = {}) {
  const n = nicNames(nicId);
  await unplug(qmp, n.device, `NIC ${nicId}`, opts);
  await ignoringMissing(() => qmp.execute('netdev_del', { id: n.netdev }));
}

export interface AttachedDisk {
  id: string;
  /** The size the guest sees. */
  sizeBytes: number;
  readOnly: boolean;
}

/** The disks QEMU has attached now (started with or hot-plugged), from query-block. */
export async function attachedDisks(qmp: QmpClient): Promise<AttachedDisk[]> {
  const blocks = await qmp.execute('query-block');
  const disks: AttachedDisk[] = [];
  for (const b of Array.isArray(blocks) ? blocks.filter(isRecord) : []) {
    const m = /^\/machine\/peripheral\/disk-([a-z][a-z0-9-]*)\//.exec(
      typeof b.qdev === 'string' ? b.qdev : '',
    );
    const inserted = isRecord(b.inserted) ? b.inserted : undefined;
    if (!m?.[1] || !inserted) continue;
    const image = isRecord(inserted.image) ? inserted.image : {};
    disks.push({
      id: m[1],
      sizeBytes: Number(image['virtual-size'] ?? 0),
      readOnly: inserted.ro === true,
    });
  }
  return disks;
}

/** Grows a disk while the guest runs; the guest sees the new size at once (virtio config change). */
export async function resizeDisk(qmp: QmpClient, diskId: string, sizeBytes: number) {
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0) {
    throw new VmError(
      'InvalidDefinition',
      `disk ${diskId}: size ${String(sizeBytes)} is not a byte count`,
    );
  }
  const current = (await attachedDisks(qmp)).find((d) => d.id === diskId);
  if (!current) throw new VmError('DeviceConflict', `no disk with id ${diskId} is attached`);
  if (sizeBytes < current.sizeBytes) {
    throw new VmError(
      'InvalidDefinition',
      `disk ${diskId}: ${String(sizeBytes)} bytes is smaller than its ${String(current.sizeBytes)}: disks only grow`,
    );
  }
  if (sizeBytes === current.sizeBytes) return;
  await qmp.execute('block_resize', { 'node-name': diskNames(diskId).throttle, size: sizeBytes });
}

/** The disk's throttle group's limits as QEMU holds them now. */
export async function diskThrottleLimits(qmp: QmpClient, diskId: string): Promise<Json> {
  const limits = await qmp.execute('qom-get', {
    path: `/objects/${diskNames(diskId).throttleGroup}`,
    property: 'limits',
  });
  return isRecord(limits) ? limits : {};
}

/**
 * Changes a disk's limits while it runs (a new volume type). Every limit is sent, 0 for none:
 * QEMU keeps any limit a `qom-set` leaves out.
 */
export async function setDiskThrottle(qmp: QmpClient, diskId: string, throttle: DiskThrottle) {
  checkThrottle(diskId, throttle);
  const limits: Json = {};
  for (const key of [
    'iops-total',
    'iops-read',
    'iops-write',
    'bps-total',
    'bps-read',
    'bps-write',
  ]) {
    limits[key] = 0;
  }
  await qmp.execute('qom-set', {
    path: `/objects/${diskNames(diskId).throttleGroup}`,
    property: 'limits',
    value: { ...limits, ...throttleLimits(throttle) },
  });
}
