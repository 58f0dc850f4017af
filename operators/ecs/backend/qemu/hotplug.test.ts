import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type FakeCommand, type FakeReply, FakeQmpServer } from './fake-qmp-server.ts';
import {
  attachDisk,
  attachedDisks,
  attachNic,
  detachDisk,
  freeRootPorts,
  resizeDisk,
  setDiskThrottle,
} from './hotplug.ts';
import { QmpClient } from './qmp-client.ts';

let server: FakeQmpServer;
let qmp: QmpClient;
/** Devices under /machine/peripheral, as QEMU would list them. */
let peripherals: string[];
/** Root port id → the device plugged into it. */
let ports: Record<string, string | undefined>;

const ok = { return: {} };

/** A QEMU that knows peripherals and root ports; `extra` answers first when it returns. */
function qemu(extra: (cmd: FakeCommand) => FakeReply | undefined = () => undefined) {
  return (cmd: FakeCommand, s: FakeQmpServer): FakeReply | undefined => {
    const answer = extra(cmd);
    if (answer) return answer;
    const a = cmd.arguments ?? {};
    switch (cmd.execute) {
      case 'qom-list':
        return { return: peripherals.map((name) => ({ name, type: 'child<virtio-blk-pci>' })) };
      case 'query-pci':
        return {
          return: [
            {
              bus: 0,
              devices: Object.entries(ports).map(([id, below]) => ({
                qdev_id: id,
                pci_bridge: { devices: below ? [{ qdev_id: below }] : [] },
              })),
            },
          ],
        };
      case 'device_add':
        peripherals.push(String(a.id));
        ports[String(a.bus)] = String(a.id);
        return ok;
      case 'device_del':
        setTimeout(() => {
          peripherals = peripherals.filter((p) => p !== a.id);
          for (const [port, dev] of Object.entries(ports))
            if (dev === a.id) ports[port] = undefined;
          s.emit('DEVICE_DELETED', { device: a.id, path: `/machine/peripheral/${String(a.id)}` });
        }, 10);
        return ok;
      default:
        return ok;
    }
  };
}

const steps = () =>
  server.received
    .filter((c) => !['qmp_capabilities', 'qom-list', 'query-pci'].includes(c.execute))
    .map((c) => {
      const name = c.arguments?.['node-name'] ?? c.arguments?.id;
      return `${c.execute} ${typeof name === 'string' ? name : ''}`;
    });

const disk = {
  id: 'vol1',
  source: { kind: 'file' as const, path: '/pools/v1.qcow2', format: 'qcow2' as const },
  serial: 'v1',
};

beforeEach(async () => {
  server = await FakeQmpServer.start();
  peripherals = ['disk-vol0'];
  ports = { 'port-0': 'disk-vol0', 'port-2': undefined, 'port-1': undefined };
  server.handle = qemu();
  qmp = await QmpClient.connect(server.path);
});

afterEach(async () => {
  qmp.close();
  await server.stop();
});

describe('hot-plug', () => {
  it('finds the free root ports, lowest first', async () => {
    await expect(freeRootPorts(qmp)).resolves.toEqual(['port-1', 'port-2']);
  });

  it('attaches a disk bottom-up onto the first free port', async () => {
    await attachDisk(qmp, disk);
    expect(steps()).toEqual([
      'object-add tg-vol1',
      'blockdev-add disk-vol1-file',
      'blockdev-add disk-vol1-fmt',
      'blockdev-add disk-vol1-thr',
      'device_add disk-vol1',
    ]);
    expect(server.received.find((c) => c.execute === 'device_add')?.arguments).toEqual({
      driver: 'virtio-blk-pci',
      id: 'disk-vol1',
      drive: 'disk-vol1-thr',
      serial: 'v1',
      bus: 'port-1',
    });
  });

  it('takes back what it built when a step fails, and passes the failure on', async () => {
    server.handle = qemu((cmd) =>
      cmd.execute === 'blockdev-add' && cmd.arguments?.['node-name'] === 'disk-vol1-fmt'
        ? { error: { class: 'GenericError', desc: "Could not open '/pools/v1.qcow2'" } }
        : undefined,
    );
    await expect(attachDisk(qmp, disk)).rejects.toThrow(
      "QMP blockdev-add: Could not open '/pools/v1.qcow2'",
    );
    expect(steps()).toEqual([
      'object-add tg-vol1',
      'blockdev-add disk-vol1-file',
      'blockdev-add disk-vol1-fmt',
      'blockdev-del disk-vol1-file',
      'object-del tg-vol1',
    ]);
  });

  it('refuses an id already attached, and says so when no port is free', async () => {
    await expect(attachDisk(qmp, { ...disk, id: 'vol0' })).rejects.toMatchObject({
      reason: 'DeviceConflict',
      message: 'a disk with id vol0 is already attached',
    });
    ports = { 'port-0': 'disk-vol0' };
    await expect(
      attachNic(qmp, { id: 'eth1', tap: 'tap1', mac: '52:54:00:00:00:02' }),
    ).rejects.toThrow(/no free PCIe port to hot-plug NIC eth1/);
    expect(steps()).toEqual([]);
  });

  it('detaches only after DEVICE_DELETED, then frees nodes and objects, missing ones included', async () => {
    server.handle = qemu((cmd) =>
      cmd.execute === 'object-del' && cmd.arguments?.id === 'sec-vol0'
        ? { error: { class: 'GenericError', desc: "object 'sec-vol0' not found" } }
        : undefined,
    );
    await detachDisk(qmp, 'vol0');
    expect(steps()).toEqual([
      'device_del disk-vol0',
      'blockdev-del disk-vol0-thr',
      'blockdev-del disk-vol0-fmt',
      'blockdev-del disk-vol0-file',
      'object-del tg-vol0',
      'object-del sec-vol0',
    ]);
  });

  it('repeats an unplug request the guest missed', async () => {
    let asked = 0;
    server.handle = qemu((cmd) => {
      // The guest ignores the first request, as a guest busy with the device's arrival may.
      if (cmd.execute === 'device_del' && ++asked === 1) return ok;
      return undefined;
    });
    await detachDisk(qmp, 'vol0', { timeoutMs: 10_000, repeatMs: 50 });
    // Asked again after the missed request. How many repeats fit before the release arrives
    // depends on the machine's load (the release comes 10 ms after a request, the repeats every
    // 50 ms); what holds is that it was repeated, and that the repeats stop once released.
    expect(asked).toBeGreaterThanOrEqual(2);
    const answered = asked;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(asked).toBe(answered);
  });

  it('says the guest did not release a device, and keeps its nodes', async () => {
    server.handle = qemu((cmd) => (cmd.execute === 'device_del' ? ok : undefined));
    await expect(detachDisk(qmp, 'vol0', { timeoutMs: 100 })).rejects.toMatchObject({
      reason: 'DeviceBusy',
      message: expect.stringMatching(/^the guest did not release disk vol0 within 0 s/) as unknown,
    });
    expect(steps().filter((s) => s.startsWith('blockdev-del'))).toEqual([]);
  });

  it('grows a disk through its top node, never shrinks it', async () => {
    server.handle = qemu((cmd) =>
      cmd.execute === 'query-block'
        ? {
            return: [
              {
                qdev: '/machine/peripheral/disk-vol0/virtio-backend',
                inserted: { ro: false, image: { 'virtual-size': 1048576 } },
              },
              { qdev: '/machine/peripheral/other/x', inserted: { image: {} } },
            ],
          }
        : undefined,
    );
    await expect(attachedDisks(qmp)).resolves.toEqual([
      { id: 'vol0', sizeBytes: 1048576, readOnly: false },
    ]);
    await resizeDisk(qmp, 'vol0', 2097152);
    expect(server.received.at(-1)).toMatchObject({
      execute: 'block_resize',
      arguments: { 'node-name': 'disk-vol0-thr', size: 2097152 },
    });
    await expect(resizeDisk(qmp, 'vol0', 4096)).rejects.toMatchObject({
      reason: 'InvalidDefinition',
    });
    await expect(resizeDisk(qmp, 'vol9', 4096)).rejects.toMatchObject({ reason: 'DeviceConflict' });
  });

  it('sets every throttle limit, 0 for none (QEMU keeps a limit left out)', async () => {
    await setDiskThrottle(qmp, 'vol0', { bpsRead: 1000 });
    expect(server.received.at(-1)).toEqual({
      execute: 'qom-set',
      arguments: {
        path: '/objects/tg-vol0',
        property: 'limits',
        value: {
          'iops-total': 0,
          'iops-read': 0,
          'iops-write': 0,
          'bps-total': 0,
          'bps-read': 1000,
          'bps-write': 0,
        },
      },
      id: expect.any(String) as unknown,
    });
  });
});
