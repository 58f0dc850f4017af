// What a running VM's devices must change to match its instance: disks to plug or unplug (a
// data volume added to or removed from the spec), disks to grow (a Volume whose size was
// raised: block_resize, which the guest sees at once), NICs to plug or unplug. Pure: the
// module reads QEMU and the API, this decides.
import type { AttachedDisk } from '../backend/qemu/index.ts';
import { seedDiskId } from '../backend/qemu/index.ts';
import { diskId, nicId, type ReadyDisk, type ReadyNic } from './vm-spec.ts';

export interface WantedDisk extends ReadyDisk {
  /** The Volume's size as its spec asks, in bytes. */
  sizeBytes: number;
}

export interface DevicePlan {
  attachDisks: ReadyDisk[];
  /** QEMU ids of disks to unplug. */
  detachDisks: string[];
  grow: { id: string; volume: string; sizeBytes: number }[];
  attachNics: ReadyNic[];
  /** QEMU ids of NICs to unplug. */
  detachNics: string[];
}

export interface DeviceInputs {
  /** The boot volume's name: never unplugged from a running VM. */
  boot: string;
  wantedDisks: WantedDisk[];
  currentDisks: AttachedDisk[];
  wantedNics: ReadyNic[];
  /** QEMU ids of the NICs plugged now. */
  currentNics: string[];
  /**
   * Names of the interfaces the instance still has but whose NIC is not ready here yet: their
   * device is neither plugged nor unplugged.
   */
  pendingNics: string[];
}

export function devicePlan(inputs: DeviceInputs): DevicePlan {
  const current = new Map(inputs.currentDisks.map((d) => [d.id, d]));
  const wantedIds = new Set(inputs.wantedDisks.map((d) => diskId(d.volume)));
  const attachDisks: ReadyDisk[] = [];
  const grow: DevicePlan['grow'] = [];
  for (const d of inputs.wantedDisks) {
    const id = diskId(d.volume);
    const now = current.get(id);
    if (!now) attachDisks.push(d);
    else if (d.sizeBytes > now.sizeBytes)
      grow.push({ id, volume: d.volume, sizeBytes: d.sizeBytes });
  }
  const bootId = diskId(inputs.boot);
  const detachDisks = [...current.keys()].filter(
    (id) => id !== seedDiskId && id !== bootId && !wantedIds.has(id),
  );
  const plugged = new Set(inputs.currentNics);
  const keep = new Set([
    ...inputs.wantedNics.map((n) => nicId(n.name)),
    ...inputs.pendingNics.map(nicId),
  ]);
  return {
    attachDisks,
    detachDisks,
    grow,
    attachNics: inputs.wantedNics.filter((n) => !plugged.has(nicId(n.name))),
    detachNics: inputs.currentNics.filter((id) => !keep.has(id)),
  };
}

export function isEmpty(p: DevicePlan): boolean {
  return (
    p.attachDisks.length +
      p.detachDisks.length +
      p.grow.length +
      p.attachNics.length +
      p.detachNics.length ===
    0
  );
}
