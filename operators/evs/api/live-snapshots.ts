// The contract between EVS and the hypervisor that has a volume open (ECS's agent): a snapshot
// of an open volume is taken through the running VM, not by EVS under it. EVS defines the
// contract; the consumer follows it and never EVS's code.
//
// 1. While its QEMU has a volume open, the consumer keeps `volumeOpenFinalizer` on the
//    VolumeAttachment (and removes it once QEMU closed the volume).
// 2. For a VolumeSnapshot of such a volume, EVS's agent records the snapshot's owner in the pool
//    and writes `Provisioned=False` with reason `TakingThroughInstance`: from then on the
//    consumer may take it, named `snapshotTag(uid)`, and says how (condition `TakenLive`).
// 3. A deleted snapshot of a volume open in a file pool is removed by the consumer too (qemu-img
//    cannot change an image QEMU holds); EVS then removes its owner record. In an RBD pool EVS
//    removes it itself, flattening volumes cloned from it first. A snapshot is never without its
//    owner record.
import type { VolumeAttachmentObject } from './volume-attachment.ts';

/**
 * The finalizer a hypervisor keeps on a VolumeAttachment while it has the volume open. Its
 * value is the one ECS has always written, so attachments made before this contract keep
 * meaning the same.
 */
export const volumeOpenFinalizer = 'ecs.kcloud.io/vm';

/** EVS agent's Provisioned reason while the consumer that has the volume open takes it. */
export const takingThroughInstanceReason = 'TakingThroughInstance';

/** The consumer's condition on a VolumeSnapshot it took: True, with one of the reasons below. */
export const takenLiveCondition = 'TakenLive';
/** The guest agent froze the guest's filesystems around the snapshot: it is consistent. */
export const filesystemsFrozenReason = 'FilesystemsFrozen';
/** The guest agent did not answer: the snapshot is what a power cut would have left. */
export const crashConsistentReason = 'CrashConsistent';

/**
 * The snapshot's name inside its volume's image (a qcow2 tag, an RBD snapshot): the snapshot's
 * UID, which never repeats, behind the prefix every EVS backend uses.
 */
export function snapshotTag(snapshotUid: string): string {
  return `snap-${snapshotUid}`;
}

/** A volume a consumer has open, and who deletes its snapshots meanwhile. */
export interface OpenVolume {
  /** The consumer does (a file pool's volume); else EVS, as for a closed volume. */
  consumerDeletesSnapshots: boolean;
}

/** Whether, and how, a consumer has the volume open; undefined when none has. */
export function openVolume(
  attachments: readonly VolumeAttachmentObject[],
  volumeName: string,
): OpenVolume | undefined {
  const open = openAttachments(attachments, volumeName);
  if (open.length === 0) return undefined;
  return { consumerDeletesSnapshots: open.some((a) => a.status?.target?.file !== undefined) };
}

/** The attachments of a volume whose hypervisor has it open (a consumer holds it). */
export function openAttachments(
  attachments: readonly VolumeAttachmentObject[],
  volumeName: string,
): VolumeAttachmentObject[] {
  return attachments.filter(
    (a) =>
      a.spec.volumeRef.name === volumeName &&
      (a.metadata.finalizers ?? []).includes(volumeOpenFinalizer),
  );
}
