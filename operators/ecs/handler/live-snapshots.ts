// Snapshots of volumes this host's VMs have open, taken through the running VM: EVS's contract
// (evs/api/live-snapshots.ts). Once EVS's agent recorded the snapshot's owner (Provisioned=False
// TakingThroughInstance), the guest's filesystems are frozen through its guest agent, QEMU takes
// the snapshot of the disk, the filesystems are thawed, and condition TakenLive says whether
// the snapshot is consistent (FilesystemsFrozen) or only crash-consistent (the guest agent did
// not answer). A deleted snapshot of a file pool's volume still open is deleted through QEMU
// too: qemu-img cannot change an image QEMU holds (EVS deletes an RBD pool's itself).
import type { Clock } from '../../../controllers/clock/index.ts';
import type { Informer } from '../../../controllers/informer/index.ts';
import { objectKey, type ObjectClient } from '../../../controllers/kube/index.ts';
import {
  applyOwnStatus,
  Controller,
  getCondition,
  specOrMetadataChanged,
  type Reconcile,
} from '../../../controllers/reconcile/index.ts';
import type { Manager } from '../../../controllers/manager/index.ts';
import { watch } from '../../../controllers/wiring/index.ts';
import {
  crashConsistentReason,
  filesystemsFrozenReason,
  openAttachments,
  openVolume,
  snapshotTag,
  takenLiveCondition,
  takingThroughInstanceReason,
  VolumeSnapshot,
  type VolumeAttachmentObject,
  type VolumeSnapshotObject,
} from '../../evs/api/index.ts';
import { provisionedCondition, type InstanceObject } from '../api/index.ts';
import { diskId } from './vm-spec.ts';

/** What a live snapshot needs of a VM: its disks and QEMU's internal snapshots of them. */
export interface SnapshotVm {
  disks(): Promise<{ id: string }[]>;
  snapshotDisk(id: string, name: string): Promise<void>;
  deleteDiskSnapshot(id: string, name: string): Promise<void>;
}

/** What a live snapshot needs of a guest agent. */
export interface FreezingGuest {
  freezeFilesystems(): Promise<number>;
  thawFilesystems(): Promise<number>;
  filesystemsFrozen(): Promise<boolean>;
}

/** What to do for one VolumeSnapshot on this host. */
export type LiveSnapshotStep =
  { do: 'nothing' } | { do: 'take' | 'delete'; instanceUid: string; diskId: string; tag: string };

/** Where a snapshot's volume is open on this host. */
export interface OpenIn {
  instance: InstanceObject;
  /** The volume's snapshots are deleted through QEMU (a file pool's), not by EVS. */
  deletesSnapshots: boolean;
}

/**
 * The step for a snapshot whose volume is open in an instance on this host (undefined: in none
 * here). Taken only once EVS recorded its owner, and only once; deleted while the volume is open
 * where EVS cannot, unless it is to be kept (deletionPolicy Retain).
 */
export function liveSnapshotStep(
  snap: VolumeSnapshotObject,
  open: OpenIn | undefined,
): LiveSnapshotStep {
  const uid = snap.metadata.uid;
  const instanceUid = open?.instance.metadata.uid;
  if (!uid || !instanceUid || snap.status?.volumeUID === undefined) return { do: 'nothing' };
  const target = { instanceUid, diskId: diskId(snap.spec.volumeRef.name), tag: snapshotTag(uid) };
  if (snap.metadata.deletionTimestamp) {
    const deletes = open.deletesSnapshots && snap.spec.deletionPolicy !== 'Retain';
    return deletes ? { do: 'delete', ...target } : { do: 'nothing' };
  }
  const conditions = snap.status.conditions;
  if (snap.status.readyToUse === true) return { do: 'nothing' };
  if (getCondition(conditions, takenLiveCondition)?.status === 'True') return { do: 'nothing' };
  if (getCondition(conditions, provisionedCondition)?.reason !== takingThroughInstanceReason) {
    return { do: 'nothing' };
  }
  return { do: 'take', ...target };
}

/** How a snapshot was taken: the TakenLive condition's reason and message. */
export interface TakenLive {
  reason: typeof filesystemsFrozenReason | typeof crashConsistentReason;
  message: string;
}

/**
 * Takes the snapshot with the guest's filesystems frozen; without, when the guest agent does
 * not answer (or cannot freeze). The filesystems are thawed whatever happens once frozen, and
 * a guest a failed thaw left frozen is thawed before it is frozen again (a frozen guest agent
 * refuses to freeze, which would read as not answering).
 */
export async function takeLive(
  vm: SnapshotVm,
  withGuest: <T>(fn: (qga: FreezingGuest) => Promise<T>) => Promise<T>,
  step: { diskId: string; tag: string },
): Promise<TakenLive> {
  let frozen: number | undefined;
  try {
    await withGuest(async (qga) => {
      if (await qga.filesystemsFrozen()) await qga.thawFilesystems();
      frozen = await qga.freezeFilesystems();
      try {
        await vm.snapshotDisk(step.diskId, step.tag);
      } finally {
        await qga.thawFilesystems();
      }
    });
  } catch (err) {
    // Frozen means the guest agent answered: what failed is the snapshot or the thaw.
    if (frozen !== undefined) throw err;
    await vm.snapshotDisk(step.diskId, step.tag);
    const why = err instanceof Error ? err.message : String(err);
    return {
      reason: crashConsistentReason,
      message: `the guest agent did not freeze the filesystems (${why}): the snapshot holds what a sudden power-off would have left on the disk`,
    };
  }
  return {
    reason: filesystemsFrozenReason,
    message: `the guest agent froze ${String(frozen)} filesystems while QEMU took the snapshot`,
  };
}

export interface LiveSnapshotOptions {
  mgr: Manager;
  snapshots: Informer<VolumeSnapshotObject>;
  attachments: Informer<VolumeAttachmentObject>;
  instances: Informer<InstanceObject>;
  /** The running VM of an instance on this host. */
  vm(instanceUid: string): Promise<SnapshotVm | undefined>;
  /** The VM's guest agent, alone on its channel; rejects when it does not answer in time. */
  withGuestAgent<T>(instanceUid: string, fn: (qga: FreezingGuest) => Promise<T>): Promise<T>;
  fieldManager: string;
  clock: Clock;
}

/** The controller of snapshots of volumes this host's VMs have open. */
export function addLiveSnapshots(opts: LiveSnapshotOptions): Controller<VolumeSnapshotObject> {
  const { mgr, snapshots, attachments, instances } = opts;
  const client: ObjectClient<VolumeSnapshotObject> = mgr.client(VolumeSnapshot.resource);
  /** The instance on this host that has the volume open. */
  const openIn = (ns: string, volume: string): OpenIn | undefined => {
    const here = attachments.cache.inNamespace(ns);
    const [a] = openAttachments(here, volume);
    const instance = a ? instances.cache.get(`${ns}/${a.spec.instanceRef.name}`) : undefined;
    if (!instance) return undefined;
    return {
      instance,
      deletesSnapshots: openVolume(here, volume)?.consumerDeletesSnapshots === true,
    };
  };

  const reconcile: Reconcile = async (req, ctx) => {
    const snap = snapshots.cache.get(req.key);
    if (!snap) return undefined;
    const ns = snap.metadata.namespace ?? '';
    const step = liveSnapshotStep(snap, openIn(ns, snap.spec.volumeRef.name));
    if (step.do === 'nothing') return undefined;
    const vm = await opts.vm(step.instanceUid);
    // The VM is not running (or the disk is not in it): EVS takes or deletes it in the pool once
    // the attachment says the volume is closed.
    if (!vm || !(await vm.disks()).some((d) => d.id === step.diskId)) return undefined;
    if (step.do === 'delete') {
      await vm.deleteDiskSnapshot(step.diskId, step.tag);
      ctx.log.info('deleted the snapshot through the VM', { tag: step.tag });
      return undefined;
    }
    const taken = await takeLive(vm, (fn) => opts.withGuestAgent(step.instanceUid, fn), step);
    ctx.log.info('took the snapshot through the VM', { tag: step.tag, reason: taken.reason });
    await applyOwnStatus(
      client,
      snap,
      {
        fields: {},
        conditions: [
          {
            type: takenLiveCondition,
            status: 'True',
            reason: taken.reason,
            message: taken.message,
            observedGeneration: snap.metadata.generation ?? 0,
          },
        ],
      },
      opts.fieldManager,
      new Date(opts.clock.now()),
      ctx.signal,
    );
    return undefined;
  };

  const provisioned = (s: VolumeSnapshotObject) =>
    getCondition(s.status?.conditions, provisionedCondition)?.reason;
  const controller = new Controller<VolumeSnapshotObject>({
    name: 'ecs-live-snapshots',
    informer: snapshots,
    reconcile,
    // EVS's agent saying it waits for the instance is a status change: it must wake this one.
    shouldReconcileUpdate: (o, n) =>
      specOrMetadataChanged(o, n) || provisioned(o) !== provisioned(n),
    watches: [
      // A volume opened (or closed) in a VM: its snapshots on this host.
      watch(attachments, (a) =>
        snapshots.cache
          .inNamespace(a.metadata.namespace ?? '')
          .filter((s) => s.spec.volumeRef.name === a.spec.volumeRef.name)
          .map(objectKey),
      ),
    ],
    workers: 2,
    registry: mgr.registry,
    log: mgr.log,
  });
  mgr.add(controller);
  return controller;
}
