// Memory hot-plug. A VM started with room (`-m <size>,slots=<n>,maxmem=<max>`) has QEMU keep
// guest-physical address space for DIMMs, and no host memory until one is plugged. Growing it
// is a pc-dimm backed by a memory-backend-ram object; the guest sees an ACPI memory hot-add and
// has to online the new memory blocks (Linux leaves them offline unless built or told
// otherwise: the guest agent can online them). Nothing is unplugged: that needs the guest to
// give the memory back, and is left to the next start, which boots with the whole size as base
// memory and no DIMMs.
import { VmError } from './errors.ts';
import { build, ignoringMissing } from './hotplug.ts';
import { isRecord } from './json-lines.ts';
import { QmpCommandError, type QmpClient } from './qmp-client.ts';

const MiB = 2 ** 20;

/**
 * What memory is plugged in: x86-64 Linux onlines memory in blocks of 128 MiB
 * (/sys/devices/system/memory/block_size_bytes) below 64 GiB of boot memory, and a DIMM that
 * does not end on a block boundary leaves its tail unusable (and the next DIMM misaligned).
 */
export const memoryBlockMiB = 128;

/**
 * DIMM slots a VM starts with: one per resize that grows it before its next start. Each costs
 * the guest 1 GiB of physical address space (QEMU aligns DIMMs to it) and an ACPI device.
 */
export const memorySlots = 16;

export interface MemoryRoom {
  slots: number;
  /** What the VM may grow to while it runs (QEMU's maxmem). */
  maxMemoryMiB: number;
}

/** The room a VM of `memoryMiB` gets to grow to `maxMemoryMiB`: none when not a block more. */
export function memoryRoom(memoryMiB: number, maxMemoryMiB?: number): MemoryRoom | undefined {
  if (maxMemoryMiB === undefined) return undefined;
  const blocks = Math.floor((maxMemoryMiB - memoryMiB) / memoryBlockMiB);
  if (blocks < 1) return undefined;
  return { slots: Math.min(memorySlots, blocks), maxMemoryMiB };
}

/** A plugged DIMM: where it sits in the guest's physical memory. */
export interface Dimm {
  id: string;
  addr: number;
  sizeBytes: number;
}

export interface VmMemory {
  /** Base and plugged memory together: what the VM has. */
  memoryMiB: number;
  /** What it can grow to without a restart; `memoryMiB` when it was started without room. */
  maxMemoryMiB: number;
  /** DIMM slots it was started with (0: no room), and those no DIMM takes yet. */
  slots: number;
  freeSlots: number;
  dimms: Dimm[];
}

export async function vmMemory(qmp: QmpClient): Promise<VmMemory> {
  const sum = await qmp.execute<{ 'base-memory'?: number; 'plugged-memory'?: number }>(
    'query-memory-size-summary',
  );
  const bytes = (sum['base-memory'] ?? 0) + (sum['plugged-memory'] ?? 0);
  // The machine's -m as QEMU holds it; slots and max-size only when it was started with room.
  // A QEMU before 7.0 has no such property: its VM is taken as one without room.
  type Room = { slots?: number; 'max-size'?: number };
  const m: Room = await qmp
    .execute<Room>('qom-get', {
      path: '/machine',
      property: 'memory',
    })
    .catch((err: unknown) => {
      if (err instanceof QmpCommandError) return {};
      throw err;
    });
  const list = await qmp.execute('query-memory-devices');
  const dimms = (Array.isArray(list) ? list.filter(isRecord) : []).flatMap((d) => {
    const data = isRecord(d.data) ? d.data : {};
    return d.type === 'dimm'
      ? [{ id: String(data.id), addr: Number(data.addr), sizeBytes: Number(data.size) }]
      : [];
  });
  const memoryMiB = Math.floor(bytes / MiB);
  return {
    memoryMiB,
    maxMemoryMiB: Math.max(memoryMiB, Math.floor((m['max-size'] ?? 0) / MiB)),
    slots: m.slots ?? 0,
    freeSlots: Math.max(0, (m.slots ?? 0) - dimms.length),
    dimms,
  };
}

/** What growing a running VM to `wantMiB` takes: a DIMM of `plugMiB`, or why it waits. */
export type MemoryGrowth = { plugMiB: number } | { waits: string } | undefined;

export function memoryGrowth(
  have: Pick<VmMemory, 'memoryMiB' | 'maxMemoryMiB' | 'slots' | 'freeSlots'>,
  wantMiB: number,
): MemoryGrowth {
  const more = wantMiB - have.memoryMiB;
  if (more === 0) return undefined;
  if (more < 0) return { waits: 'memory is not taken away from a running guest' };
  if (have.slots === 0) {
    return {
      waits:
        'it was started without room to plug memory (--vm-max-memory; a VM smaller than --vm-memory-room-from gets none)',
    };
  }
  if (wantMiB > have.maxMemoryMiB) {
    return {
      waits: `it can grow to ${String(have.maxMemoryMiB)} MiB while it runs (--vm-max-memory when it started)`,
    };
  }
  if (more % memoryBlockMiB !== 0) {
    return {
      waits: `memory is plugged in whole ${String(memoryBlockMiB)} MiB blocks (what the guest onlines), and ${String(more)} MiB more is not`,
    };
  }
  if (have.freeSlots === 0) {
    return { waits: 'every memory slot it was started with holds memory plugged since' };
  }
  return { plugMiB: more };
}

/** QEMU's ids of the `n`th DIMM and its backing memory. */
export const dimmNames = (n: number) => ({
  device: `dimm-${String(n)}`,
  backend: `ram-dimm-${String(n)}`,
});

/**
 * Grows the VM to `wantMiB` with one DIMM of the difference, named by the lowest number no DIMM
 * has: a repeated request finds the VM grown and does nothing; a backend left by a plug that
 * stopped half-way is replaced. Refuses (VmError InvalidDefinition) what `memoryGrowth` says
 * waits; resolves with the MiB plugged.
 */
export async function plugMemory(qmp: QmpClient, wantMiB: number): Promise<number> {
  const have = await vmMemory(qmp);
  const growth = memoryGrowth(have, wantMiB);
  if (growth === undefined) return 0;
  if ('waits' in growth) {
    throw new VmError(
      'InvalidDefinition',
      `${String(wantMiB)} MiB cannot be plugged into a VM of ${String(have.memoryMiB)} MiB: ${growth.waits}`,
    );
  }
  const taken = new Set(have.dimms.map((d) => d.id));
  let n = 0;
  while (taken.has(dimmNames(n).device)) n++;
  const names = dimmNames(n);
  await ignoringMissing(() => qmp.execute('object-del', { id: names.backend }));
  await build([
    {
      run: () =>
        qmp.execute('object-add', {
          'qom-type': 'memory-backend-ram',
          id: names.backend,
          size: growth.plugMiB * MiB,
        }),
      undo: () => qmp.execute('object-del', { id: names.backend }),
    },
    {
      run: () =>
        qmp.execute('device_add', { driver: 'pc-dimm', id: names.device, memdev: names.backend }),
      undo: () => qmp.execute('device_del', { id: names.device }),
    },
  ]);
  return growth.plugMiB;
}

/** The guest's memory blocks (of `blockBytes` each) that the VM's DIMMs hold. */
export function dimmBlocks(dimms: readonly Dimm[], blockBytes: number): number[] {
  if (!(blockBytes > 0)) return [];
  return dimms.flatMap((d) => {
    const first = Math.ceil(d.addr / blockBytes);
    const end = Math.floor((d.addr + d.sizeBytes) / blockBytes);
    return Array.from({ length: Math.max(0, end - first) }, (_, i) => first + i);
  });
}
