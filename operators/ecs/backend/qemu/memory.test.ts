import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type FakeCommand, type FakeReply, FakeQmpServer } from './fake-qmp-server.ts';
import {
  dimmBlocks,
  memoryGrowth,
  memoryRoom,
  plugMemory,
  vmMemory,
  type VmMemory,
} from './memory.ts';
import { QmpClient } from './qmp-client.ts';

const MiB = 2 ** 20;
const GiB = 1024 * MiB;

describe('memoryRoom', () => {
  it('leaves room up to the max, in at most 16 slots, only when a whole block is left', () => {
    expect(memoryRoom(256, 65536)).toEqual({ slots: 16, maxMemoryMiB: 65536 });
    expect(memoryRoom(256, 640)).toEqual({ slots: 3, maxMemoryMiB: 640 });
    expect(memoryRoom(256, 383)).toBeUndefined();
    expect(memoryRoom(256, 256)).toBeUndefined();
    expect(memoryRoom(512, 0)).toBeUndefined();
    expect(memoryRoom(256)).toBeUndefined();
  });
});

describe('memoryGrowth', () => {
  const have = (over: Partial<VmMemory> = {}) => ({
    memoryMiB: 256,
    maxMemoryMiB: 1024,
    slots: 4,
    freeSlots: 4,
    ...over,
  });

  it('plugs a difference of whole 128 MiB blocks within the room', () => {
    expect(memoryGrowth(have(), 256)).toBeUndefined();
    expect(memoryGrowth(have(), 384)).toEqual({ plugMiB: 128 });
    expect(memoryGrowth(have(), 1024)).toEqual({ plugMiB: 768 });
  });

  it('says why anything else waits for the next start', () => {
    const waits = (h: ReturnType<typeof have>, want: number) => {
      const g = memoryGrowth(h, want);
      return g && 'waits' in g ? g.waits : undefined;
    };
    expect(waits(have(), 192)).toBe('memory is not taken away from a running guest');
    expect(waits(have(), 320)).toBe(
      'memory is plugged in whole 128 MiB blocks (what the guest onlines), and 64 MiB more is not',
    );
    expect(waits(have(), 1152)).toBe(
      'it can grow to 1024 MiB while it runs (--vm-max-memory when it started)',
    );
    expect(waits(have({ slots: 0, freeSlots: 0, maxMemoryMiB: 256 }), 384)).toBe(
      'it was started without room to plug memory (--vm-max-memory; a VM smaller than --vm-memory-room-from gets none)',
    );
    expect(waits(have({ freeSlots: 0 }), 384)).toBe(
      'every memory slot it was started with holds memory plugged since',
    );
  });
});

describe('dimmBlocks', () => {
  it('lists the guest memory blocks a DIMM covers whole', () => {
    const block = 128 * MiB;
    expect(
      dimmBlocks(
        [
          { id: 'dimm-0', addr: 4 * GiB, sizeBytes: 128 * MiB },
          { id: 'dimm-1', addr: 4 * GiB + 128 * MiB, sizeBytes: 256 * MiB },
        ],
        block,
      ),
    ).toEqual([32, 33, 34]);
    // A DIMM not on block boundaries covers no whole block at its ends.
    expect(dimmBlocks([{ id: 'd', addr: 4 * GiB + MiB, sizeBytes: 256 * MiB }], block)).toEqual([
      33,
    ]);
    expect(dimmBlocks([{ id: 'd', addr: 4 * GiB, sizeBytes: 128 * MiB }], 0)).toEqual([]);
  });
});

describe('plugMemory', () => {
  let server: FakeQmpServer;
  let qmp: QmpClient;
  /** What the fake QEMU holds: backends by id (size), DIMMs by id (backend). */
  let backends: Map<string, number>;
  let dimms: Map<string, string>;
  let room: { slots?: number; 'max-size'?: number };
  let failDevice: boolean;

  function qemu(cmd: FakeCommand): FakeReply {
    const a = cmd.arguments ?? {};
    const err = (desc: string) => ({ error: { class: 'GenericError', desc } });
    switch (cmd.execute) {
      case 'qmp_capabilities':
        return { return: {} };
      case 'query-memory-size-summary':
        return {
          return: {
            'base-memory': 256 * MiB,
            'plugged-memory': [...dimms.values()].reduce((n, b) => n + (backends.get(b) ?? 0), 0),
          },
        };
      case 'qom-get':
        return { return: { size: 256 * MiB, ...room } };
      case 'query-memory-devices': {
        let addr = 4 * GiB;
        return {
          return: [...dimms].map(([id, b]) => {
            const data = { id, memdev: `/objects/${b}`, addr, size: backends.get(b) ?? 0 };
            addr += data.size;
            return { type: 'dimm', data };
          }),
        };
      }
      case 'object-add': {
        const id = String(a.id);
        if (backends.has(id)) return err(`attempt to add duplicate property '${id}'`);
        backends.set(id, Number(a.size));
        return { return: {} };
      }
      case 'object-del': {
        const id = String(a.id);
        if (!backends.has(id)) return err(`object '${id}' not found`);
        if ([...dimms.values()].includes(id)) return err(`object '${id}' is in use`);
        backends.delete(id);
        return { return: {} };
      }
      case 'device_add':
        if (failDevice) return err('no slots where allocated');
        if (dimms.has(String(a.id))) return err(`Duplicate device ID '${String(a.id)}'`);
        dimms.set(String(a.id), String(a.memdev));
        return { return: {} };
      default:
        return err(`unexpected ${cmd.execute}`);
    }
  }

  beforeEach(async () => {
    backends = new Map();
    dimms = new Map();
    room = { slots: 16, 'max-size': 64 * GiB };
    failDevice = false;
    server = await FakeQmpServer.start();
    server.handle = qemu;
    qmp = await QmpClient.connect(server.path);
  });

  afterEach(async () => {
    qmp.close();
    await server.stop();
  });

  it('adds the difference as a DIMM backed by RAM, each under the next free number', async () => {
    expect(await plugMemory(qmp, 384)).toBe(128);
    expect(await plugMemory(qmp, 640)).toBe(256);
    expect(Object.fromEntries(dimms)).toEqual({ 'dimm-0': 'ram-dimm-0', 'dimm-1': 'ram-dimm-1' });
    expect(Object.fromEntries(backends)).toEqual({
      'ram-dimm-0': 128 * MiB,
      'ram-dimm-1': 256 * MiB,
    });
    expect(
      server.received.filter((c) => c.execute === 'object-add').map((c) => c.arguments),
    ).toEqual([
      { 'qom-type': 'memory-backend-ram', id: 'ram-dimm-0', size: 128 * MiB },
      { 'qom-type': 'memory-backend-ram', id: 'ram-dimm-1', size: 256 * MiB },
    ]);
    expect(await vmMemory(qmp)).toMatchObject({
      memoryMiB: 640,
      maxMemoryMiB: 64 * 1024,
      slots: 16,
      freeSlots: 14,
    });
  });

  it('does nothing when asked again, and replaces a backend a plug left half-way', async () => {
    await plugMemory(qmp, 384);
    const sent = server.received.length;
    expect(await plugMemory(qmp, 384)).toBe(0);
    expect(server.received.slice(sent).map((c) => c.execute)).not.toContain('device_add');
    // An agent that stopped between the backend and the device left ram-dimm-1 alone.
    backends.set('ram-dimm-1', 512 * MiB);
    expect(await plugMemory(qmp, 512)).toBe(128);
    expect(backends.get('ram-dimm-1')).toBe(128 * MiB);
    expect(dimms.get('dimm-1')).toBe('ram-dimm-1');
  });

  it('takes its backend back when QEMU refuses the DIMM', async () => {
    failDevice = true;
    await expect(plugMemory(qmp, 384)).rejects.toThrow(/no slots/);
    expect(backends.size).toBe(0);
  });

  it('takes a QEMU that cannot say its memory room for one without room', async () => {
    server.handle = (cmd) =>
      cmd.execute === 'qom-get'
        ? {
            error: {
              class: 'GenericError',
              desc: "Property 'pc-q35-7.2-machine.memory' not found",
            },
          }
        : qemu(cmd);
    expect(await vmMemory(qmp)).toEqual({
      memoryMiB: 256,
      maxMemoryMiB: 256,
      slots: 0,
      freeSlots: 0,
      dimms: [],
    });
  });

  it('refuses what waits for a restart, without asking QEMU to add anything', async () => {
    room = {};
    await expect(plugMemory(qmp, 384)).rejects.toMatchObject({
      reason: 'InvalidDefinition',
      message:
        '384 MiB cannot be plugged into a VM of 256 MiB: it was started without room to plug memory (--vm-max-memory; a VM smaller than --vm-memory-room-from gets none)',
    });
    room = { slots: 16, 'max-size': 64 * GiB };
    await expect(plugMemory(qmp, 300)).rejects.toThrow(/whole 128 MiB blocks/);
    expect(server.received.map((c) => c.execute)).not.toContain('object-add');
  });
});
